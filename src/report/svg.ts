// Minimal dependency-free line chart: axes, nice ticks, gridlines, legend.
// Output is a standalone <svg> string that is safe to inline in HTML.
import { downsampleMinMax, finitePoints, type Points } from "./downsample.js";
import { escapeXml } from "./escape.js";
import { formatNumber, formatSeconds } from "./format.js";
import { linearTicks, logTicks, type Ticks } from "./ticks.js";

export interface ChartSeries {
  name: string;
  color: string;
  x: number[];
  y: number[];
  /** SVG stroke-dasharray ("" or absent: solid), so lines differ without colour. */
  dash?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  width: number;
  height: number;
  /** log10 y axis; points with y <= 0 cannot be drawn and are skipped */
  logY?: boolean;
  /** "seconds" labels the x axis 30m, 1h20m...; default plain numbers */
  xUnit?: "seconds" | "number";
  /** linear y axis starts at 0 unless data is negative (default true) */
  includeZero?: boolean;
  /** per-series point budget after min/max downsampling (default 2000) */
  maxPoints?: number;
  /** Fixed y range [lo, hi] (linear axes), so several charts share one scale. */
  yDomain?: [number, number];
  /** Write each series' name at the end of its line (default false). */
  directLabels?: boolean;
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const CHAR_W = 6.5; // rough width of an 11px glyph, for layout without a DOM

/** Coordinates with one decimal; never lets NaN/Infinity into the markup. */
const n = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 10) / 10) : "0");

/** Tick labels, falling back to raw numbers if human units would collide. */
function labels(ticks: number[], fmt: (v: number) => string): string[] {
  const out = ticks.map(fmt);
  return new Set(out).size === out.length ? out : ticks.map((t) => String(t));
}

interface LegendItem {
  x: number;
  y: number;
  name: string;
  color: string;
  dash: string;
}

/** Flows legend entries left to right, wrapping at `maxW`. */
function layoutLegend(series: ChartSeries[], names: string[], maxW: number): { items: LegendItem[]; rows: number } {
  const items: LegendItem[] = [];
  let x = 0;
  let row = 0;
  series.forEach((s, i) => {
    const w = 28 + names[i]!.length * CHAR_W + 14;
    if (x > 0 && x + w > maxW) {
      x = 0;
      row++;
    }
    items.push({ x, y: row * 16, name: names[i]!, color: s.color, dash: s.dash ?? "" });
    x += w;
  });
  return { items, rows: series.length ? row + 1 : 0 };
}

