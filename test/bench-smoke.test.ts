// Smoke runs of the hot-path and scaling benchmarks at tiny sizes: they check
// results (no failed allocation, nothing left behind, every worker did work),
// never times.
import { describe, expect, it } from 'vitest';
import { runHotPath } from '../dist/bench/hot-path.js';
import { measureScaling } from '../dist/bench/scaling/scaling.js';
import { runTinybenchSuite } from '../dist/bench/tinybench-suite.js';

describe('bench smoke', () => {
  it('hot path: every policy runs its loops with no failure and returns every range', () => {
    const figures = runHotPath(true);
    expect(figures.map((f) => f.policy)).toEqual(['linux-5.10', 'cpu-flush', 'scaled-depot', 'linux-6.4', 'adaptive']);
    for (const f of figures) {
      expect(f.failures, f.policy).toBe(0);
      expect(f.leftover, f.policy).toBe(0);
      for (const ns of [f.inWasmNs, f.inWasmLockPerOpNs, f.oneCasNs, f.rawCallNs, f.stickyCallNs, f.perCallNs, f.batchedNs, f.localCacheNs, f.localCacheCrossingNs]) {
        expect(Number.isFinite(ns) && ns > 0, `${f.policy}: ${ns}`).toBe(true);
      }
    }
  });

  it('tinybench suite: every task runs (it throws on any failed allocation or leftover range)', () => {
    const figures = runTinybenchSuite(true);
    expect(figures).toHaveLength(5);
    for (const f of figures) {
      expect(Number.isFinite(f.medianNs) && f.medianNs > 0, `${f.task}: ${f.medianNs}`).toBe(true);
      expect(f.samples).toBeGreaterThan(0);
    }
  });

  it('scaling: 1 and 2 workers each complete pairs with no failure', async () => {
    const r = await measureScaling({ workers: [1, 2], durationMs: 150, warmupMs: 30 });
    expect(r.points.map((p) => p.workers)).toEqual([1, 2]);
    for (const p of r.points) {
      expect(p.fails).toBe(0);
      expect(p.perWorker).toHaveLength(p.workers);
      for (const n of p.perWorker) expect(n).toBeGreaterThan(0);
      expect(p.pairs).toBe(p.perWorker.reduce((a, b) => a + b, 0));
    }
  });
});
