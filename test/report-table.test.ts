import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatChange, summarize, summaryTable, SUMMARY_COLUMNS } from "../dist/src/report/table.js";
import { formatNumber, formatSeconds } from "../dist/src/report/format.js";
import { writeReport } from "../dist/src/report/write.js";
import type { PolicyResult, StudyResult } from "../dist/src/report/types.js";

/** Series with t = interval, 2*interval, ... and the given iops samples. */
function series(iops: number[], interval = 1, extra: { cached?: number[]; tree?: number[] } = {}) {
  const t = iops.map((_, i) => (i + 1) * interval);
  const zeros = iops.map(() => 0);
  return {
    t,
    iops,
    cachedTotal: extra.cached ?? zeros,
    cpuTotal: zeros,
    depotTotal: zeros,
    treeSize: extra.tree ?? zeros,
    depotMags: [0, 1, 2, 3, 4, 5].map(() => zeros),
    depotFullEvents: zeros,
    magsFreedToTree: zeros,
    fqTimerFirings: zeros,
    fqDepthMax: zeros,
  };
}
const fill = (n: number, v: number): number[] => Array.from({ length: n }, () => v);

describe("summarize", () => {
  it("finds a cliff: end below half of start, and when the 10 s average crossed", () => {
    // 1000 IOPS for 600 s, then 200 IOPS for 400 s, sampled every second.
    const s = series([...fill(600, 1000), ...fill(400, 200)], 1, {
      cached: Array.from({ length: 1000 }, (_, i) => i * 3),
      tree: Array.from({ length: 1000 }, (_, i) => (i === 700 ? 9999 : 10)),
    });
    const r = summarize(s, 1);
    expect(r.iopsStart).toBe(1000);
    expect(r.iopsEnd).toBe(200);
    expect(r.worst10s).toBe(200);
    expect(r.peakCached).toBe(2997);
    expect(r.peakTree).toBe(9999);
    expect(r.cliff).toBe(true);
    // The trailing 10-sample mean drops below 500 once 7 of its samples are
    // low: samples 600..606, i.e. t = 607 s.
    expect(r.cliffAt).toBe(607);
  });

  it("reports no cliff for a steady run", () => {
    const r = summarize(series(fill(500, 800)), 1);
    expect(r).toEqual({ iopsStart: 800, iopsEnd: 800, worst10s: 800, peakCached: 0, peakTree: 0, cliff: false, cliffAt: null });
  });

  it("a transient dip sets cliffAt and worst10s but is not a cliff", () => {
    const iops = fill(1000, 1000);
    for (let i = 400; i < 406; i++) iops[i] = 0; // six seconds at zero
    const r = summarize(series(iops), 1);
    expect(r.cliff).toBe(false);
    expect(r.worst10s).toBe(400); // 4 good + 6 zero samples in the worst window
    expect(r.cliffAt).toBe(406);
  });

  it("sizes the window from the sampling interval", () => {
    // 0.5 s samples: the 10 s window is 20 samples; a 10-sample dip only
    // halves it, which is not below half.
    const iops = fill(400, 100);
    for (let i = 200; i < 210; i++) iops[i] = 0;
    const r = summarize(series(iops, 0.5), 0.5);
    expect(r.worst10s).toBe(50);
    expect(r.cliffAt).toBeNull();
    // 20 s samples: each sample is its own window.
    const coarse = summarize(series([100, 100, 100, 100, 100, 100, 100, 100, 100, 10], 20), 20);
    expect(coarse.worst10s).toBe(10);
    expect(coarse.cliff).toBe(true);
    expect(coarse.cliffAt).toBe(200);
  });

  it("copes with empty, short and NaN-containing series", () => {
    expect(summarize(series([]), 1)).toEqual({ iopsStart: 0, iopsEnd: 0, worst10s: 0, peakCached: 0, peakTree: 0, cliff: false, cliffAt: null });
    const short = summarize(series([10, 20, 30]), 1); // shorter than one window
    expect(short.worst10s).toBe(20);
    const nan = summarize(series([NaN, 100, 100, NaN, 100, 100, 100, 100, 100, 100, 100, 100]), 1);
    expect(nan.iopsStart).toBe(100);
    expect(Number.isFinite(nan.worst10s)).toBe(true);
    expect(() => summarize(series([1]), 0)).toThrow(RangeError);
  });
});

