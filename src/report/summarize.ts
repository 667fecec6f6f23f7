// Per-policy summary numbers derived from the sampled time series.
import type { PolicySeries, PolicySummary } from "./types.js";

export type SummaryInput = Pick<PolicySeries, "t" | "iops" | "cachedTotal" | "treeSize">;

/** Length of the "worst window" and of the moving average used for cliffAt. */
export const WINDOW_SECONDS = 10;

function peak(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (Number.isFinite(v) && v > m) m = v;
  return m === -Infinity ? 0 : m;
}

/**
 * Summary of one policy's run. `intervalSeconds` is the sampling interval;
 * windows are that many samples wide: round(10 s / interval), at least 1.
 * Non-finite samples are ignored; an empty run summarises to zeros.
 */
export function summarize(series: SummaryInput, intervalSeconds: number): PolicySummary {
  if (!(intervalSeconds > 0)) throw new RangeError(`intervalSeconds must be > 0, got ${intervalSeconds}`);
  const iops = series.iops;
  const n = iops.length;

  // Prefix sums of finite values and their count, so any window mean is O(1).
  const sum = new Float64Array(n + 1);
  const cnt = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const ok = Number.isFinite(iops[i]);
    sum[i + 1] = sum[i]! + (ok ? iops[i]! : 0);
    cnt[i + 1] = cnt[i]! + (ok ? 1 : 0);
  }
  const mean = (a: number, b: number): number => {
    const c = cnt[b]! - cnt[a]!;
    return c > 0 ? (sum[b]! - sum[a]!) / c : NaN;
  };

  // Start/end levels: mean of the first / last 10% of samples (at least one).
  const k = Math.max(1, Math.ceil(n * 0.1));
  const iopsStart = n ? mean(0, Math.min(k, n)) : NaN;
  const iopsEnd = n ? mean(Math.max(0, n - k), n) : NaN;

  // Trailing 10 s moving average; runs shorter than a window use all samples.
  const w = Math.max(1, Math.round(WINDOW_SECONDS / intervalSeconds));
  let worst10s = Infinity;
  let cliffAt: number | null = null;
  for (let i = Math.min(w, n) - 1; i < n; i++) {
    const m = mean(Math.max(0, i + 1 - w), i + 1);
    if (!Number.isFinite(m)) continue;
    if (m < worst10s) worst10s = m;
    // cliffAt: first time the moving average is below half the starting
    // level. It can be set without `cliff` when the dip recovers later.
    if (cliffAt === null && m < 0.5 * iopsStart) cliffAt = series.t[i] ?? null;
  }

  const start = Number.isFinite(iopsStart) ? iopsStart : 0;
  const end = Number.isFinite(iopsEnd) ? iopsEnd : 0;
  return {
    iopsStart: start,
    iopsEnd: end,
    worst10s: Number.isFinite(worst10s) ? worst10s : 0,
    peakCached: peak(series.cachedTotal),
    peakTree: peak(series.treeSize),
    // Cliff rule: the run ends below half of its starting throughput
    // (iopsEnd < 0.5 * iopsStart). A temporary dip that recovers is not one.
    cliff: start > 0 && end < 0.5 * start,
    cliffAt,
  };
}
