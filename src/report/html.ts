// Self-contained HTML report (inline CSS and SVG, no scripts, no external
// resources) so study.html can be archived or mailed as a single file.
import { escapeXml as esc } from "./escape.js";
import { formatSeconds } from "./format.js";
import { lineChart, type ChartSeries } from "./svg.js";
import { SUMMARY_HEADER, summaryRows } from "./table.js";
import type { PolicyResult, StudyResult } from "./types.js";

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
const KNOWN_COLORS: Record<string, string> = {
  "linux-5.10": "#D55E00",
  "cpu-flush": "#E69F00",
  "scaled-depot": "#009E73",
  "linux-6.4": "#0072B2",
  adaptive: "#CC79A7",
};
const FALLBACK_COLORS = ["#56B4E9", "#000000", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF"];
// Size orders are ordinal, so a dark-to-light (viridis) ramp; stops short of
// viridis' yellow end, which vanishes on white.
export const ORDER_COLORS = ["#440154", "#443983", "#31688E", "#21918C", "#35B779", "#90D743"];

/** Stable colour per policy: fixed for the known policies, else by position. */
export function policyColor(policy: string, index: number): string {
  return KNOWN_COLORS[policy] ?? FALLBACK_COLORS[index % FALLBACK_COLORS.length]!;
}

const BIG = { width: 1080, height: 320 };
// Three small charts per row fit the 1100 px content width.
const SMALL = { width: 340, height: 240, maxPoints: 720 };

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;background:#f6f6f4;margin:0}
main{max-width:1140px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:26px 0 8px}
.sub{color:#555;margin:0 0 10px}
dl.meta{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:2px 14px;margin:0}
dl.meta dt{color:#666}dl.meta dd{margin:0;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid #ddd;padding:8px;overflow:auto;font-size:12px}
table.summary{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums}
table.summary th,table.summary td{border:1px solid #ddd;padding:4px 10px;text-align:right}
table.summary th:first-child,table.summary td:first-child{text-align:left}
table.summary tr.cliff td{background:#fdecea}
.note{color:#555;font-size:13px}
figure{margin:0 0 14px;background:#fff;border:1px solid #ddd;padding:6px}
figure svg{display:block;max-width:100%;height:auto}
figcaption{color:#444;font-size:13px;padding:4px 4px 0}
.grid{display:flex;flex-wrap:wrap;gap:10px}.grid figure{margin:0;width:340px}
`;

/** Simulated seconds are the same for every policy's samples. */
function interval(p: PolicyResult | undefined): number | null {
  const t = p?.series.t ?? [];
  return t.length > 1 ? (t[t.length - 1]! - t[0]!) / (t.length - 1) : null;
}

function header(r: StudyResult): string {
  const m = r.meta;
  const first = r.policies[0];
  const step = interval(first);
  const items: Array<[string, string]> = [
    ["tool", `${m.tool} ${m.version}`],
    ["date", m.date],
    ["node", m.node],
    ["machine", m.machine],
    ["seed", String(m.seed)],
    ["simulated", `${formatSeconds(m.simulatedSeconds)} (${m.simulatedSeconds} s)`],
    ["wall time", formatSeconds(m.wallSeconds)],
    ["policies", r.policies.map((p) => p.policy).join(", ") || "-"],
    ["samples", `${first?.series.t.length ?? 0} per policy`],
    ["interval", step === null ? "-" : formatSeconds(step)],
  ];
  return [
    `<header><h1>IOVA allocator aging study</h1>`,
    `<p class="sub">Same storage load under each depot policy, on a virtual clock.</p>`,
    `<dl class="meta">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`,
    `<details><summary>configuration</summary><pre>${esc(JSON.stringify(m.config, null, 2))}</pre></details>`,
    `</header>`,
  ].join("\n");
}

function summarySection(r: StudyResult): string {
  const rows = summaryRows(r);
  const body = rows
    .map((cells, i) => {
      const cls = r.policies[i]!.summary.cliff ? ` class="cliff"` : "";
      return `<tr${cls}>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`;
    })
    .join("\n");
  return [
    `<section><h2>Summary</h2>`,
    `<table class="summary"><thead><tr>${SUMMARY_HEADER.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`,
    `<tbody>\n${body}\n</tbody></table>`,
    `<p class="note">iops start/end: mean over the first/last 10% of samples. worst 10s: lowest mean over any 10 simulated seconds. ` +
      `cliff: end below half of start. cliff at: first time the 10 s moving average fell below half of start (set even if it later recovered).</p>`,
    `</section>`,
  ].join("\n");
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** One chart comparing all policies on one series field. */
function perPolicy(r: StudyResult, field: "iops" | "cachedTotal" | "treeSize", title: string, yLabel: string, caption: string): string {
  const series: ChartSeries[] = r.policies.map((p, i) => ({
    name: p.policy,
    color: policyColor(p.policy, i),
    x: p.series.t,
    y: p.series[field],
  }));
  const svg = lineChart({ title, xLabel: "simulated time", yLabel, series, xUnit: "seconds", ...BIG });
  return figure(svg, caption);
}

function depotCharts(r: StudyResult): string {
  const figs = r.policies.map((p) => {
    const series: ChartSeries[] = ORDER_COLORS.map((color, order) => ({
      name: `order ${order}`,
      color,
      x: p.series.t,
      y: p.series.depotMags[order] ?? [],
    }));
    const svg = lineChart({ title: p.policy, xLabel: "simulated time", yLabel: "depot magazines", series, xUnit: "seconds", ...SMALL });
    return figure(svg, `${p.policy}: magazines held in the depot for each size order (0-5).`);
  });
  return `<div class="grid">\n${figs.join("\n")}\n</div>`;
}

export function renderHtml(result: StudyResult): string {
  const m = result.meta;
  return [
    `<!doctype html>`,
    `<html lang="en"><head><meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${esc(`IOVA aging study - ${m.tool} ${m.version} - ${m.date}`)}</title>`,
    `<style>${CSS}</style></head><body><main>`,
    header(result),
    summarySection(result),
    `<section><h2>Throughput</h2>`,
    perPolicy(result, "iops", "IOPS over time", "IOPS", "I/O operations per second in each sampling interval, per policy."),
    `</section><section><h2>Cached IOVA space</h2>`,
    perPolicy(result, "cachedTotal", "Cached pfns over time", "cached pfns", "Pfns held in all CPU magazines plus depots; steady growth means cached ranges are not returned to the tree."),
    `</section><section><h2>Tree size</h2>`,
    perPolicy(result, "treeSize", "rbtree size over time", "ranges in tree", "Ranges in the rbtree: a growing tree makes every uncached allocation slower."),
    `</section><section><h2>Depot occupancy per size order</h2>`,
    depotCharts(result),
    `</section></main></body></html>`,
    ``,
  ].join("\n");
}
