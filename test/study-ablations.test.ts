// Ablations: one mechanism changed at a time, each run a whole study whose
// row in the table is read from its own summary.
import { describe, expect, it } from "vitest";
import { formatNumber } from "../dist/src/report/format.js";
import { formatChange, reportTableText } from "../dist/src/report/table.js";
import { ABLATIONS, ablationTable, runAblations } from "../dist/src/study/index.js";

describe("ablations", () => {
  it("runs each ablation and tabulates it from its own run", async () => {
    const base = { seconds: 1, intervalMs: 250, cpus: 8, jobs: 4, iodepth: 8, seed: 2 };
    const runs = await runAblations(base, ["linux-5.10"], 2);
    expect(runs.map((r) => r.ablation.name)).toEqual(ABLATIONS.map((a) => a.name));
    const strict = runs.find((r) => r.ablation.name === "strict")!;
    expect(strict.study.result.meta.config).toMatchObject({ strict: true });
    expect(runs[0]!.study.result.meta.config).toMatchObject({ strict: false, dma32First: true });
    const run = (name: string) => runs.find((r) => r.ablation.name === name)!.study.result;
    expect(run("v6.x tree").policies[0]!.era).toBe("v6.x");
    expect(run("v5.10 tree").policies[0]!.era).toBe("v5.10");
    // The window-full experiment leaves 4,096 pfns of the 32-bit space, and they fill.
    expect(run("window full").reading.compression.join(" ")).toContain("4.1K pfns");
    expect(Math.max(...run("window full").policies[0]!.instruments!.window32Used!)).toBeGreaterThan(
      Math.max(...runs[0]!.study.result.policies[0]!.instruments!.window32Used!));
    const table = ablationTable(runs);
    expect(table.rows).toHaveLength(ABLATIONS.length);
    table.rows.forEach((row, i) => {
      const s = runs[i]!.study.result.policies[0]!.summary;
      expect(row.slice(0, 6)).toEqual([ABLATIONS[i]!.name, "linux-5.10", formatNumber(s.iopsStart),
        formatChange(s.iopsEnd, s.iopsStart), formatChange(s.worst10s, s.iopsStart), formatNumber(s.peakCached)]);
    });
    for (const l of reportTableText(table).split("\n")) expect(l.length, l).toBeLessThanOrEqual(80);
  });
});
