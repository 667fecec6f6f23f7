// Magazines: fixed-size stacks of cached pfns, taken from a slab in shared
// memory. Index 0 means "no magazine": a CPU slot may hold 0 after the slab
// ran dry (or fault injection limited it), and every helper here treats 0 as
// an empty magazine that cannot take a pfn, so that case never crashes.

import { Domain, Magazine, NIL, magAt, magPfnPtr, slabLockAddr, treeLockAddr } from "../layout";
import { lock, unlock } from "../lock";
import { DEBUG } from "../debug";
import { findNode, removeNode, freeMovesCachedNode } from "../tree/domain";
import { selfId } from "../self";
import { takeCellsLocked } from "../slab";

/**
 * A new empty magazine, or 0 when magCap magazines are made (or the injected
 * limit is out, or the memory cannot grow). A fresh one is a run of magCells
 * slab cells, named by the first.
 */
export function magAlloc(d: Domain): u32 {
  lock(d, slabLockAddr(d), selfId);
  let m: u32 = 0;
  if (d.magsUsed < d.magLimit) {
    m = d.magFreeHead;
    if (m != 0) {
      d.magFreeHead = magAt(d, m).next;
    } else if (d.magsMade < d.magCap) {
      m = takeCellsLocked(d, d.magCells);
      if (m != 0) d.magsMade++;
    }
    if (m != 0) d.magsUsed++;
  }
  if (m == 0) d.magAllocFailures++;
  unlock(slabLockAddr(d));
  if (m != 0) {
    let M = magAt(d, m);
    M.size = 0;
    M.next = 0;
  }
  return m;
}

export function magFree(d: Domain, m: u32): void {
  if (m == 0) return;
  lock(d, slabLockAddr(d), selfId);
  magAt(d, m).next = d.magFreeHead;
  d.magFreeHead = m;
  d.magsUsed--;
  unlock(slabLockAddr(d));
}

// @ts-ignore: decorator
@inline export function magSize(d: Domain, m: u32): u32 {
  return m == 0 ? 0 : magAt(d, m).size;
}
// @ts-ignore: decorator
@inline export function magFull(d: Domain, m: u32): bool {
  return m != 0 && magAt(d, m).size == d.magSize;
}
// @ts-ignore: decorator
@inline export function magEmpty(d: Domain, m: u32): bool {
  return m == 0 || magAt(d, m).size == 0;
}

// @ts-ignore: decorator
@inline export function magPush(d: Domain, m: u32, pfn: u64): void {
  let M = magAt(d, m);
  if (DEBUG) assert(m != 0 && M.size < d.magSize, "magPush: a real magazine with room");
  store<u64>(magPfnPtr(d, m, M.size), pfn);
  M.size++;
}

/**
 * iova_magazine_pop: from the top down, the first pfn at or below limit;
 * the top entry is swapped into its slot. 0 if none fits (m non-empty).
 */
export function magPop(d: Domain, m: u32, limit: u64): u64 {
  let M = magAt(d, m);
  if (DEBUG) assert(m != 0 && M.size > 0, "magPop: a non-empty magazine");
  let i = <i32>M.size - 1;
  while (load<u64>(magPfnPtr(d, m, i)) > limit) {
    if (i == 0) return 0;
    i--;
  }
  let pfn = load<u64>(magPfnPtr(d, m, i));
  M.size--;
  store<u64>(magPfnPtr(d, m, i), load<u64>(magPfnPtr(d, m, M.size)));
  return pfn;
}

/**
 * iova_magazine_pop's first step alone: the top pfn of m if m (0: none) is
 * not empty and the top is at or below limit, else 0 and m unchanged (the
 * caller then takes the general path, which pops the same pfn if any).
 */
// @ts-ignore: decorator
@inline export function magPopTop(d: Domain, m: u32, limit: u64): u64 {
  if (m == 0) return 0;
  let M = magAt(d, m);
  let n = M.size;
  if (n == 0) return 0;
  let pfn = load<u64>(magPfnPtr(d, m, n - 1));
  if (pfn > limit) return 0;
  M.size = n - 1;
  return pfn;
}

/** magPush if m (0: none) has room; false (m unchanged) if it is full or absent. */
// @ts-ignore: decorator
@inline export function magPushRoom(d: Domain, m: u32, pfn: u64): bool {
  if (m == 0) return false;
  let M = magAt(d, m);
  let n = M.size;
  if (n == d.magSize) return false;
  store<u64>(magPfnPtr(d, m, n), pfn);
  M.size = n + 1;
  return true;
}

/** iova_magazine_free_pfns: every pfn back to the tree, under the tree lock. */
export function magFreePfns(d: Domain, m: u32): u32 {
  if (m == 0) return 0;
  let M = magAt(d, m);
  let n = M.size;
  if (n == 0) return 0;
  lock(d, treeLockAddr(d), selfId);
  for (let i: u32 = 0; i < n; i++) {
    let z = findNode(d, load<u64>(magPfnPtr(d, m, i)));
    if (z != NIL) removeNode(d, z);  // the kernel WARNs and skips a missing one
  }
  // Emptied inside the tree lock: a worker terminated just after the unlock
  // must not leave pfns listed that are free in the tree (or already someone
  // else's), for the CPU-dead path would free them again.
  M.size = 0;
  unlock(treeLockAddr(d));
  return n;
}

/**
 * At most max pfns of m back to the tree in one
 * hold of the tree lock, only those whose free leaves the tree's cached
 * nodes where they are (freeMovesCachedNode); the rest stay in m. A free at
 * or above v6.x's and v5.10's cached32_node steps it up past the freed
 * range, and the next allocation that the holes there cannot take (every
 * too-big one) walks down from it through every node in between: on the
 * study's merged load with migrating jobs one such free cost a walk of up
 * to 35K nodes, 4.3 ms under the tree lock (docs/adaptive-policy.md). A
 * free below the cached node removes a node under the walks' start and
 * lengthens none (from v5.18 on a 32-bit one still resets max32_alloc_size:
 * tree/domain.ts freeMovesCachedNode). Scanned from the top; a freed pfn's slot takes the top's.
 * Returns how many were freed.
 */
export function magFreeKeepingStart(d: Domain, m: u32, max: u32): u32 {
  let M = magAt(d, m);
  let n: u32 = 0;
  lock(d, treeLockAddr(d), selfId);
  let i = M.size;
  while (i > 0 && n < max) {
    i--;
    let pfn = load<u64>(magPfnPtr(d, m, i));
    // The node itself, not [pfn, pfn + 2^order - 1]: its range is what the
    // free's cached-node update tests (freeMovesCachedNode).
    let z = findNode(d, pfn);
    if (z != NIL && freeMovesCachedNode(d, z)) continue;
    let top = M.size - 1;
    store<u64>(magPfnPtr(d, m, i), load<u64>(magPfnPtr(d, m, top)));
    M.size = top;
    if (z != NIL) removeNode(d, z);  // as magFreePfns: a missing one is skipped
    n++;
  }
  unlock(treeLockAddr(d));
  return n;
}