describe("summaryTable", () => {
  const policy = (name: string, iops: number[], cached: number[]): PolicyResult => {
    const s = series(iops, 1, { cached, tree: cached.map((c) => Math.round(c / 7)) });
    return { policy: name, series: s, summary: summarize(s, 1) };
  };
  const result: StudyResult = {
    meta: { tool: "iova-wasm", version: "0.1.0", date: "2025-01-01", node: "v20", machine: "test", seed: 7, simulatedSeconds: 600, wallSeconds: 3, config: {} },
    policies: [
      policy("linux-5.10", [...fill(300, 412_345), ...fill(300, 51_000)], Array.from({ length: 600 }, (_, i) => i * 2345)),
      policy("linux-6.4", fill(600, 398_765.4), fill(600, 12_345)),
      policy("adaptive", fill(600, 1234.5), fill(600, 999.96)),
    ],
  };
  let dir = "";
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it("prints aligned columns with the same numbers as study.json and study.html", async () => {
    dir = await mkdtemp(join(tmpdir(), "report-table-"));
    const paths = await writeReport(result, dir);
    const json = JSON.parse(await readFile(paths.json, "utf8")) as StudyResult;
    const text = await readFile(paths.summary, "utf8");
    expect(text).toContain(summaryTable(result));

    const all = summaryTable(result).trimEnd().split("\n");
    // Two heading lines (stacked), then the rule: the table fits 80 columns.
    expect(all[0]!.trim().split(/\s{2,}/)).toEqual(SUMMARY_COLUMNS.map((c) => c[0]).filter(Boolean));
    expect(all[1]!.trim().split(/\s{2,}/)).toEqual(SUMMARY_COLUMNS.map((c) => c[1]));
    expect(all[2]).toMatch(/^[- ]+$/);
    for (const l of all) expect(l.length).toBeLessThanOrEqual(80);
    const lines = all.slice(1);
    // Aligned: every line ends its numeric columns at the same offsets.
    const ends = (l: string) => [...l.matchAll(/\S+(?=\s{2,}|$)/g)].map((m) => m.index! + m[0].length);
    for (const l of lines.slice(2)) expect(ends(l).slice(1)).toEqual(ends(lines[0]!).slice(1));

    const html = await readFile(paths.html, "utf8");
    const htmlRows = [...html.matchAll(/<tr[^>]*>(<td>.*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]));

    json.policies.forEach((p, i) => {
      const s = p.summary;
      const expected = [
        p.policy,
        formatNumber(s.iopsStart),
        formatNumber(s.iopsEnd),
        formatChange(s.iopsEnd, s.iopsStart),
        formatNumber(s.worst10s),
        formatChange(s.worst10s, s.iopsStart),
        formatNumber(s.peakCached),
        formatNumber(s.peakTree),
      ];
      expect(lines[i + 2]!.trim().split(/\s{2,}/)).toEqual(expected);
      expect(htmlRows[i]).toEqual(expected);
    });
    // Spot-check the formatted values: peak tree 1_404_655 / 7 -> 201K; the
    // run ends and bottoms out at 51K, 88% below its start.
    expect(lines[2]).toMatch(/^linux-5\.10\s+412K\s+51K\s+-88%\s+51K\s+-88%\s+1\.4M\s+201K$/);
    expect(lines[4]).toMatch(/^adaptive\s+1\.23K\s+1\.23K\s+0%\s+1\.23K\s+0%\s+1K\s+143$/);
  });
});
