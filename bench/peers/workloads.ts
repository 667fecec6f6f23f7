// Deterministic operation sequences any peer can replay. Frees name a *slot*
// (the allocation they undo) rather than an offset, because offsets are only
// known once a particular allocator has run the sequence.
import { below, splitmix32, unit, type Rng } from './prng.js';

export { replay, replaySpan, replayState, allocationsOf } from './replay.js';
export type { ReplayState } from './replay.js';

export interface OpSequence {
  readonly name: string;
  /** Pairs [size, slot]: size > 0 allocates `size` into slot; size < 0 frees slot (|size| is its size). */
  readonly ops: Int32Array;
  /** Number of operations (ops.length / 2). */
  readonly count: number;
  /** Size of the slot table replay needs. */
  readonly slots: number;
  /** Ops [steadyFrom, steadyTo) are the timed steady state; before is fill, after is drain. */
  readonly steadyFrom: number;
  readonly steadyTo: number;
  /** Alloc ops inside the steady window: the "pairs" times are divided by. */
  readonly steadyAllocs: number;
  readonly allocs: number;
  readonly maxSize: number;
  /** Most blocks / units live at once (sum of requested sizes). */
  readonly peakLive: number;
  readonly peakUnits: number;
}

export interface SizeRange {
  min: number;
  max: number;
}

/** Records ops and the live set while a generator runs. */
class Builder {
  private ops: number[] = [];
  private live: number[] = []; // live slots, dense so a random pick is O(1)
  private sizes: number[] = []; // slot -> size
  private spare: number[] = []; // free slot numbers
  private units = 0;
  private allocs = 0;
  private maxSize = 0;
  private peakLive = 0;
  private peakUnits = 0;
  private steadyFrom = 0;
  private steadyTo = -1; // -1: no drain, the window runs to the end
  private allocsAtSteady = 0;
  private allocsAtDrain = 0;

  get liveCount(): number {
    return this.live.length;
  }

  alloc(size: number): void {
    const slot = this.spare.pop() ?? this.sizes.length;
    this.sizes[slot] = size;
    this.live.push(slot);
    this.ops.push(size, slot);
    this.units += size;
    this.allocs++;
    this.maxSize = Math.max(this.maxSize, size);
    this.peakLive = Math.max(this.peakLive, this.live.length);
    this.peakUnits = Math.max(this.peakUnits, this.units);
  }

  /** Frees the live block at position `i` of the live list (swap-remove). */
  freeAt(i: number): void {
    const slot = this.live[i];
    const last = this.live.pop()!;
    if (last !== slot) this.live[i] = last;
    this.spare.push(slot);
    this.units -= this.sizes[slot];
    this.ops.push(-this.sizes[slot], slot);
  }

  freeRandom(rng: Rng): void {
    this.freeAt(below(rng, this.live.length));
  }

  markSteady(): void {
    this.steadyFrom = this.ops.length / 2;
    this.allocsAtSteady = this.allocs;
  }

  /** Closes the steady window and frees everything, in random order. */
  drain(rng: Rng): void {
    this.steadyTo = this.ops.length / 2;
    this.allocsAtDrain = this.allocs;
    while (this.live.length > 0) this.freeRandom(rng);
  }

  finish(name: string): OpSequence {
    const count = this.ops.length / 2;
    const drained = this.steadyTo >= 0;
    return {
      name,
      ops: Int32Array.from(this.ops),
      count,
      slots: this.sizes.length,
      steadyFrom: this.steadyFrom,
      steadyTo: drained ? this.steadyTo : count,
      steadyAllocs: (drained ? this.allocsAtDrain : this.allocs) - this.allocsAtSteady,
      allocs: this.allocs,
      maxSize: this.maxSize,
      peakLive: this.peakLive,
      peakUnits: this.peakUnits,
    };
  }
}

/** Single ids: fill `live`, then `pairs` x (free a random live id, alloc one), then drain. */
export function idChurn(pairs: number, seed: number, live = 1000): OpSequence {
  const rng = splitmix32(seed);
  const b = new Builder();
  for (let i = 0; i < live; i++) b.alloc(1);
  b.markSteady();
  for (let i = 0; i < pairs; i++) {
    if (b.liveCount > 0) b.freeRandom(rng);
    b.alloc(1);
  }
  b.drain(rng);
  return b.finish(`idChurn(live=${live})`);
}

/** Log-uniform size in [min, max]: as many 16..32 byte requests as 2048..4096 ones. */
function logUniform(rng: Rng, { min, max }: SizeRange): number {
  const s = Math.floor(Math.exp(Math.log(min) + unit(rng) * (Math.log(max + 1) - Math.log(min))));
  return Math.min(max, Math.max(min, s));
}

/**
 * Mixed sizes around `liveTarget` live blocks: fill to the target, then `ops`
 * operations of a mean-reverting random walk (alloc more likely below the
 * target, free of a random live block more likely above), then drain.
 */
export function mixedSizes(
  liveTarget: number,
  ops: number,
  seed: number,
  sizes: SizeRange = { min: 16, max: 4096 },
): OpSequence {
  const rng = splitmix32(seed);
  const b = new Builder();
  for (let i = 0; i < liveTarget; i++) b.alloc(logUniform(rng, sizes));
  b.markSteady();
  const band = Math.max(4, liveTarget / 8); // how far the walk may wander before it is pulled back
  for (let i = 0; i < ops; i++) {
    const pAlloc = Math.min(0.95, Math.max(0.05, 0.5 + (liveTarget - b.liveCount) / (2 * band)));
    if (b.liveCount === 0 || unit(rng) < pAlloc) b.alloc(logUniform(rng, sizes));
    else b.freeRandom(rng);
  }
  b.drain(rng);
  return b.finish(`mixedSizes(live=${liveTarget})`);
}

/** `pairs` x (alloc `size`, free it) on an otherwise empty allocator: the fast path. */
export function emptyPool(pairs: number, size = 64): OpSequence {
  const b = new Builder();
  for (let i = 0; i < pairs; i++) {
    b.alloc(size);
    b.freeAt(0);
  }
  return b.finish(`emptyPool(size=${size})`);
}

/**
 * A byte arena that holds the sequence's peak with room for fragmentation and
 * per-block headers/padding (16 bytes covers @thi.ng/malloc at align 8).
 */
export function suggestedArena(seq: OpSequence, slack = 2): number {
  const bytes = seq.peakUnits * slack + seq.peakLive * 16 + 4096;
  return Math.ceil(bytes / 4096) * 4096;
}
