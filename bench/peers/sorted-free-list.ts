// The "what you would write yourself" baseline: free space as a sorted array
// of [start, end) extents, first-fit by linear scan, free by binary search
// with coalescing, and a Map of live ranges so misuse is caught, not absorbed.
import { RangeAllocatorError } from './errors.js';
import type { RangeAllocator } from './types.js';

export interface SortedFreeListOptions {
  /** First offset handed out (default 0). */
  base?: number;
  /** Sizes are rounded up to this multiple, so every offset is base + k*align (default 1). */
  align?: number;
}

export class SortedFreeList implements RangeAllocator {
  readonly name = 'sorted-free-list';
  readonly base: number;
  readonly end: number;
  readonly align: number;
  // Parallel arrays of small integers stay packed-SMI in V8: cheaper than an
  // array of {start,end} objects and splice is a plain memmove.
  private starts: number[] = [];
  private ends: number[] = [];
  private readonly live = new Map<number, number>();

  constructor(capacity: number, opts: SortedFreeListOptions = {}) {
    const base = opts.base ?? 0;
    const align = opts.align ?? 1;
    if (!Number.isSafeInteger(align) || align < 1) throw new RangeAllocatorError('bad-arena', align, 'align');
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeAllocatorError('bad-arena', base, 'base');
    const usable = capacity - (capacity % align);
    if (!Number.isSafeInteger(capacity) || usable < align) {
      throw new RangeAllocatorError('bad-arena', capacity, 'capacity');
    }
    this.base = base;
    this.end = base + usable;
    this.align = align;
    this.reset();
  }

  alloc(size: number): number | null {
    const need = this.rounded(size);
    const { starts, ends } = this;
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i];
      const room = ends[i] - start;
      if (room < need) continue;
      if (room === need) {
        starts.splice(i, 1);
        ends.splice(i, 1);
      } else {
        starts[i] = start + need;
      }
      this.live.set(start, need);
      return start;
    }
    return null;
  }

  free(offset: number, size: number): void {
    const need = this.rounded(size);
    const held = this.live.get(offset);
    if (held === undefined) {
      throw new RangeAllocatorError(this.isFree(offset) ? 'double-free' : 'unknown-offset', offset);
    }
    if (held !== need) {
      throw new RangeAllocatorError('size-mismatch', size, `offset ${offset} holds ${held}`);
    }
    this.live.delete(offset);
    this.insert(offset, offset + held);
  }

  reset(): void {
    this.starts = [this.base];
    this.ends = [this.end];
    this.live.clear();
  }

  /** Free extents as [start, end) pairs, lowest first (a copy, for tests). */
  extents(): Array<[number, number]> {
    return this.starts.map((s, i) => [s, this.ends[i]] as [number, number]);
  }

  get liveCount(): number {
    return this.live.size;
  }

  private rounded(size: number): number {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeAllocatorError('bad-size', size);
    const rem = size % this.align;
    return rem === 0 ? size : size + this.align - rem;
  }

  /** Index of the first extent whose start is >= offset. */
  private lowerBound(offset: number): number {
    const { starts } = this;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private isFree(offset: number): boolean {
    const i = this.lowerBound(offset + 1) - 1; // last extent starting at or before offset
    return i >= 0 && offset < this.ends[i];
  }

  private insert(start: number, end: number): void {
    const { starts, ends } = this;
    const i = this.lowerBound(start);
    const joinLeft = i > 0 && ends[i - 1] === start;
    const joinRight = i < starts.length && starts[i] === end;
    if (joinLeft && joinRight) {
      ends[i - 1] = ends[i];
      starts.splice(i, 1);
      ends.splice(i, 1);
    } else if (joinLeft) {
      ends[i - 1] = end;
    } else if (joinRight) {
      starts[i] = start;
    } else {
      starts.splice(i, 0, start);
      ends.splice(i, 0, end);
    }
  }
}
