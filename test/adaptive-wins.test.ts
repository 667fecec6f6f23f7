// Issue 11's bar for adaptive, on the study's model of the thread's machine
// (planStudy: 96 CPUs, 12 jobs, the thread's costs) with a load that makes
// reclaim work while the others map: jobs migrate every 200 ms, so caches
// are left behind on CPUs nobody uses and adaptive returns them under load.
// Every figure compared comes from the simulator's results.
import { beforeAll, describe, expect, it } from "vitest";
import { planStudy } from "../dist/src/study/options.js";
import { FALL } from "../dist/src/study/verdict.js";
import { simulate, type SimResult } from "../dist/src/sim/engine.js";

const max = (a: number[]) => Math.max(...a);

describe("adaptive against linux-6.4 while reclaim runs under load", () => {
  // The load this bar was set on: unmerged I/Os, 1% of 256 KiB (the study's
  // default before it merged the thread's sequential reads into requests).
  // On the merged default (IOVAs of all six orders) adaptive does not pass
  // this bar today (seed 1, 2 s: 2.24M reads against linux-6.4's 2.78M, worst
  // map 3.7 ms against 344 us, peak cached 24.6K IOVAs against 1.25 x 15.8K):
  // reported to study-mech, who owns adaptive's win.
  const plan = planStudy({
    policies: ["adaptive", "linux-6.4"], migrateMs: 200, seconds: 2, intervalMs: 500, bs: "4k/99:256k/1", merge: false,
  });
  const [adaptiveCfg, linuxCfg] = plan.configs;
  let adaptive: SimResult;
  let linux: SimResult;
  let pinned: SimResult;

  beforeAll(() => {
    adaptive = simulate(adaptiveCfg!);
    linux = simulate(linuxCfg!);
    // The working set of this load: the same jobs pinned, so that every cached
    // pfn sits on a CPU the load is using (nothing is left behind).
    pinned = simulate({ ...adaptiveCfg!, migrateMs: 0 });
  }, 300_000);

  it("runs: books balance, and adaptive's reclaim did return pfns under the tree lock", () => {
    for (const r of [adaptive, linux, pinned]) expect(r.books.ok, r.books.problems.join("; ")).toBe(true);
    expect(adaptive.counters.migrations).toBeGreaterThan(50);
    expect(adaptive.counters.policyTreeHolds).toBeGreaterThan(50);
  });

  it("no fall: every sample keeps at least 75% of the first one's IOPS", () => {
    const iops = adaptive.series.iops;
    for (const v of iops) expect(v).toBeGreaterThanOrEqual(FALL * iops[0]!);
  });

  it("cached memory stays near the working set (within a quarter above it), and below linux-6.4's", () => {
    const w = max(pinned.series.cachedTotal);
    expect(max(adaptive.series.cachedTotal)).toBeLessThanOrEqual(1.25 * w);
    expect(adaptive.series.cachedTotal.at(-1)!).toBeLessThanOrEqual(linux.series.cachedTotal.at(-1)!);
  });

  it("IOPS at least linux-6.4's", () => {
    expect(adaptive.counters.ios).toBeGreaterThanOrEqual(linux.counters.ios);
  });

  it("worst map latency no worse than linux-6.4's, and no reclaim hold longer than a slice's frees", () => {
    expect(adaptive.latency.map.max).toBeLessThanOrEqual(linux.latency.map.max);
    const c = adaptiveCfg!.costs;
    const slice = adaptiveCfg!.reclaimSlicePfns;
    // The slice's frees, the lock, one hand-off; + 1 ns: a hold is the difference of two simulated times in f64.
    const bound = slice * c.treeFreeNs + c.lockNs + Math.max(c.lockHandoffNs, c.lockHandoffRemoteNs) + 1;
    expect(adaptive.counters.policyTreeMaxHoldNs).toBeLessThanOrEqual(bound);
  });
});
