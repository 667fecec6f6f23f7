// Common shapes every benchmark peer is adapted to, so one replay loop and one
// checker serve them all.

/** Allocates contiguous ranges of an offset space (bytes for malloc-like peers). */
export interface RangeAllocator {
  name: string;
  /** Offset of a range of `size` units, or null when no free range fits. */
  alloc(size: number): number | null;
  /** Returns a range; `size` is the one passed to alloc (peers that keep headers may ignore it). */
  free(offset: number, size: number): void;
  /** Back to the empty state, so an instance can be reused between repetitions. */
  reset(): void;
  /** Releases what the instance holds outside the JS heap (ours: its wasm domain); the JS peers have nothing to release. */
  destroy?(): void;
}

/** Allocates single ids (ranges of size 1). */
export interface IdAllocator {
  name: string;
  alloc(): number | null;
  free(id: number): void;
  /** As RangeAllocator's. */
  destroy?(): void;
}

/** One range handed out: what checkers compare. */
export interface Allocation {
  offset: number;
  size: number;
}
