// Latency statistics as fio reports them: min/max/mean/stdev plus a fixed
// list of percentiles. Two sources: an exact array of samples, or fio's
// log-linear "plat" histogram for runs too long to keep every sample.

/** fio's default percentile_list. */
export const DEFAULT_PERCENTILES: readonly number[] = [
  1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99,
];

export interface LatencyStats {
  samples: number;
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (n - 1), as fio's calc_lat(). */
  stdev: number;
  /** Keyed as fio's JSON keys them: "%f" of the percentile, e.g. "99.990000". */
  percentiles: Record<string, number>;
}

export const percentileKey = (p: number): string => p.toFixed(6);

/**
 * How many samples (1-based) must lie at or below the p-th percentile:
 * ceil(p/100 * n), at least 1. Done in exact decimal arithmetic (p to 6
 * places, as the key shows it) so 99.9% of 1000 is 999, not a float hair more.
 */
export function percentileRank(p: number, n: number): number {
  const scaled = BigInt(Math.round(p * 1e6)) * BigInt(n);
  const den = 100_000_000n;
  const rank = Number((scaled + den - 1n) / den);
  return Math.min(n, Math.max(1, rank));
}

function emptyStats(): LatencyStats {
  return { samples: 0, min: 0, max: 0, mean: 0, stdev: 0, percentiles: {} };
}

/** Exact statistics of a sample set (sorts a copy). */
export function latencyStats(
  samplesNs: Float64Array | readonly number[],
  percentiles: readonly number[] = DEFAULT_PERCENTILES,
): LatencyStats {
  const n = samplesNs.length;
  if (n === 0) return emptyStats();
  const sorted = Float64Array.from(samplesNs).sort();
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i]! - mean;
    mean += d / (i + 1);
    m2 += d * (sorted[i]! - mean);
  }
  const out: Record<string, number> = {};
  for (const p of [...percentiles].sort((a, b) => a - b)) out[percentileKey(p)] = sorted[percentileRank(p, n) - 1]!;
  return {
    samples: n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mean,
    stdev: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0,
    percentiles: out,
  };
}

const msb = (v: number): number =>
  v < 2 ** 32 ? 31 - Math.clz32(v) : 63 - Math.clz32(Math.floor(v / 2 ** 32));

/**
 * fio's clat histogram (stat.h FIO_IO_U_PLAT_*): values below 2^(bits+1)
 * get a bucket each; above, every power of two is cut into 2^bits buckets,
 * so a bucket is at most 1/2^bits of its value wide. With fio's bits=6 and
 * 29 groups: 1856 buckets, exact up to 2^34 ns (~17 s), the rest clamped
 * into the last bucket. min/max/mean/stdev are tracked exactly on the side.
 */
export class LatencyHistogram {
  readonly bits: number;
  readonly groups: number;
  /** Counts per bucket; Float64 so counts stay exact past 2^32. */
  readonly counts: Float64Array;
  private n = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private mu = 0;
  private m2 = 0;

  constructor(bits = 6, groups = 29) {
    this.bits = bits;
    this.groups = groups;
    this.counts = new Float64Array(groups << bits);
  }

  /**
   * A histogram of these buckets and moments, as another counter kept them
   * (the wasm event loop of assembly/sim/ keeps sum and sum of squares).
   */
  static fromSums(counts: ArrayLike<number>, n: number, lo: number, hi: number, sum: number, sumSq: number): LatencyHistogram {
    const h = new LatencyHistogram();
    h.counts.set(counts);
    h.n = n;
    h.lo = lo;
    h.hi = hi;
    h.mu = n > 0 ? sum / n : 0;
    h.m2 = Math.max(0, sumSq - n * h.mu * h.mu);
    return h;
  }

  get samples(): number {
    return this.n;
  }

  /** Bucket of a value (fio's plat_val_to_idx). */
  indexOf(value: number): number {
    const v = value > 0 ? Math.floor(value) : 0;
    const b = this.bits;
    if (v < 2 ** (b + 1)) return v;
    const errorBits = msb(v) - b;
    const base = (errorBits + 1) << b;
    const offset = ((1 << b) - 1) & Math.floor(v / 2 ** errorBits);
    return Math.min(base + offset, this.counts.length - 1);
  }

  /** Value reported for a bucket (fio's plat_idx_to_val: middle of its range). */
  valueOf(index: number): number {
    const b = this.bits;
    if (index < 2 << b) return index;
    const errorBits = (index >> b) - 1;
    const k = index % (1 << b);
    return 2 ** (errorBits + b) + (k + 0.5) * 2 ** errorBits;
  }

  add(valueNs: number): void {
    if (Number.isNaN(valueNs)) return;
    this.counts[this.indexOf(valueNs)]++;
    this.n++;
    if (valueNs < this.lo) this.lo = valueNs;
    if (valueNs > this.hi) this.hi = valueNs;
    const d = valueNs - this.mu;
    this.mu += d / this.n;
    this.m2 += d * (valueNs - this.mu);
  }

  addAll(values: Iterable<number>): this {
    for (const v of values) this.add(v);
    return this;
  }

  /** Fold another histogram of the same shape into this one (e.g. per-worker ones). */
  merge(other: LatencyHistogram): this {
    if (other.counts.length !== this.counts.length) throw new RangeError('histogram shapes differ');
    if (other.n === 0) return this;
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i]!;
    const n = this.n + other.n;
    const d = other.mu - this.mu;
    this.m2 += other.m2 + (d * d * this.n * other.n) / n;
    this.mu += (d * other.n) / n;
    this.n = n;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
    return this;
  }

  stats(percentiles: readonly number[] = DEFAULT_PERCENTILES): LatencyStats {
    if (this.n === 0) return emptyStats();
    const out: Record<string, number> = {};
    const list = [...percentiles].sort((a, b) => a - b);
    let j = 0;
    let sum = 0;
    for (let i = 0; i < this.counts.length && j < list.length; i++) {
      sum += this.counts[i]!;
      while (j < list.length && sum >= percentileRank(list[j]!, this.n)) {
        out[percentileKey(list[j]!)] = this.valueOf(i);
        j++;
      }
    }
    return {
      samples: this.n,
      min: this.lo,
      max: this.hi,
      mean: this.mu,
      stdev: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0,
      percentiles: out,
    };
  }

  /** Non-empty buckets keyed by their value, as fio's json+ "bins". */
  bins(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) out[String(this.valueOf(i))] = this.counts[i]!;
    return out;
  }
}
