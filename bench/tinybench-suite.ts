// The tinybench suite: each task runs a fixed block of operation pairs (so
// the harness's per-call cost is spread over thousands of pairs), and the
// figures are tinybench's median and relative margin of error per pair.
import { Bench } from 'tinybench';
import { IovaDomain, LocalCache } from '../src/index.js';

/** Operation pairs per task call. */
const BLOCK = 8192;

export interface SuiteFigure {
  task: string;
  /** Median ns per pair (tinybench p50 of the block, divided by BLOCK). */
  medianNs: number;
  /** tinybench's relative margin of error of the mean, percent. */
  rmePct: number;
  samples: number;
}

export function runTinybenchSuite(quick = false): SuiteFigure[] {
  const fast = new IovaDomain(4096, 1, { cpus: 1, policy: 'adaptive', maxRanges: 1 << 16 });
  const limit = fast.dma32Pfn - 1;
  const sizes = new Float64Array(BLOCK / 2).fill(1);
  const tree = new IovaDomain(4096, 1, { policy: 'tree-only', maxRanges: 1 << 16 });
  for (let i = 0; i < 1000; i++) tree.alloc(1 + (i % 8), limit);  // 1,000 live ranges
  const ids = new IovaDomain(1, 1, { maxRanges: 1 << 17 });
  const cache = new LocalCache(ids, { limitPfn: 65535 });
  let failures = 0;

  const bench = new Bench({ time: quick ? 50 : 1000, warmupTime: quick ? 10 : 200 });
  bench
    .add('allocFast+freeFast, loop in wasm, batched: lock held across <=16 ops', () => { failures += fast.fastLoop(1, limit, BLOCK); })
    .add('allocFast+freeFast, one JS call per op', () => {
      for (let i = 0; i < BLOCK; i++) {
        const p = fast.allocFast(1, limit, true);
        if (p === null) failures++; else fast.freeFast(p, 1);
      }
    })
    .add('allocFastBatch+freeFastBatch, 4096 per call', () => {
      for (let b = 0; b < 2; b++) {
        const pfns = fast.allocFastBatch(sizes, limit, true);
        if (pfns.includes(0)) throw new Error('tinybench suite: a batched allocation failed');
        fast.freeFastBatch(pfns, sizes);
      }
    })
    .add('tree alloc+free, 1,000 live ranges, loop in wasm', () => { failures += tree.allocFreeLoop(1, limit, false, BLOCK); })
    .add('LocalCache id alloc+free', () => {
      for (let i = 0; i < BLOCK; i++) {
        const id = cache.alloc(1);
        if (id === null) failures++; else cache.free(id, 1);
      }
    });
  bench.runSync();
  if (failures !== 0) throw new Error(`tinybench suite: ${failures} allocations failed`);
  const out = bench.tasks.map((t) => {
    const r = t.result as unknown as { latency: { p50: number; rme: number; samplesCount?: number }; samples?: number[] };
    return { task: t.name, medianNs: (r.latency.p50 * 1e6) / BLOCK, rmePct: r.latency.rme, samples: r.latency.samplesCount ?? r.samples?.length ?? 0 };
  });
  cache.close();
  fast.flushAll();
  if (fast.stats().ranges !== 0) throw new Error('tinybench suite: ranges left behind');
  return out;
}

export function formatSuite(figures: SuiteFigure[]): string {
  const lines = ['task'.padEnd(70) + 'ns/pair'.padStart(10) + '   ±rme   samples'];
  for (const f of figures) {
    lines.push(f.task.padEnd(70) + f.medianNs.toFixed(1).padStart(10) + `  ${f.rmePct.toFixed(1).padStart(4)}%  ${String(f.samples).padStart(7)}`);
  }
  return lines.join('\n');
}
