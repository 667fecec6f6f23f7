// Self-contained HTML report (inline CSS and SVG, no scripts, no external
// resources) so study.html can be archived or mailed as a single file.
import { escapeXml as esc } from "./escape.js";
import { formatSeconds } from "./format.js";
import { lineChart, type ChartSeries } from "./svg.js";
import { SUMMARY_HEADER, summaryRows } from "./table.js";
import { speedLine } from "./text.js";
import type { PolicyInstruments, PolicyResult, ReportTable, StudyResult } from "./types.js";

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

// Dash patterns, so that lines can be told apart without colour (and in print).
const KNOWN_DASHES: Record<string, string> = {
  "linux-5.10": "",
  "cpu-flush": "8 4",
  "scaled-depot": "3 2",
  "linux-6.4": "10 3 2 3",
  adaptive: "5 2 1 2 1 2",
};
const FALLBACK_DASHES = ["3 3", "12 4", "1 2", "6 2 2 2"];
export const ORDER_DASHES = ["", "8 4", "3 2", "10 3 2 3", "5 2 1 2 1 2", "2 1"];

/** Stable dash pattern per policy. */
export function policyDash(policy: string, index: number): string {
  return KNOWN_DASHES[policy] ?? FALLBACK_DASHES[index % FALLBACK_DASHES.length]!;
}

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
table.reading{border-collapse:collapse;background:#fff}
table.reading th,table.reading td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
ul.verdict{background:#fff;border:1px solid #ddd;padding:8px 8px 8px 28px;margin:0}
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
    ...(m.speed ? [["simulator speed", speedLine(m.speed).replace(/^simulator speed: /, "")] as [string, string]] : []),
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

function verdictSection(r: StudyResult): string {
  // The text lines wrap at 80 columns: a line indented past the policy
  // name continues the one before it.
  const v: string[] = [];
  for (const l of r.reading?.verdict ?? []) {
    if (/^ {4,}/.test(l) && v.length) v[v.length - 1] += " " + l.trim();
    else v.push(l);
  }
  const c = r.reading?.compression ?? [];
  if (v.length === 0 && c.length === 0) return "";
  return [
    `<section><h2>Verdict</h2>`,
    v.length ? `<ul class="verdict">${v.map((l) => `<li>${esc(l.trim())}</li>`).join("")}</ul>` : "",
    c.length ? `<p class="note"><b>Compressed (--faithful or --hours runs the thread's system as it was).</b> ${c.map(esc).join(" ")}</p>` : "",
    `</section>`,
  ].join("\n");
}

function readingTable(t: ReportTable): string {
  return [
    `<section><h2>${esc(t.title[0]!.toUpperCase() + t.title.slice(1))}</h2>`,
    `<table class="reading"><thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`,
    `<tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("\n")}</tbody></table>`,
    t.notes.length ? `<p class="note">${t.notes.map(esc).join("; ")}</p>` : "",
    `</section>`,
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
      `end vs start, worst vs start: the change from the start. peak cached: IOVAs in CPU magazines and depots (an IOVA of order o is 2^o pages); peak tree: ranges in the rbtree.</p>`,
    `</section>`,
  ].join("\n");
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** One chart comparing all policies on one per-sample array. */
function policyChart(r: StudyResult, pick: (p: PolicyResult) => number[] | undefined, title: string, yLabel: string, caption: string,
  extra: { yDomain?: [number, number]; scale?: number } = {}): string {
  const series: ChartSeries[] = r.policies.map((p, i) => ({
    name: p.policy,
    color: policyColor(p.policy, i),
    dash: policyDash(p.policy, i),
    x: p.series.t,
    y: (pick(p) ?? []).map((v) => v * (extra.scale ?? 1)),
  }));
  const svg = lineChart({ title, xLabel: "simulated time", yLabel, series, xUnit: "seconds", directLabels: true, yDomain: extra.yDomain, ...BIG });
  return figure(svg, caption);
}

function perPolicy(r: StudyResult, field: "iops" | "cachedTotal" | "treeSize", title: string, yLabel: string, caption: string): string {
  return policyChart(r, (p) => p.series[field], title, yLabel, caption);
}

/** Instrument panels, drawn for each field some policy recorded. Lock panels share one 0-100% scale. */
const INSTRUMENTS: Array<{ field: keyof PolicyInstruments; title: string; yLabel: string; caption: string; scale?: number; percent?: boolean }> = [
  { field: "walkPerTreeAlloc", title: "Kernel walk per tree allocation", yLabel: "nodes visited", caption: "Mean nodes the kernel's walk visits per tree allocation (successful and failed): the O(n) cost that grows with the tree." },
  { field: "treeLockBusy", title: "iova_rbtree_lock busy", yLabel: "% of time held", scale: 100, percent: true, caption: "Share of each interval the tree lock was held." },
  { field: "treeLockWait", title: "Waiting for iova_rbtree_lock", yLabel: "CPUs waiting (mean)", caption: "Summed wait for the tree lock divided by the interval: how many CPUs stood waiting on average." },
  { field: "depotLockBusy", title: "Depot locks busy", yLabel: "% of time held", scale: 100, percent: true, caption: "Share of each interval the depot locks (rcache->lock, all orders) were held." },
  { field: "fqLockBusy", title: "Flush-queue locks busy", yLabel: "% of time held", scale: 100, percent: true, caption: "Share of each interval the flush-queue locks were held." },
  { field: "mapLatencyMean", title: "Mean map latency", yLabel: "us", scale: 1e-3, caption: "Mean time from submission to a mapped I/O (lock waits and walks included)." },
  { field: "window32Used", title: "32-bit IOVA space used", yLabel: "% allocated", scale: 100, percent: true, caption: "Share of the space below 4 GiB allocated (reserved PCI windows excluded): once full, every 32-bit-first attempt fails." },
  { field: "lowestPfn32", title: "Lowest allocated pfn below 4 GiB", yLabel: "pfn", caption: "The allocation frontier of the 32-bit space: it moves down as the space fills." },
  { field: "fastFails", title: "max32_alloc_size fast-fails", yLabel: "per second", caption: "32-bit attempts refused without a walk by the max32_alloc_size shortcut." },
  { field: "failedWalks", title: "Failed walks", yLabel: "per second", caption: "Tree walks that found no space (each one held the tree lock for its whole length)." },
  { field: "fallbacks64", title: "Fallbacks to the 64-bit space", yLabel: "per second", caption: "Maps that failed below 4 GiB and were allocated above it." },
];

function instrumentCharts(r: StudyResult): string {
  const out: string[] = [];
  for (const it of INSTRUMENTS) {
    if (!r.policies.some((p) => (p.instruments?.[it.field]?.length ?? 0) > 0)) continue;
    out.push(policyChart(r, (p) => p.instruments?.[it.field], it.title, it.yLabel, it.caption,
      { scale: it.scale, yDomain: it.percent ? [0, 100] : undefined }));
  }
  return out.length ? `<section><h2>What explains it: walk, locks, map latency</h2>\n${out.join("\n")}\n</section>` : "";
}

function depotCharts(r: StudyResult): string {
  // One y scale for every policy's panel, so the panels compare at a glance.
  let hi = 0;
  for (const p of r.policies) for (const m of p.series.depotMags) for (const v of m) if (Number.isFinite(v) && v > hi) hi = v;
  const figs = r.policies.map((p) => {
    const series: ChartSeries[] = ORDER_COLORS.map((color, order) => ({
      name: `order ${order}`,
      color,
      dash: ORDER_DASHES[order],
      x: p.series.t,
      y: p.series.depotMags[order] ?? [],
    }));
    const svg = lineChart({ title: p.policy, xLabel: "simulated time", yLabel: "depot magazines", series, xUnit: "seconds",
      yDomain: hi > 0 ? [0, hi] : undefined, ...SMALL });
    return figure(svg, `${p.policy}: magazines held in the depot for each size order (0-5), on the scale shared by all policies.`);
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
    verdictSection(result),
    summarySection(result),
    ...(result.reading?.tables ?? []).map(readingTable),
    `<section><h2>Throughput</h2>`,
    perPolicy(result, "iops", "IOPS over time", "IOPS", "I/O operations per second in each sampling interval, per policy."),
    `</section><section><h2>Cached IOVA space</h2>`,
    perPolicy(result, "cachedTotal", "Cached IOVAs over time", "cached IOVAs", "IOVAs held in all CPU magazines plus depots; steady growth means cached ranges are not returned to the tree."),
    `</section><section><h2>Tree size</h2>`,
    perPolicy(result, "treeSize", "rbtree size over time", "ranges in tree", "Ranges in the rbtree: a growing tree makes every uncached allocation slower."),
    `</section>`,
    instrumentCharts(result),
    `<section><h2>Depot occupancy per size order</h2>`,
    depotCharts(result),
    `</section></main></body></html>`,
    ``,
  ].join("\n");
}