function extent(values: number[][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const vs of values) for (const v of vs) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function lineChart(opts: LineChartOptions): string {
  const W = Math.max(120, opts.width);
  const H = Math.max(100, opts.height);
  const logY = opts.logY ?? false;
  const seconds = opts.xUnit === "seconds";

  // Clean the data first: every later step can assume finite numbers.
  const pts: Points[] = opts.series.map((s) => {
    const p = finitePoints(s.x, s.y);
    if (logY) {
      const keep = p.y.map((v) => v > 0);
      return { x: p.x.filter((_, i) => keep[i]), y: p.y.filter((_, i) => keep[i]) };
    }
    return p;
  });
  const hasData = pts.some((p) => p.x.length > 0);

  const [xMin, xMax] = extent(pts.map((p) => p.x));
  let [yMin, yMax] = extent(pts.map((p) => p.y));
  if (!logY && (opts.includeZero ?? true) && hasData) {
    yMin = Math.min(0, yMin);
    yMax = Math.max(0, yMax);
  }
  if (!logY && opts.yDomain && Number.isFinite(opts.yDomain[0]) && Number.isFinite(opts.yDomain[1]) && opts.yDomain[1] > opts.yDomain[0]) {
    [yMin, yMax] = opts.yDomain;
  }
  const xt: Ticks = linearTicks(xMin, xMax, { target: Math.max(2, Math.floor(W / 110)), time: seconds });
  const yt: Ticks = logY
    ? logTicks(yMin, yMax)
    : linearTicks(yMin, yMax, { target: Math.max(2, Math.floor(H / 60)), extend: true });
  const xLabels = labels(xt.ticks, seconds ? formatSeconds : formatNumber);
  const yLabels = labels(yt.ticks, formatNumber);

  // Layout: margins sized from the longest tick label and the legend rows.
  const left = 30 + Math.max(3, ...yLabels.map((l) => l.length)) * CHAR_W;
  const direct = opts.directLabels ?? false;
  const right = direct ? 16 + Math.min(14, Math.max(0, ...opts.series.map((s) => s.name.length))) * CHAR_W : 16;
  const top = 30;
  const names = opts.series.map((s, i) => (pts[i]!.x.length ? s.name : `${s.name} (no data)`));
  const legend = layoutLegend(opts.series, names, W - left - right);
  const bottom = 40 + legend.rows * 16 + (legend.rows ? 6 : 0);
  const x0 = left;
  const x1 = W - right;
  const y0 = top;
  const y1 = Math.max(top + 20, H - bottom);

  const sx = (v: number): number => x0 + ((v - xt.lo) / (xt.hi - xt.lo || 1)) * (x1 - x0);
  const sy = logY
    ? (v: number): number => {
        const a = Math.log10(yt.lo);
        return y1 - ((Math.log10(v) - a) / (Math.log10(yt.hi) - a || 1)) * (y1 - y0);
      }
    : (v: number): number => y1 - ((v - yt.lo) / (yt.hi - yt.lo || 1)) * (y1 - y0);

  const out: string[] = [];
  const title = escapeXml(opts.title);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${n(W)}" height="${n(H)}" viewBox="0 0 ${n(W)} ${n(H)}" role="img" aria-label="${title}" ${FONT}>`,
    `<title>${title}</title>`,
    `<rect width="${n(W)}" height="${n(H)}" fill="#fff"/>`,
    `<text class="chart-title" x="${n(W / 2)}" y="19" text-anchor="middle" font-size="14" font-weight="600" fill="#222">${title}</text>`,
  );

  // Gridlines and ticks (lines, not paths: <path> is reserved for data).
  const grid: string[] = [];
  const tickText: string[] = [];
  xt.ticks.forEach((t, i) => {
    const x = n(sx(t));
    grid.push(`<line x1="${x}" y1="${n(y0)}" x2="${x}" y2="${n(y1 + 4)}"/>`);
    tickText.push(`<text class="x-tick" x="${x}" y="${n(y1 + 17)}" text-anchor="middle">${escapeXml(xLabels[i])}</text>`);
  });
  yt.ticks.forEach((t, i) => {
    const y = n(sy(t));
    grid.push(`<line x1="${n(x0 - 4)}" y1="${y}" x2="${n(x1)}" y2="${y}"/>`);
    tickText.push(`<text class="y-tick" x="${n(x0 - 7)}" y="${y}" dy="0.35em" text-anchor="end">${escapeXml(yLabels[i])}</text>`);
  });
  out.push(`<g class="grid" stroke="#e4e4e4" stroke-width="1">${grid.join("")}</g>`);
  out.push(
    `<g class="axes" stroke="#444" stroke-width="1"><line x1="${n(x0)}" y1="${n(y1)}" x2="${n(x1)}" y2="${n(y1)}"/><line x1="${n(x0)}" y1="${n(y0)}" x2="${n(x0)}" y2="${n(y1)}"/></g>`,
  );
  out.push(`<g class="ticks" font-size="11" fill="#444">${tickText.join("")}</g>`);
  out.push(
    `<text class="x-label" x="${n((x0 + x1) / 2)}" y="${n(y1 + 33)}" text-anchor="middle" font-size="12" fill="#222">${escapeXml(opts.xLabel)}</text>`,
    `<text class="y-label" transform="translate(13 ${n((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" font-size="12" fill="#222">${escapeXml(opts.yLabel)}${logY ? " (log)" : ""}</text>`,
  );

  // Data: one <g><title/><path/></g> per series so hovering shows its name.
  const maxPoints = opts.maxPoints ?? 2000;
  const ends: Array<{ x: number; y: number; name: string; color: string }> = [];
  opts.series.forEach((s, i) => {
    const p = downsampleMinMax(pts[i]!, maxPoints);
    if (p.x.length === 0) return;
    const color = escapeXml(s.color);
    const d = p.x.map((x, j) => `${j ? "L" : "M"}${n(sx(x))},${n(sy(p.y[j]!))}`).join("");
    // A lone point has no length to stroke, so it also gets a dot.
    const dot = p.x.length === 1 ? `<circle cx="${n(sx(p.x[0]!))}" cy="${n(sy(p.y[0]!))}" r="3" fill="${color}"/>` : "";
    const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : "";
    out.push(
      `<g class="series"><title>${escapeXml(s.name)}</title><path class="line" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${dash} stroke-linejoin="round" stroke-linecap="round"/>${dot}</g>`,
    );
    if (direct) ends.push({ y: sy(p.y[p.y.length - 1]!), x: sx(p.x[p.x.length - 1]!), name: s.name, color });
  });
  if (direct && ends.length) {
    // Labels at the lines' ends, pushed apart so that overlapping lines
    // still get readable names (12 px apart, kept inside the plot).
    ends.sort((a, b) => a.y - b.y);
    for (let i = 1; i < ends.length; i++) ends[i]!.y = Math.max(ends[i]!.y, ends[i - 1]!.y + 12);
    const over = ends[ends.length - 1]!.y - (y1 + 4);
    if (over > 0) for (const e of ends) e.y -= over;
    out.push(`<g class="direct-labels" font-size="11">${ends.map((e) =>
      `<text x="${n(x1 + 4)}" y="${n(e.y)}" dy="0.35em" fill="${e.color}">${escapeXml(e.name)}</text>`).join("")}</g>`);
  }
  if (!hasData) {
    out.push(`<text class="no-data" x="${n((x0 + x1) / 2)}" y="${n((y0 + y1) / 2)}" text-anchor="middle" font-size="13" fill="#888">no data</text>`);
  }

  const ly = y1 + 46;
  const items = legend.items.map(
    (it) =>
      `<g transform="translate(${n(x0 + it.x)} ${n(ly + it.y)})"><line x1="0" y1="-4" x2="22" y2="-4" stroke="${escapeXml(it.color)}" stroke-width="3"${it.dash ? ` stroke-dasharray="${escapeXml(it.dash)}"` : ""}/><text x="27" font-size="11" fill="#333">${escapeXml(it.name)}</text></g>`,
  );
  out.push(`<g class="legend">${items.join("")}</g>`, `</svg>`);
  return out.join("\n");
}
