// Merged requests (src/load/merge.ts, the loop's bsKind 3): the sizes a
// seeded run draws match the distribution's stated constraint, IOPS count
// the 4 KiB reads (not the requests), each read pays its submission, and a
// seed gives the same run.
import { describe, expect, it } from "vitest";
import { simulate, type SimOptions } from "../dist/src/sim/engine.js";
import { resolveSimOptions } from "../dist/src/sim/options.js";
import { mergeChanceFor, meanIosPerRequest, shareAbove } from "../dist/src/load/merge.js";
import { THREAD_MERGE, threadMerge } from "../dist/src/study/thread.js";
import { setUpRun } from "../dist/src/sim/setup.js";

const merge = threadMerge();
/** A small machine, 64-bit space only (so every map is one lookup of the caches). */
const small = (o: SimOptions = {}): SimOptions => ({
  policy: "linux-5.10", cpus: 8, jobs: 2, jobCpus: [0, 4], iodepth: 8, bs: "4k", merge,
  durationMs: 1000, intervalMs: 250, dma32First: false, seed: 3, ...o,
});

describe("the merge distribution", () => {
  it("is the thread's: 0.94% of requests above 32 reads, at most 124 reads (the SCSI limits)", () => {
    expect(THREAD_MERGE.tooBigShare).toBeCloseTo(0.0094072, 7);
    expect(THREAD_MERGE.maxIos).toBe(124);
    expect(merge.p ** 32).toBeCloseTo(THREAD_MERGE.tooBigShare, 12);
    expect(shareAbove(merge, 32)).toBeCloseTo(THREAD_MERGE.tooBigShare, 12);
    expect(shareAbove(merge, 124)).toBe(0);
    expect(shareAbove(merge, 0)).toBe(1);
    expect(meanIosPerRequest(merge)).toBeCloseTo(7.366, 2);
    // Capped at 1 read: each I/O its own request.
    expect(meanIosPerRequest({ p: merge.p, maxIos: 1 })).toBe(1);
  });

  it("refuses nonsense with the offending value", () => {
    expect(() => mergeChanceFor(0, 32)).toThrow(/share must be in \(0, 1\), got 0/);
    expect(() => mergeChanceFor(0.5, 0)).toThrow(/aboveIos must be a positive integer, got 0/);
    expect(() => resolveSimOptions({ bs: "4k/50:8k/50", merge })).toThrow(/merge needs a fixed bs/);
    expect(() => resolveSimOptions({ bs: "4k", merge: { p: 1, maxIos: 8 } })).toThrow(/merge.p must be below 1/);
    expect(() => resolveSimOptions({ bs: "4k", merge: { p: 0.5, maxIos: 0 } })).toThrow(/merge.maxIos must be an integer/);
  });
});

describe("a seeded run's own counts", () => {
  const r = simulate(small());
  const c = r.counters;
  const reads = c.ios + c.drainedIos;

  it("balances its books", () => {
    expect(r.books.ok, r.books.problems.join("; ")).toBe(true);
    expect(c.mapFailures).toBe(0);
  });

  it("draws the stated share above 32 pages: maps that skip the caches (too big to cache) / all maps", () => {
    // Every map of 32 pages or fewer looks in the caches once (a hit or a miss); the rest are too big.
    const tooBig = c.maps - c.cacheHits - c.cacheMisses;
    expect(c.maps).toBeGreaterThan(50_000);
    const share = tooBig / c.maps;
    const sd = Math.sqrt((THREAD_MERGE.tooBigShare * (1 - THREAD_MERGE.tooBigShare)) / c.maps);
    expect(Math.abs(share - THREAD_MERGE.tooBigShare)).toBeLessThan(4 * sd);
  });

  it("draws the stated mean of reads per request", () => {
    const mean = reads / c.maps;
    // The geometric's variance p / (1 - p)^2, capped: the mean within 4 standard errors.
    const se = Math.sqrt(merge.p / (1 - merge.p) ** 2 / c.maps);
    expect(Math.abs(mean - meanIosPerRequest(merge))).toBeLessThan(4 * se);
  });

  it("counts IOPS in 4 KiB reads: the series adds up to the reads completed, several per map", () => {
    const sumIops = r.series.iops.reduce((a, b) => a + b, 0) * 0.25;
    expect(sumIops).toBeCloseTo(c.ios, 6);
    expect(c.ios).toBeGreaterThan(5 * c.maps * 0.9);
  });

  it("caches IOVAs of all six orders", () => {
    const dump = r.dumps[r.dumps.length - 1]!;
    const perOrder = [0, 1, 2, 3, 4, 5].map((o) =>
      dump.cpus.reduce((a, cpu) => a + cpu.loaded[o]! + cpu.prev[o]!, 0) + dump.depot[o]!);
    for (const n of perOrder) expect(n).toBeGreaterThan(0);
  });

  it("is the same run for the same seed, another for another", () => {
    const again = simulate(small());
    expect(again.counters).toEqual(r.counters);
    expect(again.series).toEqual(r.series);
    const other = simulate(small({ seed: 4 }));
    expect(other.counters.maps).not.toBe(r.counters.maps);
  });
});

