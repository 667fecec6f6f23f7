// Hot path: allocFast+freeFast of one page on one CPU with warm magazines,
// four ways: the loop inside wasm (one batch: the CPU cache lock held across
// up to 16 operations, assembly/rcache/batch.ts), the same loop with a lock
// per operation (as single calls take it), single calls from JS, and the
// batch API; then a LocalCache (the JS-side magazine) in front of the same
// CPU, with and without crossings into wasm.
//
// Issue 15's candidates for fewer atomic read-modify-writes per operation run in the same
// interleaving: (b) one cmpxchg per operation (oneCasNs), and (a) single calls from JS that keep the
// lock held (stickyCallNs, against rawCallNs: the same calls locking per operation).
//
// Clock and order (issue 15's bimodal figures): timed on this process's CPU
// time (process.cpuUsage, bench/clock.ts: every thread of the process, V8's
// background threads included; the kernel's figures were the thread CPU
// time of one thread, ../shared/anchors.md, and the two agree while V8's
// threads are idle, as per-thread schedstat showed them here), since on this
// shared machine the wall clock adds the run-queue wait of a loaded CPU
// (up to +30 ns a pair was measured in one sample); and the samples of every
// policy and loop are interleaved, so that a slow phase of the machine
// (on-CPU time itself doubled for seconds at a time, with no thread of this
// process but the main one running) spreads over all of them instead of
// landing on whole policies.
import { IovaDomain, LocalCache, POLICIES, type DepotPolicy } from '../src/index.js';
import { cpuNs, median } from './tree/util.js';

export interface HotPathFigure {
  policy: DepotPolicy;
  /** fastLoop: the pair loop in wasm, one batch (lock held across up to 16 operations). */
  inWasmNs: number;
  /** The same loop with the CPU cache lock taken per operation, as single calls take it. */
  inWasmLockPerOpNs: number;
  /**
   * Candidate (b) of issue 15, not used by the API (assembly/api/hot-candidates.ts): the same pair
   * loop with each cached operation one cmpxchg on the loaded magazine's size word and no lock,
   * which is correct only while no other thread touches the CPU.
   */
  oneCasNs: number;
  /** One JS call per operation straight to the exports (allocFast / freeFast), without IovaDomain's checks. */
  rawCallNs: number;
  /** Candidate (a): the same calls leaving the CPU cache lock held (batch.ts's hold) until the burst ends (here every 256 pairs). */
  stickyCallNs: number;
  perCallNs: number;
  batchedNs: number;
  /** LocalCache alloc(1) + free(1) from JS, warm: never crosses into wasm. */
  localCacheNs: number;
  /**
   * LocalCache, 4 batches of 256 allocs then 256 frees: half of the ranges
   * go through a refill (allocFastBatch of 64) or a spill (freeFastBatch of 64).
   */
  localCacheCrossingNs: number;
  /** Allocations that failed in any of the loops (must be 0: the space is nearly empty). */
  failures: number;
  /** Ranges left in the tree after everything was freed and flushed (must be 0). */
  leftover: number;
  /** Interleaved samples behind each median. */
  samples: number;
}

/** One timed loop: `run` does `pairs` pairs; its samples are CPU ns per pair. */
interface Loop {
  run(): void;
  pairs: number;
  samples: number[];
}

function loop(run: () => void, pairs: number): Loop {
  return { run, pairs, samples: [] };
}

