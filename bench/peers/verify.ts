// Independent checks of what an allocator handed out: no two live ranges
// overlap and every range lies inside the arena. Kept separate from the
// allocators so a bug in one cannot hide in the other.
import type { Allocation } from './types.js';
import type { OpSequence } from './workloads.js';
import type { ReplayState } from './replay.js';

/** Offsets an allocator may return: [start, end). */
export interface Arena {
  start: number;
  end: number;
}

export type VerifyErrorKind = 'overlap' | 'out-of-arena' | 'bad-range' | 'not-live';

export class VerifyError extends Error {
  override readonly name = 'VerifyError';
  constructor(
    readonly kind: VerifyErrorKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
  }
}

const show = (a: Allocation) => `[${a.offset}, ${a.offset + a.size})`;

function checkRange(a: Allocation, arena?: Arena): void {
  if (!Number.isInteger(a.offset) || !Number.isInteger(a.size) || a.size <= 0) {
    throw new VerifyError('bad-range', show(a));
  }
  if (arena && (a.offset < arena.start || a.offset + a.size > arena.end)) {
    throw new VerifyError('out-of-arena', `${show(a)} outside [${arena.start}, ${arena.end})`);
  }
}

/** Throws if any two of these (simultaneously live) ranges overlap. */
export function checkNoOverlap(allocs: readonly Allocation[], arena?: Arena): void {
  const sorted = [...allocs].sort((x, y) => x.offset - y.offset);
  for (let i = 0; i < sorted.length; i++) {
    checkRange(sorted[i], arena);
    if (i > 0 && sorted[i - 1].offset + sorted[i - 1].size > sorted[i].offset) {
      throw new VerifyError('overlap', `${show(sorted[i - 1])} and ${show(sorted[i])}`);
    }
  }
}

/** Ranges live right now, sorted by offset; add/remove throw on any inconsistency. */
export class LiveSet {
  private starts: number[] = [];
  private ends: number[] = [];
  private units = 0;

  constructor(readonly arena: Arena) {}

  get count(): number {
    return this.starts.length;
  }

  /** Sum of live sizes. */
  get size(): number {
    return this.units;
  }

  add(offset: number, size: number): void {
    checkRange({ offset, size }, this.arena);
    const i = this.lowerBound(offset);
    const end = offset + size;
    if (i > 0 && this.ends[i - 1] > offset) this.overlap(offset, size, i - 1);
    if (i < this.starts.length && this.starts[i] < end) this.overlap(offset, size, i);
    this.starts.splice(i, 0, offset);
    this.ends.splice(i, 0, end);
    this.units += size;
  }

  remove(offset: number, size: number): void {
    const i = this.lowerBound(offset);
    if (this.starts[i] !== offset || this.ends[i] !== offset + size) {
      throw new VerifyError('not-live', `${show({ offset, size })} is not a live range`);
    }
    this.starts.splice(i, 1);
    this.ends.splice(i, 1);
    this.units -= size;
  }

  private overlap(offset: number, size: number, j: number): never {
    const other = { offset: this.starts[j], size: this.ends[j] - this.starts[j] };
    throw new VerifyError('overlap', `new ${show({ offset, size })} overlaps live ${show(other)}`);
  }

  private lowerBound(offset: number): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface ReplayCheck {
  allocs: number;
  failures: number;
  peakLive: number;
}

/**
 * Walks a recorded replay op by op through a LiveSet: every alloc must fit
 * the arena and miss every range live at that moment.
 */
export function verifyReplay(seq: OpSequence, state: ReplayState, arena: Arena): ReplayCheck {
  const { offsets } = state;
  if (offsets === null) throw new TypeError('replay was not recorded');
  const live = new LiveSet(arena);
  const held = new Float64Array(seq.slots).fill(-1);
  let allocs = 0;
  let failures = 0;
  let peakLive = 0;
  for (let i = 0; i < seq.count; i++) {
    const size = seq.ops[2 * i];
    const slot = seq.ops[2 * i + 1];
    if (size > 0) {
      const off = offsets[i];
      held[slot] = off;
      if (off < 0) {
        failures++;
        continue;
      }
      live.add(off, size);
      allocs++;
      peakLive = Math.max(peakLive, live.count);
    } else if (held[slot] >= 0) {
      live.remove(held[slot], -size);
      held[slot] = -1;
    }
  }
  return { allocs, failures, peakLive };
}
