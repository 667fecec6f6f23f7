// The fast-fail repeat row of bench/tree (a failing size-2 aligned alloc on
// [1, 16384] packed with single pages, repeated: max32_alloc_size's
// fast-fail, one IovaDomain.alloc call from JS each), timed in batches of
// 20,000 calls as that row times them, on three clocks at once: the
// process's CPU time (the row's clock: every thread of the process), the
// calling thread's own CPU time, and the wall clock. The thread clock moves
// only at scheduler ticks (milliseconds), so it is read over all batches
// together (25 batches, 500,000 calls, tens of ms), the other two both per
// batch (median, as the row) and over the same span. Run where `npm run bench`'s row runs (in its process, after
// the tree rows) and in a process of its own holding one domain, it shows
// which of those the row's figure depends on. The process of its own then
// runs other domains (every policy, successes, failures, frees) through the
// same alloc() call sites, as the bench process has by then, and times the
// repeat again: each domain is its own wasm instance, so the call into wasm
// inside alloc() meets one target per domain there. Between the two it times
// the repeat once more after a single other domain's single alloc(): that is
// already a second target, and V8 drops the optimized alloc() ("wrong call
// target", --trace-deopt) and calls the core through the JS-to-wasm wrapper
// instead of inlining it (--cpu-prof: a `js-to-wasm:iddi:d` frame between
// alloc and the core only after), so this figure and the one after all 13 other
// domains (that single one and otherDomains()'s 12: `otherDomains` in the JSON) agree
// (52 -> 62-67 ns and 51 -> 61 ns at load 12, 2026-12-02).
//   node dist/bench/fast-fail-alone.js   JSON on stdout (the process of its own)
import { fileURLToPath } from 'node:url';
import { IovaDomain, POLICIES } from '../src/index.js';
import { cpuNs, median, threadCpuNs } from './clock.js';
import { packed } from './tree/tree-bench.js';

export interface FastFailFigures {
  /** ns per failing call, median batch: process CPU time (all threads; the row's clock) and wall clock. */
  processCpuNs: number;
  wallNs: number;
  /** ns per failing call over all batches together: process CPU, this thread's CPU, wall. */
  spanProcessCpuNs: number;
  spanThreadCpuNs: number;
  spanWallNs: number;
  calls: number;
  /** What the core said for the repeat (must be the 32-bit fast-fail). */
  failure: string | null;
}

const PER_BATCH = 20_000;  // as bench/tree's repeat (100,000 calls in 5 batches)
const BATCHES = 25;

/** The repeat timed on one packed domain: once, or (`between` given) once more after each of `between` has run. */
export function fastFailRepeat(): FastFailFigures;
export function fastFailRepeat(between: Array<() => void>): FastFailFigures[];
export function fastFailRepeat(between?: Array<() => void>): FastFailFigures | FastFailFigures[] {
  const { d, limit } = packed(1, 16384, false);
  const call = () => d.alloc(2, limit, true);
  const batch = () => {
    for (let i = 0; i < PER_BATCH; i++) if (call() !== null) throw new Error('fast-fail: the failing request succeeded');
  };
  batch();  // the first call searches and arms the fast-fail; the rest of the batch warms up
  // What is timed must be the 32-bit fast-fail, not a search that fails: refuse to time anything else.
  if (d.lastFailure !== 'fast-fail-32') throw new Error(`fast-fail: the repeat failed with ${d.lastFailure}, not fast-fail-32`);
  const first = timed(batch, d);
  if (between === undefined) {
    d.destroy();
    return first;
  }
  const all = [first];
  for (const run of between) {
    run();
    all.push(timed(batch, d));
  }
  d.destroy();
  return all;
}

function timed(batch: () => void, d: IovaDomain): FastFailFigures {
  const per = PER_BATCH;
  const p: number[] = [], w: number[] = [];
  const sp0 = cpuNs(), st0 = threadCpuNs(), sw0 = process.hrtime.bigint();
  for (let b = 0; b < BATCHES; b++) {
    const p0 = cpuNs(), w0 = process.hrtime.bigint();
    batch();
    const w1 = process.hrtime.bigint(), p1 = cpuNs();
    p.push((p1 - p0) / per);
    w.push(Number(w1 - w0) / per);
  }
  const sw1 = process.hrtime.bigint(), st1 = threadCpuNs(), sp1 = cpuNs();
  const calls = BATCHES * per;
  const failure = d.lastFailure;
  return {
    processCpuNs: median(p), wallNs: median(w),
    spanProcessCpuNs: (sp1 - sp0) / calls, spanThreadCpuNs: (st1 - st0) / calls, spanWallNs: Number(sw1 - sw0) / calls,
    calls, failure,
  };
}

/** One other domain, one successful alloc(): the fewest other calls that give alloc()'s call into wasm a second target. */
export function oneOtherDomain(): void {
  const d = new IovaDomain(4096, 1, { maxRanges: 64, policy: 'linux-6.4' });
  if (d.alloc(1, 1000, false) === null) throw new Error('fast-fail: the other domain\'s alloc failed');
  d.destroy();
}

/** Two domains of every policy (and two tree-only) through alloc() and free(): successes, failures, sizes 1..8. */
export function otherDomains(): number {
  let n = 0;
  for (const policy of [...POLICIES, 'tree-only' as const, ...POLICIES, 'tree-only' as const]) {
    const d = new IovaDomain(4096, 1, { maxRanges: 4096, policy });
    const limit = 2048;
    const held: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const p = d.alloc(1 + (i & 7), limit, (i & 1) === 0);
      if (p !== null) held.push(p);
      if (held.length > 200) d.free(held.shift()!);
    }
    d.destroy();
    n++;
  }
  return n;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let others = 0;
  const [alone, afterOne, after] = fastFailRepeat([oneOtherDomain, () => { others = 1 + otherDomains(); }]);
  console.log(JSON.stringify({ alone, afterOne, after, otherDomains: others }));
}
