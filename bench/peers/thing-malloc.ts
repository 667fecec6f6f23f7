// Adapter over @thi.ng/malloc's MemPool (a port of thi.ng/tinyalloc) as a
// byte-sized RangeAllocator.
//
// Behaviour read from node_modules/@thi.ng/malloc/pool.js (v6.1.150):
// - the pool keeps its own 28-byte state at `start` inside the buffer, and
//   each block has an 8-byte header [size, next] just before the address
//   returned, so with the default align 8 the first address is 40 and the
//   largest single malloc is byteSize - 40;
// - block size = align(bytes + 8, align); returned addresses are multiples of
//   `align` (>= 8, power of two); malloc(<= 0) and failure both return 0;
// - malloc is first-fit over an address-sorted free list, else bumps `top`;
//   a chosen free block is split when the excess is >= minSplit (default 16);
// - free(addr) searches the *used* list linearly (O(live blocks)), inserts
//   into the sorted free list (O(free blocks)) and, with compact (default
//   on), walks the whole free list merging neighbours and lowering `top`;
//   an unknown or already freed address returns false.
import { MemPool, type MemPoolOpts } from '@thi.ng/malloc';
import { RangeAllocatorError } from './errors.js';
import type { RangeAllocator } from './types.js';

export type ThingMallocOptions = Partial<Pick<MemPoolOpts, 'align' | 'compact' | 'split' | 'minSplit'>>;

export class ThingMalloc implements RangeAllocator {
  readonly name = '@thi.ng/malloc';
  readonly pool: MemPool;
  /** Lowest address malloc can return: align(28-byte state + 8-byte header). */
  readonly firstAddress: number;

  constructor(
    readonly byteSize: number,
    opts: ThingMallocOptions = {},
  ) {
    this.pool = new MemPool({ size: byteSize, ...opts });
    const align = opts.align ?? 8;
    this.firstAddress = Math.ceil(36 / align) * align;
  }

  alloc(size: number): number | null {
    const addr = this.pool.malloc(size);
    return addr === 0 ? null : addr;
  }

  // The size is not needed: the block header records it.
  free(offset: number, _size: number): void {
    if (!this.pool.free(offset)) throw new RangeAllocatorError('unknown-offset', offset);
  }

  reset(): void {
    this.pool.freeAll();
  }
}
