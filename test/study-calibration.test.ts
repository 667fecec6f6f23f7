// The study's reading of its own run: the calibration table ("thread vs this
// run") is computed from the run's series, and a run is determined by its seed.
import { describe, expect, it } from "vitest";
import { summarize } from "../dist/src/report/table.js";
import { reportTableText } from "../dist/src/report/table.js";
import type { PolicyResult } from "../dist/src/report/types.js";
import { calibrationTable, calibrationValues, runStudy, THREAD_OBSERVED } from "../dist/src/study/index.js";

const small = { seconds: 4, intervalMs: 250, cpus: 8, jobs: 4, iodepth: 8, migrateMs: 200, seed: 5 };

describe("calibration table", () => {
  it("takes every figure from the run's own series", () => {
    // Faithful: the run length is not compressed, so the thread's seconds are the run's.
    const study = runStudy({ ...small, faithful: true, policies: ["linux-5.10"] });
    const p = study.result.policies[0]!;
    const v = study.result.calibration!;
    expect(v.policy).toBe("linux-5.10");
    expect(v.iopsStart).toBe(p.summary.iopsStart);
    expect(v.iopsEnd).toBe(p.summary.iopsEnd);
    expect(v.worst10s).toBe(p.summary.worst10s);
    expect(v.onsetAt).toBe(p.summary.cliffAt);
    // A 4 s run does not reach the thread's dump times: it compares its last sample, and says so.
    const last = p.series.t.length - 1;
    for (const d of v.dumps) {
      expect(d.reached).toBe(false);
      expect(d.runT).toBe(p.series.t[last]);
      expect([d.cpuTotal, d.depotTotal, d.total]).toEqual([p.series.cpuTotal[last], p.series.depotTotal[last], p.series.cachedTotal[last]]);
    }
    const text = reportTableText(study.result.reading.tables[0]!);
    expect(text).toMatch(/^thread vs this run/);
    expect(text.replace(/\s+/g, " ")).toContain("(run ends at 4s)");
    expect(text).toContain("cpu/depot/total at 13,175 s");
    for (const l of text.split("\n")) expect(l.length, l).toBeLessThanOrEqual(80);

    // With a time scale that puts both dumps inside the run, each row is the sample at that time.
    const scale = THREAD_OBSERVED.dumps[1]!.t / 3.9;
    const w = calibrationValues(p, 8, scale);
    for (const [k, d] of w.dumps.entries()) {
      const at = THREAD_OBSERVED.dumps[k]!.t / scale;
      const i = p.series.t.findLastIndex((t) => t <= at + 1e-9);
      expect(d.reached).toBe(true);
      expect(d.runT).toBe(p.series.t[i]);
      expect(d.total).toBe(p.series.cachedTotal[i]);
    }
  });

  it("finds when each depot bin first held its bound", () => {
    const n = 40;
    const t = Array.from({ length: n }, (_, i) => i + 1);
    const mags = [0, 1, 2, 3, 4, 5].map((o) => t.map((x) => Math.min(32, Math.floor(x * (o + 1) / 4))));
    const series = {
      t, iops: t.map((x) => (x < 20 ? 1e6 : 4e5)), cachedTotal: t.map((x) => x * 100), cpuTotal: t.map((x) => x * 60),
      depotTotal: t.map((x) => x * 40), treeSize: t.map((x) => x * 110), depotMags: mags,
      depotFullEvents: t.map(() => 0), magsFreedToTree: t.map(() => 0), fqTimerFirings: t.map(() => 0), fqDepthMax: t.map(() => 0),
    };
    const p: PolicyResult = { policy: "linux-5.10", series, summary: summarize(series, 1) };
    const v = calibrationValues(p, 96);
    expect(v.depotBound).toBe(32);
    // order o holds floor(t (o+1) / 4) magazines: 32 first at t = ceil(128 / (o+1)), if the run gets there.
    expect(v.depotFullAt).toEqual([null, null, null, 32, 26, 22]);
    expect(v.onsetAt).toBe(p.summary.cliffAt);
    const table = calibrationTable(v);
    const fill = table.rows.find((r) => r[0] === "depot bins fill")!;
    expect(fill[2]).toBe("3 of 6 full, first at 22s");
    // Unbounded depots have no bins to fill.
    expect(calibrationValues({ ...p, policy: "linux-6.4" }, 96).depotFullAt).toEqual([null, null, null, null, null, null]);
  });
});

describe("determinism", () => {
  it("the same seed gives the same run; another seed another", () => {
    const o = { ...small, seconds: 1, policies: ["linux-5.10", "adaptive"] as ("linux-5.10" | "adaptive")[] };
    const a = runStudy(o);
    const b = runStudy(o);
    const c = runStudy({ ...o, seed: 6 });
    a.result.policies.forEach((p, i) => {
      expect(b.result.policies[i]!.series).toEqual(p.series);
      expect(b.result.policies[i]!.instruments).toEqual(p.instruments);
    });
    expect(c.result.policies[0]!.series.iops).not.toEqual(a.result.policies[0]!.series.iops);
  });
});
