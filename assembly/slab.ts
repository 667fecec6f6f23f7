// The slab's bump allocator and its growth (the slab is drawn in layout.ts).
//
// Cells are handed out once, in index order, under the slab lock; nodes and
// magazines keep their own free lists, so the bump only moves when a free
// list is empty. When the bump enters a group the memory does not cover yet,
// memory.grow maps it. Wasm code in every thread sees the grown memory at
// once (all instances share one WebAssembly.Memory), so growing needs no
// coordination beyond this lock; only host-side typed-array views can be
// stale, and the host re-makes those (src/wasm/views.ts).

import { Domain, GROUP_SHIFT, GROUP_CELLS, GROUP_BYTES, USABLE_CELLS, NIL, slabLockAddr, totalBytesAddr } from "./layout";
import { lock, unlock, holds } from "./lock";
import { DEBUG } from "./debug";
import { selfId } from "./self";
import { atomicStore } from "./atomics";

/**
 * The first of n fresh consecutive cells (n <= USABLE_CELLS), or NIL when
 * the slab reached maxGroups or the engine refused to grow the memory.
 * The caller holds the slab lock.
 */
export function takeCellsLocked(d: Domain, n: u32): u32 {
  if (DEBUG) assert(holds(slabLockAddr(d)) && n >= 1 && n <= USABLE_CELLS, "takeCellsLocked: under the slab lock, a run that fits a group");
  let i = d.cellsHigh;
  // A run must end before its group's count block: else start the next group.
  if ((i & (GROUP_CELLS - 1)) + n > USABLE_CELLS) i = (i | (GROUP_CELLS - 1)) + 1;
  let group = i >> GROUP_SHIFT;
  if (group >= d.groups && !mapGroups(d, group + 1)) return NIL;
  d.cellsHigh = i + n;
  return i;
}

/** takeCellsLocked(d, 1) under the slab lock: a fresh cell for a node. */
export function takeCell(d: Domain): u32 {
  lock(d, slabLockAddr(d), selfId);
  let i = takeCellsLocked(d, 1);
  unlock(slabLockAddr(d));
  return i;
}

/** Grows the memory to cover `groups` groups of the slab. False if it may not or cannot. */
function mapGroups(d: Domain, groups: u32): bool {
  if (groups > d.maxGroups) return false;
  let end = <u64>changetype<usize>(d) + <u64>d.offNodes + <u64>groups * <u64>GROUP_BYTES;
  let have = <u64>memory.size() << 16;
  if (end > have) {
    let pages = <i32>((end - have + 0xFFFF) >> 16);
    if (memory.grow(pages) < 0) {
      d.growFailures++;
      return false;
    }
  }
  d.groups = groups;
  atomicStore<u32>(totalBytesAddr(d), d.offNodes + groups * GROUP_BYTES);
  return true;
}