export function runHotPath(quick = false, policies: readonly DepotPolicy[] = POLICIES): HotPathFigure[] {
  const rounds = quick ? 20_000 : 1_000_000;
  const reps = quick ? 3 : 15;  // odd: the median is one sample
  const batch = 4096;
  const sizes = new Float64Array(batch).fill(1);
  const held = new Float64Array(256);
  const cases = policies.map((policy) => {
    const d = new IovaDomain(4096, 1, { cpus: 1, policy, maxRanges: 1 << 16 });
    const limit = d.dma32Pfn - 1;
    const tally = { failures: 0 };
    const cache = new LocalCache(d, { limitPfn: limit });
    const batches = Math.max(1, Math.floor(rounds / batch));
    const waves = Math.max(1, Math.floor(rounds / held.length));
    const loops = {
      inWasmNs: loop(() => { tally.failures += d.fastLoop(1, limit, rounds); }, rounds),
      inWasmLockPerOpNs: loop(() => { tally.failures += d.ex.fastLoopLockPerOp(d.base, d.cpu, 1, limit, rounds); }, rounds),
      oneCasNs: loop(() => { tally.failures += d.ex.fastLoopOneCas(d.base, d.cpu, 1, limit, rounds); }, rounds),
      rawCallNs: loop(() => {
        const ex = d.ex, base = d.base, cpu = d.cpu;
        for (let i = 0; i < rounds; i++) {
          const pfn = ex.allocFast(base, cpu, 1, limit, 1);
          if (pfn === 0) tally.failures++;
          else ex.freeFast(base, cpu, pfn, 1);
        }
      }, rounds),
      stickyCallNs: loop(() => {
        const ex = d.ex, base = d.base, cpu = d.cpu;
        if (ex.stickyBegin() !== 0) throw new Error('hot path: stickyBegin refused (an earlier burst left its hold open)');
        for (let i = 0; i < rounds; i++) {
          const pfn = ex.allocFastSticky(base, cpu, 1, limit, 1);
          if (pfn === 0) tally.failures++;
          else ex.freeFastSticky(base, cpu, pfn, 1);
          if ((i & 255) === 255) ex.stickyEnd();
        }
        ex.stickyEnd();
      }, rounds),
      perCallNs: loop(() => {
        for (let i = 0; i < rounds; i++) {
          const pfn = d.allocFast(1, limit, true);
          if (pfn === null) tally.failures++;
          else d.freeFast(pfn, 1);
        }
      }, rounds),
      batchedNs: loop(() => {
        for (let b = 0; b < batches; b++) {
          const pfns = d.allocFastBatch(sizes, limit, true);
          if (!pfns.includes(0)) {
            d.freeFastBatch(pfns, sizes);
          } else {
            const ok = pfns.filter((p) => p !== 0);  // never expected: counted, not timed
            tally.failures += pfns.length - ok.length;
            d.freeFastBatch(ok, sizes.subarray(0, ok.length));
          }
        }
      }, batches * batch),
      localCacheNs: loop(() => {
        for (let i = 0; i < rounds; i++) {
          const pfn = cache.alloc(1);
          if (pfn === null) tally.failures++;
          else cache.free(pfn, 1);
        }
      }, rounds),
      localCacheCrossingNs: loop(() => {
        for (let w = 0; w < waves; w++) {
          let n = 0;
          for (let i = 0; i < held.length; i++) {
            const pfn = cache.alloc(1);
            if (pfn === null) tally.failures++;
            else held[n++] = pfn;
          }
          for (let i = 0; i < n; i++) cache.free(held[i], 1);
        }
      }, waves * held.length),
    };
    return { policy, d, cache, loops, tally };
  });
  for (const c of cases) for (const l of Object.values(c.loops)) l.run();  // warm-up
  for (let r = 0; r < reps; r++) {
    for (const c of cases) {
      for (const l of Object.values(c.loops)) {
        const t0 = cpuNs();
        l.run();
        l.samples.push((cpuNs() - t0) / l.pairs);
      }
    }
  }
  return cases.map(({ policy, d, cache, loops, tally }) => {
    cache.close();
    d.flushAll();
    const leftover = d.stats().ranges;
    d.check();
    d.destroy();
    const ns = (l: Loop) => median(l.samples);
    return {
      policy, inWasmNs: ns(loops.inWasmNs), inWasmLockPerOpNs: ns(loops.inWasmLockPerOpNs), perCallNs: ns(loops.perCallNs),
      oneCasNs: ns(loops.oneCasNs), rawCallNs: ns(loops.rawCallNs), stickyCallNs: ns(loops.stickyCallNs),
      batchedNs: ns(loops.batchedNs), localCacheNs: ns(loops.localCacheNs), localCacheCrossingNs: ns(loops.localCacheCrossingNs),
      failures: tally.failures, leftover, samples: reps,
    };
  });
}
