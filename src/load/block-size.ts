// Block sizes of I/Os, drawn as fio draws them: one size (bs=4k), a range
// (bsrange=4k-64k: a multiple of the minimum, uniform), or a split
// (bssplit=4k/90:256k/10: percentages). The grammar is fio's, parsed by
// values.ts; both clocks draw through BlockSizeSampler, so the largest I/O
// either can map is largestBlockBytes.
import { parseBlockSize, formatBlockSize, type BlockSize } from "./values.js";
import type { Rng } from "./rng.js";

export type { BlockSize };

export function blockSizeArg(bs: string | BlockSize, option = "bs"): BlockSize {
  return typeof bs === "string" ? parseBlockSize(bs, option) : bs;
}

export { formatBlockSize };

/** Sizes a range draws from: min, 2 min, ... rangeSteps(min, max) x min, the largest multiple of min not above max. */
export function rangeSteps(min: number, max: number): number {
  return Math.floor((max - min) / min) + 1;
}

/**
 * The largest I/O a block size can produce: what BlockSizeSampler.next()
 * can return (a range's largest multiple of its minimum, not its maximum).
 * Segments per I/O, and so every slab and shared buffer sized by them,
 * come from this one number.
 */
export function largestBlockBytes(bs: BlockSize): number {
  switch (bs.kind) {
    case "fixed": return bs.bytes;
    case "range": return bs.min * rangeSteps(bs.min, bs.max);
    case "split": return Math.max(...bs.entries.filter((e) => e.percent > 0).map((e) => e.bytes));
  }
}

export class BlockSizeSampler {
  /** Largest size this sampler can return. */
  readonly maxBytes: number;
  /** Mean size in bytes. */
  readonly meanBytes: number;
  private readonly kind: 0 | 1 | 2;
  private readonly fixed: number;
  private readonly min: number;
  private readonly steps: number;
  /** Split: 100 slots, one per percent. */
  private readonly table: Float64Array;

  constructor(bs: BlockSize, private readonly rng: Rng) {
    this.table = new Float64Array(100);
    this.fixed = 0;
    this.min = 0;
    this.steps = 0;
    switch (bs.kind) {
      case "fixed":
        this.kind = 0;
        this.fixed = bs.bytes;
        this.maxBytes = bs.bytes;
        this.meanBytes = bs.bytes;
        break;
      case "range": {
        this.kind = 1;
        this.min = bs.min;
        this.steps = rangeSteps(bs.min, bs.max);
        this.maxBytes = largestBlockBytes(bs);
        this.meanBytes = (bs.min * (this.steps + 1)) / 2;
        break;
      }
      case "split": {
        this.kind = 2;
        let i = 0;
        let mean = 0;
        for (const e of bs.entries) {
          for (let k = 0; k < e.percent; k++) this.table[i++] = e.bytes;
          mean += (e.bytes * e.percent) / 100;
        }
        if (i !== 100) throw new RangeError(`block size split must add up to 100%, got ${i}%`);
        this.maxBytes = largestBlockBytes(bs);
        this.meanBytes = mean;
        break;
      }
    }
  }

  next(): number {
    if (this.kind === 0) return this.fixed;
    if (this.kind === 1) return this.min * (1 + Math.floor(this.rng.next() * this.steps));
    return this.table[Math.floor(this.rng.next() * 100)]!;
  }
}
