import { describe, expect, it } from "vitest";
import { lineChart, type ChartSeries } from "../dist/src/report/svg.js";
import { linearTicks, logTicks } from "../dist/src/report/ticks.js";
import { downsampleMinMax } from "../dist/src/report/downsample.js";
import { formatNumber, formatSeconds } from "../dist/src/report/format.js";
import { renderHtml } from "../dist/src/report/html.js";
import type { StudyResult } from "../dist/src/report/types.js";

const base = { title: "t", xLabel: "x", yLabel: "y", width: 600, height: 300 };

/** Every numeric attribute value in the markup. */
function numericAttrs(svg: string): string[] {
  return [...svg.matchAll(/\s(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)"/g)].map((m) => m[1]!);
}
const pathDs = (svg: string): string[] => [...svg.matchAll(/<path[^>]*\sd="([^"]*)"/g)].map((m) => m[1]!);

describe("ticks", () => {
  it("picks 1/2/2.5/5 x 10^k steps and extends the y domain to whole steps", () => {
    expect(linearTicks(0, 97, { extend: true })).toEqual({ lo: 0, hi: 100, ticks: [0, 20, 40, 60, 80, 100] });
    expect(linearTicks(0, 1, { extend: true }).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(0, 11_000, { extend: true }).ticks).toEqual([0, 2500, 5000, 7500, 10000, 12500]);
    expect(linearTicks(-3, 7, { extend: true }).ticks).toEqual([-4, -2, 0, 2, 4, 6, 8]);
  });

  it("keeps the x domain at the data range and uses clock steps for seconds", () => {
    const t = linearTicks(1, 3600, { time: true, target: 6 });
    expect(t.lo).toBe(1);
    expect(t.hi).toBe(3600);
    expect(t.ticks).toEqual([600, 1200, 1800, 2400, 3000, 3600]);
    expect(t.ticks.map(formatSeconds)).toEqual(["10m", "20m", "30m", "40m", "50m", "1h"]);
    expect(linearTicks(0, 86400 * 3, { time: true, target: 6 }).ticks.map(formatSeconds)).toEqual([
      "0s", "12h", "1d", "1d12h", "2d", "2d12h", "3d",
    ]);
  });

  it("handles degenerate and non-finite ranges", () => {
    expect(linearTicks(0, 0, { extend: true })).toMatchObject({ lo: 0, hi: 1 });
    const single = linearTicks(50, 50, { extend: true });
    expect(single.lo).toBeLessThan(50);
    expect(single.hi).toBeGreaterThan(50);
    expect(linearTicks(NaN, Infinity).ticks.every(Number.isFinite)).toBe(true);
  });

  it("uses decades on log axes", () => {
    expect(logTicks(3, 4500)).toEqual({ lo: 1, hi: 10000, ticks: [1, 10, 100, 1000, 10000] });
    expect(logTicks(2, 8).ticks).toEqual([1, 2, 5, 10]);
    expect(logTicks(0, 10)).toEqual({ lo: 1, hi: 10, ticks: [1, 10] });
  });
});

describe("human units", () => {
  it("formats counts", () => {
    expect([0, 7, 12.5, 999, 1200, 1234, 3.4e6, 2.5e9, -1500].map(formatNumber)).toEqual([
      "0", "7", "12.5", "999", "1.2K", "1.23K", "3.4M", "2.5G", "-1.5K",
    ]);
    // Rounding up crosses into the next unit instead of printing "1000".
    expect(formatNumber(999.7)).toBe("1K");
    expect(formatNumber(999_960)).toBe("1M");
    expect(formatNumber(NaN)).toBe("-");
  });

  it("formats seconds", () => {
    expect([0, 0.25, 2.5, 45, 90, 600, 4800, 5400, 90000, 93784].map(formatSeconds)).toEqual([
      "0s", "250ms", "2.5s", "45s", "1m30s", "10m", "1h20m", "1h30m", "1d1h", "1d2h",
    ]);
  });
});

describe("downsampling", () => {
  it("bounds the point count and keeps spikes, dips and both ends", () => {
    const n = 1_000_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 1000));
    y[123_457] = 50;
    y[876_543] = -50;
    const d = downsampleMinMax({ x, y }, 2000);
    expect(d.x.length).toBeLessThanOrEqual(2000);
    expect(d.x.length).toBeGreaterThan(1900);
    expect(d.y).toContain(50);
    expect(d.y).toContain(-50);
    expect(d.x[0]).toBe(0);
    expect(d.x.at(-1)).toBe(n - 1);
    // Still in x order, so the path does not zig-zag backwards.
    expect(d.x.every((v, i) => i === 0 || v > d.x[i - 1]!)).toBe(true);
  });

  it("keeps a million-sample chart small", () => {
    const n = 1_000_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const svg = lineChart({ ...base, series: [{ name: "a", color: "#000", x, y: x.map((i) => i % 977) }] });
    const [d] = pathDs(svg);
    expect(d!.split(/[ML]/).filter(Boolean).length).toBeLessThanOrEqual(2000);
    expect(svg.length).toBeLessThan(60_000);
  });
});

