// The hot calls of IovaDomain with one domain in the thread, then with two:
// free (an alloc()+free() pair of one page), the fast pair (allocFast +
// freeFast of one page, warm magazines) and the batch pair (allocFastBatch +
// freeFastBatch of 64 pages). Each domain is its own wasm instance, so once a
// second domain has made a call, the method's call into wasm meets a second
// target: unless that call sits behind a stub of the domain's own
// (src/wasm/call-stub.ts), V8 stops inlining it and goes through the
// JS-to-wasm wrapper.
//
// One process per run, as the feedback is the process's: each kind is timed
// on domain A alone, then domain B makes the same calls, then A and B are
// timed in turn (ns per pair: process CPU time, median of batches). Compare
// two builds by running this alternately in processes of each (paired):
// docs/architecture.md ("One call site per domain") has the run that kept
// the stub on alloc() only.
//   node --no-liftoff dist/bench/call-sites-alone.js [rounds]   JSON on stdout
import { fileURLToPath } from 'node:url';
import { IovaDomain } from '../src/index.js';
import { cpuNs, median } from './clock.js';

export interface CallSiteFigures {
  /** ns per pair on domain A, the only domain that has made the call so far. */
  alone: number;
  /** ns per pair on A and on B after both made it: the median over both domains' batches. */
  twoDomains: number;
}

const BATCH = 64;
const SIZES = new Float64Array(BATCH).fill(1);

/** One pair kind: `make(d)` returns a function doing `n` pairs on `d`. */
type Kind = (d: IovaDomain) => (n: number) => void;

const kinds: Record<string, { pairs: number; make: Kind }> = {
  free: {
    pairs: 200_000,
    make: (d) => (n) => {
      for (let i = 0; i < n; i++) {
        const p = d.alloc(1, 1 << 20, false);
        if (p === null || !d.free(p)) throw new Error('call sites: alloc/free failed');
      }
    },
  },
  fastPair: {
    pairs: 500_000,
    make: (d) => (n) => {
      const limit = d.dma32Pfn - 1;
      for (let i = 0; i < n; i++) {
        const p = d.allocFast(1, limit, true);
        if (p === null) throw new Error('call sites: allocFast failed');
        d.freeFast(p, 1);
      }
    },
  },
  batchPair: {
    pairs: 4_000,
    make: (d) => (n) => {
      const limit = d.dma32Pfn - 1;
      for (let i = 0; i < n; i++) {
        const pfns = d.allocFastBatch(SIZES, limit, true);
        if (pfns.includes(0)) throw new Error('call sites: allocFastBatch failed');
        d.freeFastBatch(pfns, SIZES);
      }
    },
  },
};

function domain(kind: string): IovaDomain {
  return kind === 'free'
    ? new IovaDomain(4096, 1, { maxRanges: 4096, policy: 'tree-only' })
    : new IovaDomain(4096, 1, { cpus: 1, maxRanges: 1 << 16, policy: 'adaptive' });
}

/** ns per pair (per batch call for batchPair: 64 pages each way), median of `rounds` timed batches after one untimed. */
function timed(run: (n: number) => void, pairs: number, rounds: number): number[] {
  run(pairs);
  const xs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = cpuNs();
    run(pairs);
    xs.push((cpuNs() - t0) / pairs);
  }
  return xs;
}

export function runCallSites(rounds = 9): Record<string, CallSiteFigures> {
  const out: Record<string, CallSiteFigures> = {};
  for (const [name, { pairs, make }] of Object.entries(kinds)) {
    const a = domain(name), b = domain(name);
    const runA = make(a), runB = make(b);
    const alone = median(timed(runA, pairs, rounds));
    runB(1000);  // the second target
    const both: number[] = [];
    for (let r = 0; r < rounds; r++) both.push(...timed(runA, pairs, 1), ...timed(runB, pairs, 1));
    out[name] = { alone, twoDomains: median(both) };
    a.destroy();
    b.destroy();
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(runCallSites(Number(process.argv[2] ?? 9))));
}
