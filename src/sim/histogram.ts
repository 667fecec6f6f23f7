// A latency histogram for the simulator's hot loop: fio's log-linear "plat"
// buckets (6 bits: at most 1/64 of a value wide, exact below 128), the same
// layout as src/fio/latency.ts's LatencyHistogram, with a cheaper add() for
// whole nanoseconds below 2^31 (larger values take the slow path).
import { DEFAULT_PERCENTILES, percentileKey, percentileRank, type LatencyStats } from "../fio/latency.js";

const BITS = 6;
const GROUPS = 29;
const BUCKETS = GROUPS << BITS;

export class SimHistogram {
  readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private sum = 0;
  private sumSq = 0;

  /** A histogram with these buckets and moments (the wasm engine's, read out). */
  static fromParts(counts: ArrayLike<number>, n: number, lo: number, hi: number, sum: number, sumSq: number): SimHistogram {
    const h = new SimHistogram();
    h.counts.set(counts);
    h.n = n;
    h.lo = lo;
    h.hi = hi;
    h.sum = sum;
    h.sumSq = sumSq;
    return h;
  }

  add(valueNs: number): void {
    const v = valueNs > 0 ? valueNs : 0;
    let idx: number;
    if (v < 2147483648) {
      const x = v | 0;
      if (x < 128) idx = x;
      else {
        const errorBits = 31 - Math.clz32(x) - BITS;
        idx = ((errorBits + 1) << BITS) + ((x >>> errorBits) & 63);
      }
    } else {
      const x = Math.floor(v);
      const msb = Math.floor(Math.log2(x));
      const errorBits = msb - BITS;
      idx = Math.min(((errorBits + 1) << BITS) + (Math.floor(x / 2 ** errorBits) & 63), BUCKETS - 1);
    }
    this.counts[idx]++;
    this.n++;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
    this.sum += v;
    this.sumSq += v * v;
  }

  get samples(): number {
    return this.n;
  }

  get mean(): number {
    return this.n > 0 ? this.sum / this.n : 0;
  }

  /** Value reported for a bucket: the middle of its range, as fio's plat_idx_to_val. */
  static valueOf(index: number): number {
    if (index < 2 << BITS) return index;
    const errorBits = (index >> BITS) - 1;
    const k = index % (1 << BITS);
    return 2 ** (errorBits + BITS) + (k + 0.5) * 2 ** errorBits;
  }

  stats(percentiles: readonly number[] = DEFAULT_PERCENTILES): LatencyStats {
    const n = this.n;
    if (n === 0) return { samples: 0, min: 0, max: 0, mean: 0, stdev: 0, percentiles: {} };
    const out: Record<string, number> = {};
    const list = [...percentiles].sort((a, b) => a - b);
    let j = 0;
    let acc = 0;
    for (let i = 0; i < BUCKETS && j < list.length; i++) {
      acc += this.counts[i]!;
      while (j < list.length && acc >= percentileRank(list[j]!, n)) {
        out[percentileKey(list[j]!)] = SimHistogram.valueOf(i);
        j++;
      }
    }
    const mean = this.sum / n;
    const variance = n > 1 ? Math.max(0, (this.sumSq - n * mean * mean) / (n - 1)) : 0;
    return { samples: n, min: this.lo, max: this.hi, mean, stdev: Math.sqrt(variance), percentiles: out };
  }
}
