// Issue 11's bar for adaptive, on the study's model of the thread's machine
// (planStudy: 96 CPUs, 12 jobs, the thread's costs): no fall, cached memory
// near the working set, I/Os at least linux-6.4's, worst map latency no
// worse than linux-6.4's. Three loads: the study's default (merged requests,
// jobs pinned: the faithful one), the same with jobs that migrate every
// second (caches left behind on CPUs nobody uses, which adaptive reclaims),
// and the same machine with unmerged I/Os and migration. Every figure
// compared comes from the simulator's results.
import { beforeAll, describe, expect, it } from "vitest";
import { planStudy, type StudyOptions } from "../dist/src/study/options.js";
import { FALL } from "../dist/src/study/verdict.js";
import { simulate, type SimResult } from "../dist/src/sim/engine.js";

const max = (a: number[]) => Math.max(...a);

/** No sample below FALL of the first one's IOPS: the study's fall. */
function expectNoFall(r: SimResult): void {
  const iops = r.series.iops;
  for (const v of iops) expect(v).toBeGreaterThanOrEqual(FALL * iops[0]!);
}

/** adaptive's and linux-6.4's runs of the study's merged load with `o`, simulated before the block's tests. */
function mergedPair(o: StudyOptions, timeoutMs: number): { adaptive: SimResult; linux: SimResult } {
  const [adaptiveCfg, linuxCfg] = planStudy({ policies: ["adaptive", "linux-6.4"], ...o }).configs;
  const runs = {} as { adaptive: SimResult; linux: SimResult };
  beforeAll(() => {
    expect(adaptiveCfg!.merge).not.toBeNull();
    runs.adaptive = simulate(adaptiveCfg!);
    runs.linux = simulate(linuxCfg!);
  }, timeoutMs);
  return runs;
}

describe("adaptive against linux-6.4 on the study's default load (merged requests, jobs pinned)", () => {
  // Before the reclaim kept the load's recent draw on the depot and handed
  // idle CPU caches to the depot instead of the tree, adaptive lost here
  // (10 s, seed 1: 1.4% fewer I/Os, worst map 4.7 ms against 460 us).
  const runs = mergedPair({ seconds: 3 }, 300_000);

  it("runs: books balance", () => {
    for (const r of [runs.adaptive, runs.linux]) expect(r.books.ok, r.books.problems.join("; ")).toBe(true);
  });

  it("no fall, reads at least linux-6.4's, worst map no worse", () => {
    expectNoFall(runs.adaptive);
    expect(runs.adaptive.counters.ios).toBeGreaterThanOrEqual(runs.linux.counters.ios);
    expect(runs.adaptive.latency.map.max).toBeLessThanOrEqual(runs.linux.latency.map.max);
  });

  it("nothing here is surplus: no pfn goes back to the tree, and the cache holds no more than linux-6.4's", () => {
    // Every depot magazine is within what the load drew in its busiest
    // recent interval, and no CPU the load uses idles for REAPTIMEOUT_AC.
    expect(runs.adaptive.counters.policyTreeHolds).toBe(0);
    expect(max(runs.adaptive.series.cachedTotal)).toBeLessThanOrEqual(max(runs.linux.series.cachedTotal));
  });
});

describe("adaptive against linux-6.4 on the faithful merged load while jobs migrate (a migration a second)", () => {
  // `iova aging --faithful --migrate-ms 1000`, 20 s. Before the reclaim kept
  // to pfns below the tree's cached node (magFreeKeepingStart), each slice
  // it freed above it sent the next too-big map's walk through the cached
  // nodes: 300 s, seed 1, 22.4 ms worst map against linux-6.4's 618 us,
  // walks of up to 35K nodes (4.3 ms holds), 1.1% fewer I/Os
  // (docs/adaptive-policy.md).
  const load = { faithful: true, seconds: 20, migrateMs: 1000 } as const;
  const runs = mergedPair(load, 600_000);
  // The resolution of an I/O count on this load: linux-6.4 against itself with one cost moved by a
  // millionth (0.1 ns on a 100 us read), which changes no policy's choice but the times of events,
  // and with them which lock holds meet. Both policies see the same draws (a random stream per job
  // and kind, assembly/sim/random.ts), so a difference below this is the model's noise, not a cost.
  let control: SimResult;
  beforeAll(() => {
    const cfg = planStudy({ policies: ["linux-6.4"], ...load }).configs[0]!;
    control = simulate({ ...cfg, costs: { ...cfg.costs, deviceBaseNs: cfg.costs.deviceBaseNs * (1 + 1e-6) } });
  }, 600_000);

  it("runs: books balance, the jobs migrated, and adaptive gave back to the tree", () => {
    for (const r of [runs.adaptive, runs.linux]) expect(r.books.ok, r.books.problems.join("; ")).toBe(true);
    expect(runs.adaptive.counters.migrations).toBeGreaterThan(150);
    expect(runs.adaptive.counters.policyTreeHolds).toBeGreaterThan(0);
  });

  it("no fall, I/Os at least linux-6.4's less the control's resolution, worst map no worse, no tree-lock hold longer than linux-6.4's", () => {
    expectNoFall(runs.adaptive);
    const resolution = Math.abs(control.counters.ios - runs.linux.counters.ios);
    expect(control.books.ok).toBe(true);
    expect(runs.adaptive.counters.ios).toBeGreaterThanOrEqual(runs.linux.counters.ios - resolution);
    // Measured (stream per job and kind, re-priced 32-hold booking): 20 s seed 1, adaptive 27,682,560
    // I/Os, linux-6.4 27,676,396, the control 27,676,972 (resolution 576); worst map 153 against
    // 238 us. The 300 s runs of seeds 1-10 are in docs/adaptive-policy.md.
    expect(runs.adaptive.latency.map.max).toBeLessThanOrEqual(runs.linux.latency.map.max);
    expect(runs.adaptive.counters.treeLockMaxHoldNs).toBeLessThanOrEqual(runs.linux.counters.treeLockMaxHoldNs);
    expect(runs.adaptive.counters.walkSteps).toBeLessThanOrEqual(runs.linux.counters.walkSteps);
  });

  it("holds less than linux-6.4 at its peak and at the end", () => {
    expect(max(runs.adaptive.series.cachedTotal)).toBeLessThan(max(runs.linux.series.cachedTotal));
    expect(runs.adaptive.series.cachedTotal.at(-1)!).toBeLessThan(runs.linux.series.cachedTotal.at(-1)!);
  });
});

