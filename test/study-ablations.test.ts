// Ablations: one mechanism changed at a time, each run a whole study whose
// figures are read from its own run and set against the baseline's.
import { describe, expect, it } from "vitest";
import { formatNumber } from "../dist/src/report/format.js";
import { formatChange, reportTableText } from "../dist/src/report/table.js";
import { ABLATIONS, BASELINE, ablationRecords, ablationTables, runAblations, runStudyParallel } from "../dist/src/study/index.js";

describe("ablations", () => {
  it("runs each ablation and tabulates it from its own run, against the baseline", async () => {
    const base = { seconds: 1, intervalMs: 250, cpus: 8, jobs: 4, iodepth: 8, seed: 2 };
    const baseline = await runStudyParallel({ ...base, policies: ["linux-5.10"], parallel: 1 });
    const runs = await runAblations(base, ["linux-5.10"], 2, undefined, baseline);
    expect(runs.map((r) => r.ablation.name)).toEqual(ABLATIONS.map((a) => a.name));
    // The baseline study stands for the first row; it is not run again.
    expect(runs[0]!.ablation.name).toBe(BASELINE);
    expect(runs[0]!.study).toBe(baseline);
    const run = (name: string) => runs.find((r) => r.ablation.name === name)!.study.result;
    expect(run("strict").meta.config).toMatchObject({ strict: true });
    expect(runs[0]!.study.result.meta.config).toMatchObject({ strict: false, dma32First: true, fqTimerDrain: "timer-cpu" });
    expect(run("per-CPU drain").meta.config).toMatchObject({ fqTimerDrain: "own-cpu" });
    expect(run("no tree wait").meta.config).toMatchObject({ contendedLocks: ["depot", "fq"] });
    expect(run("no depot-full").meta.config).toMatchObject({ depotMax: 1024 });
    expect(run("v6.x tree").policies[0]!.era).toBe("v6.x");
    expect(run("v5.10 tree").policies[0]!.era).toBe("v5.10");
    // The window-full experiment leaves 4,096 pfns of the 32-bit space, and they fill.
    expect(run("window full").reading.compression.join(" ")).toContain("4.1K pfns");
    expect(Math.max(...run("window full").policies[0]!.instruments!.window32Used!)).toBeGreaterThan(
      Math.max(...runs[0]!.study.result.policies[0]!.instruments!.window32Used!));

    const records = ablationRecords(runs, ["linux-5.10"]);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const b = runs[0]!.study.result.policies[0]!;
    records.forEach((r, i) => {
      const p = runs[i]!.study.result.policies[0]!;
      const f = r.policies[0]!.figures;
      expect(f.iops).toBeCloseTo(mean(p.series.iops), 6);
      expect(f.peakCached).toBe(p.summary.peakCached);
      expect(f.depotFills).toBe(p.engine.counters.depotFullEvents);
      if (i === 0) expect(f.iopsVsBase).toBeNull();
      else expect(f.iopsVsBase!).toBeCloseTo(mean(p.series.iops) / mean(b.series.iops) - 1, 9);
    });
    // The per-CPU drain moves no entry between CPUs; the kernel's timer does.
    const fig = (name: string) => records.find((r) => r.name === name)!.policies[0]!.figures;
    expect(fig(BASELINE).fqForeignFrees).toBeGreaterThan(0);
    expect(fig("per-CPU drain").fqForeignFrees).toBe(0);

    const [table] = ablationTables(records);
    expect(table!.rows).toHaveLength(ABLATIONS.length);
    table!.rows.forEach((row, i) => {
      const f = records[i]!.policies[0]!.figures;
      expect(row.slice(0, 5)).toEqual([ABLATIONS[i]!.name, formatNumber(f.iops),
        i === 0 ? "-" : formatChange(1 + f.iopsVsBase!, 1), formatNumber(f.peakCached), i === 0 ? "-" : formatChange(1 + f.cachedVsBase!, 1)]);
    });
    for (const l of reportTableText(table!).split("\n")) expect(l.length, l).toBeLessThanOrEqual(80);
  });
});