describe("lineChart", () => {
  it("draws axes, gridlines, tick labels, a legend and one titled path per series", () => {
    const series: ChartSeries[] = [
      { name: "alpha", color: "#D55E00", x: [0, 60, 120, 180], y: [1000, 2000, 1500, 3000] },
      { name: "beta", color: "#0072B2", x: [0, 60, 120, 180], y: [500, 700, 900, 1100] },
    ];
    const svg = lineChart({ ...base, title: "IOPS", xLabel: "simulated time", yLabel: "IOPS", series, xUnit: "seconds" });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(pathDs(svg)).toHaveLength(2);
    expect(svg).toContain("<title>alpha</title>");
    expect(svg).toContain("<title>beta</title>");
    expect(svg).toContain(">3K</text>");
    expect(svg).toContain(">1m</text>");
    expect(svg).toContain(">3m</text>");
    expect(svg).toContain(">simulated time</text>");
    expect(svg.match(/class="x-tick"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(svg.match(/class="y-tick"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(svg).toMatch(/<g class="legend">.*alpha.*beta/s);
  });

  it("never writes NaN or Infinity, whatever the data", () => {
    const cases: ChartSeries[][] = [
      [],
      [{ name: "empty", color: "red", x: [], y: [] }],
      [{ name: "one", color: "red", x: [5], y: [7] }],
      [{ name: "zeros", color: "red", x: [0, 1, 2], y: [0, 0, 0] }],
      [{ name: "nan", color: "red", x: [0, 1, 2, 3, NaN], y: [NaN, 1, Infinity, 3, 4] }],
      [{ name: "all-nan", color: "red", x: [0, 1], y: [NaN, NaN] }],
      [{ name: "negative", color: "red", x: [0, 1], y: [-5, -1] }],
      [{ name: "mismatched", color: "red", x: [0, 1, 2], y: [1] }],
    ];
    for (const series of cases) {
      for (const logY of [false, true]) {
        const svg = lineChart({ ...base, series, logY });
        expect(svg).not.toMatch(/NaN|Infinity|undefined/);
        for (const v of numericAttrs(svg)) expect(Number.isFinite(Number(v)), `${v} in ${series[0]?.name}`).toBe(true);
        for (const d of pathDs(svg)) expect(d).toMatch(/^M[-\d.,]+(L[-\d.,]+)*$/);
      }
    }
  });

  it("draws a lone point as a dot and skips NaN samples", () => {
    const one = lineChart({ ...base, series: [{ name: "one", color: "red", x: [5], y: [7] }] });
    expect(one).toContain("<circle");
    const gaps = lineChart({ ...base, series: [{ name: "g", color: "red", x: [0, 1, 2, 3], y: [1, NaN, 3, 4] }] });
    expect(pathDs(gaps)[0]!.split("L")).toHaveLength(3);
  });

  it("shows 'no data' for empty input and marks empty series in the legend", () => {
    for (const series of [[], [{ name: "idle", color: "red", x: [], y: [] }]]) {
      const svg = lineChart({ ...base, series });
      expect(svg).toContain(">no data</text>");
      expect(pathDs(svg)).toHaveLength(0);
    }
    const mixed = lineChart({
      ...base,
      series: [
        { name: "idle", color: "red", x: [], y: [] },
        { name: "busy", color: "blue", x: [0, 1], y: [1, 2] },
      ],
    });
    expect(mixed).toContain("idle (no data)");
    expect(mixed).not.toContain(">no data</text>");
  });

  it("escapes every piece of text", () => {
    const evil = `<script>alert("x")</script> & 'q'`;
    const svg = lineChart({
      ...base,
      title: evil,
      xLabel: evil,
      yLabel: evil,
      series: [{ name: evil, color: `red" onload="alert(1)`, x: [0, 1], y: [1, 2] }],
    });
    expect(svg).not.toContain("<script");
    expect(svg).not.toContain(`" onload="`);
    expect(svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
  });
});

describe("renderHtml edge cases", () => {
  const meta = { tool: "t", version: "1", date: "d", node: "n", machine: "m", seed: 1, simulatedSeconds: 0, wallSeconds: 0, config: {} };
  const empty = { t: [], iops: [], cachedTotal: [], cpuTotal: [], depotTotal: [], treeSize: [], depotMags: [], depotFullEvents: [], magsFreedToTree: [], fqTimerFirings: [], fqDepthMax: [] };
  const summary = { iopsStart: 0, iopsEnd: 0, worst10s: 0, peakCached: 0, peakTree: 0, cliff: false, cliffAt: null };

  it("renders a study without policies or samples", () => {
    for (const r of [
      { meta, policies: [] },
      { meta, policies: [{ policy: "idle", series: empty, summary }] },
    ] as StudyResult[]) {
      const html = renderHtml(r);
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).not.toMatch(/NaN|Infinity|undefined/);
      expect(html.match(/<figure>/g)!.length).toBe(3 + r.policies.length);
    }
  });

  it("escapes policy names and meta, and loads nothing external", () => {
    const evil = `<img src=x onerror="alert(1)">`;
    const html = renderHtml({
      meta: { ...meta, machine: evil, config: { evil } },
      policies: [{ policy: evil, series: { ...empty, t: [0, 1], iops: [1, 2] }, summary }],
    });
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    // Attribute values blanked first: escaped text inside them is harmless.
    const tags = html.replace(/"[^"]*"/g, '""').match(/<[a-z][^>]*>/gi)!;
    expect(tags.filter((t) => /^<(script|link|img|iframe|object)\b|\s(src|href)=/i.test(t))).toEqual([]);
    expect(html).not.toMatch(/url\(|@import/);
    // Only the SVG namespace URI may mention http.
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, "")).not.toMatch(/https?:/);
  });
});
