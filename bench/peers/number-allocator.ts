// Adapter over npm `number-allocator` (js-sdsl ordered set of free intervals;
// alloc = lowest free number, free = O(log n) interval merge).
//
// Behaviour read from node_modules/number-allocator/lib (v1.0.14):
// - free() of an unallocated or out-of-range number is not reported (out of
//   range is silently ignored; an unallocated one is inserted again, so the
//   caller must never double free);
// - free(n) where n is one past the end of the *last* free interval reads the
//   interval's `high` as its `low`, so all but one number of that interval
//   drop out of the free set: a leak (capacity shrinks), never an overlap;
// - every alloc/free builds a `debug` trace string even when tracing is off.
import { NumberAllocator } from 'number-allocator';
import type { IdAllocator } from './types.js';

export class NumberAllocatorPeer implements IdAllocator {
  readonly name = 'number-allocator';
  private readonly na: NumberAllocator;

  /** Ids in [min, max], both inclusive as in the package. */
  constructor(
    readonly min = 0,
    readonly max = 65535,
  ) {
    this.na = new NumberAllocator(min, max);
  }

  alloc(): number | null {
    return this.na.alloc();
  }

  free(id: number): void {
    this.na.free(id);
  }

  /** Not part of IdAllocator; lets measure() reuse one instance. */
  reset(): void {
    this.na.clear();
  }

  /** Number of free intervals (1 once everything is freed, absent the leak above). */
  intervalCount(): number {
    return this.na.intervalCount();
  }
}