describe("each read pays its own submission", () => {
  it("CPU-bound, merged or not, the jobs run at 1 / submitNs reads a second", () => {
    // Completions on other CPUs (job CPUs 0 and 4, interrupts on 1 and 5): the job CPUs only submit and map.
    const costs = { submitNs: 5000, completeNs: 1000, deviceBaseNs: 20_000 };
    const merged = simulate(small({ costs, iodepth: 16, completion: "other" }));
    const single = simulate(small({ costs, iodepth: 64, completion: "other", merge: undefined }));
    const bound = 2 * (1e9 / 5000);
    const iops = (x: typeof merged) => x.counters.ios / (x.config.durationMs / 1000);
    expect(iops(merged) / bound).toBeGreaterThan(0.97);
    expect(iops(merged) / bound).toBeLessThanOrEqual(1.0001);
    expect(iops(single) / bound).toBeGreaterThan(0.97);
    // The merged run maps a request per 7.4 reads; the single one a request per read.
    expect(single.counters.maps).toBeCloseTo(single.counters.ios + single.counters.drainedIos, -1);
    expect(merged.counters.maps * 5).toBeLessThan(merged.counters.ios);
  });
});

describe("the loop's table of I/O counts (assembly/sim/merge.ts)", () => {
  /** The generator's grid: u = j 2^-53. */
  const GRID = 2 ** -53;
  const onGrid = (u: number) => Math.floor(u / GRID) * GRID;

  it("gives the model's formula's count for every draw tried: random ones and those next to each count's threshold", () => {
    for (const m of [merge, { p: 0.5, maxIos: 3 }, { p: 0.99, maxIos: 65536 }, { p: 1e-6, maxIos: 2 }]) {
      const run = setUpRun(resolveSimOptions(small({ merge: m })));
      const us: number[] = [0, 0.5, onGrid(1 - GRID)];
      let x = 12345;
      for (let i = 0; i < 100_000; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        us.push(onGrid(x / 2 ** 31));
      }
      // Count n + 1 begins where p^n = 1 - u: the draws around it, to the grid's step and to the table's guard (2^-32).
      for (let n = 1; n < 200 && m.p ** n > 1e-15; n++) {
        const edge = onGrid(1 - m.p ** n);
        for (const d of [0, 1, 2, 3, 2 ** 10, 2 ** 20, 2 ** 21, 2 ** 22]) {
          for (const u of [edge + d * GRID, edge - d * GRID]) if (u >= 0 && u < 1) us.push(u);
        }
      }
      let differ = 0;
      let above1 = 0;
      for (const u of us) {
        const table = run.sim.mergeIos(u, true);
        if (table !== run.sim.mergeIos(u, false)) differ++;
        if (table > 1) above1++;
      }
      run.domain.destroy();
      expect(differ, `p ${m.p}, maxIos ${m.maxIos}`).toBe(0);
      expect(above1).toBeGreaterThan(0);
    }
  });
});
