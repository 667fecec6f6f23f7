// "Nice" axis ticks: decimal steps (1, 2, 2.5, 5 x 10^k), clock-friendly steps
// for seconds (15s, 5m, 1h, ...) and decades for log axes.

export interface Ticks {
  /** axis domain the chart maps to the plot area */
  lo: number;
  hi: number;
  ticks: number[];
}

/** Removes float noise such as 0.30000000000000004 from tick values. */
const clean = (v: number): number => Number(v.toPrecision(12));

export function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * mag;
}

const TIME_STEPS = [
  1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200,
  10800, 21600, 43200, 86400, 172800, 604800,
];

/** Step for a seconds axis, so labels read 30m, 1h, 1h30m instead of 1.8K. */
export function timeStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  if (raw < 1) return niceStep(range, target);
  const step = TIME_STEPS.find((s) => s >= raw);
  return step ?? niceStep(range / 86400, target) * 86400;
}

/** A degenerate [v, v] (single point, all-equal data) gets a visible span. */
function widen(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min < max) return [min, max];
  if (min === 0) return [0, 1];
  const pad = Math.abs(min) * 0.1;
  return [min - pad, max + pad];
}

/**
 * Linear ticks. With `extend` the domain grows to whole steps (y axes: the
 * top gridline sits above the peak); otherwise the domain is exactly the data
 * range and only the ticks inside it are returned (x axes: no empty margin).
 */
export function linearTicks(
  min: number,
  max: number,
  opts: { target?: number; extend?: boolean; time?: boolean } = {},
): Ticks {
  const [a, b] = widen(min, max);
  const target = opts.target ?? 5;
  const step = opts.time ? timeStep(b - a, target) : niceStep(b - a, target);
  const first = Math.ceil(clean(a / step)) * step;
  const lo = opts.extend ? Math.floor(clean(a / step)) * step : a;
  const hi = opts.extend ? Math.ceil(clean(b / step)) * step : b;
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let v = opts.extend ? lo : first; v <= hi + eps && ticks.length < 100; v += step) {
    ticks.push(clean(v));
  }
  return { lo: clean(lo), hi: clean(hi), ticks };
}

/** Log ticks at powers of ten (plus 2x and 5x when the span is one decade). */
export function logTicks(min: number, max: number): Ticks {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) {
    return { lo: 1, hi: 10, ticks: [1, 10] };
  }
  let e0 = Math.floor(Math.log10(min));
  let e1 = Math.ceil(Math.log10(max));
  if (e1 <= e0) e1 = e0 + 1;
  const decades = e1 - e0;
  const every = Math.ceil(decades / 8); // at most ~8 labelled decades
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e += every) {
    ticks.push(clean(10 ** e));
    if (decades <= 1 && e < e1) ticks.push(clean(2 * 10 ** e), clean(5 * 10 ** e));
  }
  e1 = e0 + Math.ceil(decades / every) * every;
  return { lo: clean(10 ** e0), hi: clean(10 ** e1), ticks };
}