describe("adaptive against linux-6.4 while jobs migrate (unmerged I/Os, a migration a second)", () => {
  // The load of the study's "migration 1 s" ablation, unmerged: 1% of
  // 256 KiB, too big to cache. A CPU a job left idles past REAPTIMEOUT_AC
  // (2 s), so its caches go to the depot, where the jobs' new CPUs take them,
  // or, unused through two intervals, back to the tree. 20 s: long enough
  // for the stranded caches to come back many times (before the sweep's
  // hand-overs went back without the reserve, the cache grew each time).
  const load = { migrateMs: 1000, seconds: 20, intervalMs: 1000, bs: "4k/99:256k/1", merge: false } as const;
  const plan = planStudy({ policies: ["adaptive", "linux-6.4"], ...load });
  const [adaptiveCfg, linuxCfg] = plan.configs;
  const pinnedCfg = planStudy({ policies: ["adaptive"], ...load, migrateMs: 0 }).configs[0]!;
  let adaptive: SimResult;
  let linux: SimResult;
  let pinned: SimResult;

  beforeAll(() => {
    adaptive = simulate(adaptiveCfg!);
    linux = simulate(linuxCfg!);
    pinned = simulate(pinnedCfg);
  }, 600_000);

  it("runs: books balance, and the jobs did migrate", () => {
    for (const r of [adaptive, linux, pinned]) expect(r.books.ok, r.books.problems.join("; ")).toBe(true);
    expect(adaptive.counters.migrations).toBeGreaterThan(150);
    expect(pinned.counters.migrations).toBe(0);
  });

  it("no fall", () => {
    expectNoFall(adaptive);
  });

  it("the caches the jobs left went back: fewer pfns on CPUs and in all than linux-6.4 holds at the end", () => {
    expect(adaptive.series.cpuTotal.at(-1)!).toBeLessThan(linux.series.cpuTotal.at(-1)!);
    expect(adaptive.series.cachedTotal.at(-1)!).toBeLessThan(linux.series.cachedTotal.at(-1)!);
    expect(max(adaptive.series.cachedTotal)).toBeLessThanOrEqual(max(linux.series.cachedTotal));
  });

  it("cached memory stays near the working set: what a miss adds is gone within REAPTIMEOUT_AC and three intervals", () => {
    // The working set: the most the same load keeps cached with its jobs
    // pinned (no cache is ever left behind). Under migration the caches
    // hold more only by misses: a job's new CPU allocates from the tree
    // while its old CPU's magazines wait out REAPTIMEOUT_AC (2 s). Those
    // come back to the depot at the first sweep after it (one interval),
    // and what then sits unused through two intervals goes to the tree. So
    // a pfn a miss added is beyond the working set for at most 2 s + 3
    // intervals, and by Little's law the mean excess is at most the run's
    // miss rate times that. A cache that never gives back what a migration
    // made it take (the ratchet) exceeds it: adaptive before the sweep's
    // hand-overs went back without the reserve did (second half's mean
    // 6,780 against a bound of 6,467).
    const workingSet = max(pinned.series.cachedTotal);
    const residenceS = (2000 + 3 * adaptiveCfg!.reclaimIntervalMs) / 1000;
    const missesPerS = adaptive.counters.cacheMisses / load.seconds;
    const secondHalf = adaptive.series.cachedTotal.slice(load.seconds / 2);
    const mean = secondHalf.reduce((a, b) => a + b, 0) / secondHalf.length;
    expect(mean).toBeLessThanOrEqual(workingSet + missesPerS * residenceS);
    expect(adaptive.counters.policyTreeHolds).toBeGreaterThan(0);  // it did give back
  });

  it("I/Os at least linux-6.4's, worst map no worse, no reclaim hold longer than a slice's frees", () => {
    expect(adaptive.counters.ios).toBeGreaterThanOrEqual(linux.counters.ios);
    expect(adaptive.latency.map.max).toBeLessThanOrEqual(linux.latency.map.max);
    const c = adaptiveCfg!.costs;
    // The slice's frees, the lock, one hand-off; + 1 ns: a hold is the difference of two simulated times in f64.
    const bound = adaptiveCfg!.reclaimSlicePfns * c.treeFreeNs + c.lockNs + Math.max(c.lockHandoffNs, c.lockHandoffRemoteNs) + 1;
    expect(adaptive.counters.policyTreeMaxHoldNs).toBeLessThanOrEqual(bound);
  });
});
