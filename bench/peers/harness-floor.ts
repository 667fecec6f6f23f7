// Two reference points for the peer workloads, not peers: what the replay
// loop costs by itself, and what the plainest JavaScript free list costs on
// emptyPool. No allocator replayed through the same loop can beat a peer by
// more than (peer / null), and none that keeps a stack by more than
// (peer / js-stack): on emptyPool that bounds every ratio near 2x
// (issue 15's target there).
import type { RangeAllocator } from './types.js';

/** Hands out offset 0 every time and forgets every free: the replay loop and its calls alone. */
export class NullAllocator implements RangeAllocator {
  readonly name = 'null (replay loop only)';
  alloc(_size: number): number | null {
    return 0;
  }
  free(_offset: number, _size: number): void {}
  reset(): void {}
}

/**
 * A stack of fixed-size blocks with no argument checks and no size classes:
 * offsets i * blockBytes. For emptyPool only (every block the same size, at
 * most `blocks` live); a size above blockBytes or an empty stack refuses.
 */
export class JsStack implements RangeAllocator {
  readonly name = 'js-stack (no checks)';
  private readonly free_: Float64Array;
  private top = 0;
  constructor(private readonly blocks: number, private readonly blockBytes: number) {
    this.free_ = new Float64Array(blocks);
    this.reset();
  }
  alloc(size: number): number | null {
    if (size > this.blockBytes || this.top === 0) return null;
    return this.free_[--this.top];
  }
  free(offset: number, _size: number): void {
    this.free_[this.top++] = offset;
  }
  reset(): void {
    for (let i = 0; i < this.blocks; i++) this.free_[i] = (this.blocks - 1 - i) * this.blockBytes;
    this.top = this.blocks;
  }
}
