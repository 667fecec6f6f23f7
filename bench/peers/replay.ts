// Runs an OpSequence against one allocator. Kept to one tight loop so the
// timed part is the allocator, not the harness.
import type { Allocation, IdAllocator, RangeAllocator } from './types.js';
import type { OpSequence } from './workloads.js';

export interface ReplayState {
  /** Offset currently held by each slot; -1 when its alloc failed. */
  readonly slotOffset: Float64Array;
  /** Per op: the offset an alloc got (-1 = failed); NaN for frees. Null when not recording. */
  readonly offsets: Float64Array | null;
  failures: number;
}

export function replayState(seq: OpSequence, record = true): ReplayState {
  return {
    slotOffset: new Float64Array(seq.slots).fill(-1),
    offsets: record ? new Float64Array(seq.count).fill(NaN) : null,
    failures: 0,
  };
}

/**
 * Replays ops [from, to) into `state`. An IdAllocator is called with the same
 * arguments (JS ignores the extra size), so it may replay size-1 sequences.
 * A free whose alloc failed is skipped: the block was never handed out.
 */
export function replaySpan(
  a: RangeAllocator | IdAllocator,
  seq: OpSequence,
  from: number,
  to: number,
  state: ReplayState,
): void {
  // An IdAllocator is told apart by its alloc() declaring no parameter.
  if (a.alloc.length === 0 && seq.maxSize > 1) {
    throw new TypeError(`${a.name} allocates single ids and cannot replay ${seq.name}`);
  }
  const r = a as RangeAllocator;
  const { ops } = seq;
  const { slotOffset, offsets } = state;
  let failures = 0;
  // Plain int32 locals for the bounds (`| 0`): with the parameters as the
  // loop's bounds V8 kept the index tagged and re-tested both bounds were
  // small integers on every operation (the same cost for every allocator,
  // but a third of the emptyPool figure).
  const end = to | 0;
  for (let i = from | 0; i < end; i++) {
    const size = ops[2 * i];
    const slot = ops[2 * i + 1];
    if (size > 0) {
      const off = r.alloc(size);
      const got = off === null ? -1 : off;
      if (got < 0) failures++;
      slotOffset[slot] = got;
      if (offsets !== null) offsets[i] = got;
    } else {
      const off = slotOffset[slot];
      if (off >= 0) r.free(off, -size);
      slotOffset[slot] = -1;
    }
  }
  state.failures += failures;
}

/** Replays the whole sequence, recording every offset handed out. */
export function replay(a: RangeAllocator | IdAllocator, seq: OpSequence): ReplayState {
  const state = replayState(seq);
  replaySpan(a, seq, 0, seq.count, state);
  return state;
}

/** The successful allocations of a recorded replay, in op order. */
export function allocationsOf(seq: OpSequence, state: ReplayState): Allocation[] {
  const out: Allocation[] = [];
  const { offsets } = state;
  if (offsets === null) throw new TypeError('replay was not recorded');
  for (let i = 0; i < seq.count; i++) {
    const size = seq.ops[2 * i];
    if (size > 0 && offsets[i] >= 0) out.push({ offset: offsets[i], size });
  }
  return out;
}
