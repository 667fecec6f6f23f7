// The kernel's tree-level IOVA operations (drivers/iommu/iova.c): alloc_iova,
// find_iova, free_iova, reserve_iova, with the cached-node bookkeeping that
// decides where the next search starts. Callers hold the tree lock.

import { Domain, Node, NIL, ANCHOR, IOVA_ANCHOR, Err, Flag, nodesBase, nodeIn, treeLockAddr } from "../layout";
import { holds } from "../lock";
import { propagate, propagateOwnGap, recompute, setGap, setGapAt, setGapKeepsOwn, setLeafGap, setCount, ownGap, ownAlignKey } from "./gap";
import { insertFixup, erase, next, nextIn, prev } from "./rbtree";
import { walkDown, seekDown, foundPfn, foundUpper, walkRounds, lowestAtOrAbove } from "./placement";
import { rank } from "./gap";
import { takeCell } from "../slab";
import { DEBUG } from "../debug";
import { retriesFromTop, retryBoundWraps, resetsOnAnyFree32 } from "../era";

/** Why the last tree operation of this instance failed (Err.*). */
export let treeError: u32 = Err.NONE;
/** The node the last successful allocRange linked in (what alloc_iova returns). */
export let allocatedNode: u32 = NIL;
/**
 * Nodes the kernel's own loop would have visited, summed over this
 * instance's allocations: the kernel walks node by node, so this is what its
 * alloc_iova costs. Exact when placing with the oracle walk; from ranks
 * (O(log n)) otherwise, exact on success and close on failure.
 */
export let kernelWalkSteps: f64 = 0;

/** Rounds of the kernel loop from `from` down to `to` (both in the tree). */
// @ts-ignore: decorator
@inline function roundsBetween(d: Domain, from: u32, to: u32): f64 {
  return <f64>(rank(d, from) - rank(d, to) + 1);
}

/** Estimated rounds of a failed pass from `from`: down to the first node at or above `low`. */
function failedRounds(d: Domain, from: u32, low: u64): f64 {
  let stop = lowestAtOrAbove(d, low);
  let r = rank(d, from);
  let s = rank(d, stop);
  return r >= s ? <f64>(r - s + 1) : 1;
}

// @ts-ignore: decorator
@inline function N(nb: usize, i: u32): Node { return nodeIn(nb, i); }

/** Sets up the empty tree: the anchor alone, both cached nodes on it. */
export function initTree(d: Domain, granuleShift: u32, startPfn: u64): void {
  let nb = nodesBase(d);
  d.granuleShift = granuleShift;
  d.startPfn = startPfn;
  d.dma32Pfn = <u64>1 << (32 - granuleShift);
  d.max32AllocSize = d.dma32Pfn;
  let A = N(nb, ANCHOR);
  A.lo = IOVA_ANCHOR;
  A.hi = IOVA_ANCHOR;
  setGap(A, 0);          // everything below the anchor is free
  recompute(d, nb, A);
  A.left = NIL; A.right = NIL; A.parent = NIL; A.red = 0;
  setCount(d, ANCHOR, 1);
  d.root = ANCHOR;
  d.cachedNode = ANCHOR;
  d.cached32Node = ANCHOR;
  d.nodesUsed = 1;
  d.nodesMade = 1;     // the anchor; cells 0 and 1 were taken by the slab's init
  d.freeNode = NIL;
}

// --- nodes: a free list threaded through Node.left, then fresh slab cells ---

/**
 * A node, or NIL when nodeCap ranges (plus the anchor) are made or the memory cannot grow.
 * Inlined into its two callers: the call was a measurable part of the tree pair.
 */
// @ts-ignore: decorator
@inline function takeNode(d: Domain, nb: usize): u32 {
  let i = d.freeNode;
  if (i != NIL) {
    d.freeNode = N(nb, i).left;
  } else {
    if (d.nodesMade > d.nodeCap) return NIL;
    i = takeCell(d);
    if (i == NIL) return NIL;
    d.nodesMade++;
  }
  d.nodesUsed++;
  return i;
}

function giveNode(d: Domain, nb: usize, i: u32): void {
  let X = N(nb, i);
  X.left = d.freeNode;
  X.parent = NIL;
  X.right = NIL;
  X.lo = 0; X.hi = 0;  // a freed node must not look like a range to check()
  d.freeNode = i;
  d.nodesUsed--;
}

/** Links node z holding [lo, hi] into the tree, searching from the root (reserve). */
function link(d: Domain, z: u32, lo: u64, hi: u64): void {
  let nb = nodesBase(d);
  let p: u32 = NIL;
  let t = d.root;
  let goLeft = false;
  while (t != NIL) {
    p = t;
    goLeft = lo < N(nb, t).lo;
    t = goLeft ? N(nb, t).left : N(nb, t).right;
  }
  attach(d, nb, z, lo, hi, p, goLeft);
  // The neighbours by walking: reserve is rare, and may land anywhere.
  let pr = prev(d, z);
  let s = next(d, z);
  finishLink(d, nb, z, lo, hi, pr == NIL ? 0 : N(nb, pr).hi + 1, s, N(nb, s).lo, p);
}

/**
 * Links z holding [lo, hi] just below `upper`, the node whose gap it was
 * carved from, as the kernel's iova_insert_rbtree(..., prev) starts at the
 * node its search ended on. The slot is known without a search from the
 * root: the left child of upper if it has none, else the right child of
 * the rightmost node of upper's left subtree (upper's predecessor).
 */
function linkBelow(d: Domain, nb: usize, z: u32, lo: u64, hi: u64, upper: u32): void {
  let U = N(nb, upper);
  let uLo = U.lo;
  let floor = uLo - U.gap;   // predecessor's hi + 1, before z takes its place
  let t = U.left;
  let p = upper;
  if (t == NIL) {
    attach(d, nb, z, lo, hi, upper, true);
  } else {
    while (N(nb, t).right != NIL) t = N(nb, t).right;
    attach(d, nb, z, lo, hi, t, false);
    p = t;
  }
  finishLink(d, nb, z, lo, hi, floor, upper, uLo, p);
}

/** Makes z a red leaf under p. */
// @ts-ignore: decorator
@inline function attach(d: Domain, nb: usize, z: u32, lo: u64, hi: u64, p: u32, asLeft: bool): void {
  let Z = N(nb, z);
  Z.lo = lo; Z.hi = hi;
  Z.left = NIL; Z.right = NIL; Z.red = 1;
  Z.parent = p;
  if (p == NIL) d.root = z;
  else if (asLeft) N(nb, p).left = z;
  else N(nb, p).right = z;
}

/**
 * Gaps of z (holding [lo, hi], above `floor`, linked under p) and of its
 * successor s (whose lo is sLo), then augmentation and colours. The values
 * come from the callers, which read or stored them just before: reading
 * them back from the nodes is a store-to-load round trip.
 */
function finishLink(d: Domain, nb: usize, z: u32, lo: u64, hi: u64, floor: u64, s: u32, sLo: u64, p: u32): void {
  let S = N(nb, s);
  // s was the lowest node: z, its new left child, is the lowest now.
  let belowAll = floor == 0;
  setLeafGap(d, N(nb, z), z, lo, floor);
  // A new leaf has no right child, so its successor is one of its ancestors.
  let sGap = setGapAt(S, sLo, hi + 1);
  if (belowAll) {
    // As the lowest, neither z nor s (before) took part in the maxima
    // (ownGap): s's own values rose from 0 and z adds 0, so the maxima
    // above s can only rise. Below all ranges top-down, s's gap is
    // usually 0 (z took the top of it): then nothing rises, and unless
    // subtree counts (which z changed) are kept, the call is skipped.
    if (DEBUG) assert(p == s);
    if (sGap != 0 || (d.flags & Flag.COUNT_WALK)) propagateOwnGap(d, s, 0, 0);
  } else {
    propagate(d, p);   // the deeper of the two
    // When s is z's parent, that first step recomputed it already.
    if (s != p) propagate(d, s);
  }
  // A red leaf under a black parent breaks no rule (rbtree.ts, insertFixup):
  // then the fixup, which would only re-read that colour, is skipped. The
  // parent is never nil: the anchor is always in the tree.
  if (DEBUG) assert(p != NIL);
  if (N(nb, p).red) insertFixup(d, z);
}

/** __cached_rbnode_insert_update */
// @ts-ignore: decorator
@inline function cachedInsertUpdate(d: Domain, nb: usize, z: u32): void {
  if (N(nb, z).hi < d.dma32Pfn) d.cached32Node = z;
  else d.cachedNode = z;
}

/**
 * Whether freeing node z, [lo, hi], steps cached32_node up
 * (__cached_rbnode_delete_update's test: z is the cached node, or a 32-bit
 * range at or above it). z == cached32_node first, as the kernel tests it:
 * a 64-bit free (hi at or above dma32) then reads no other node.
 */
// @ts-ignore: decorator
@inline function movesCached32(d: Domain, nb: usize, z: u32, lo: u64, hi: u64): bool {
  let c32 = d.cached32Node;
  return z == c32 || (hi < d.dma32Pfn && lo >= N(nb, c32).lo);
}

/** Whether freeing a range from lo steps cached_node up (__cached_rbnode_delete_update: at or above it). */
// @ts-ignore: decorator
@inline function movesCachedNode(d: Domain, nb: usize, lo: u64): bool {
  return lo >= N(nb, d.cachedNode).lo;
}

/**
 * Whether freeing node z, an allocated range, would step either cached node
 * up (cachedDeleteUpdate). Tested on z's own lo and hi: a node need not span
 * 2^order pfns from the pfn its cache holds (a size that is no power of two
 * freed into order order_base_2(size), or a lo that reserveRange widened).
 * A free that does not leaves every later walk's start where it was:
 * adaptive's reclaim returns only such pfns (rcache/magazine.ts
 * magFreeKeepingStart). Not every later walk is as short, though: from
 * v5.18 on any 32-bit free resets max32_alloc_size (resetsOnAnyFree32), so
 * a too-big 32-bit request that failed fast walks again.
 */
export function freeMovesCachedNode(d: Domain, z: u32): bool {
  let nb = nodesBase(d);
  let Z = N(nb, z);
  let lo = Z.lo;
  return movesCached32(d, nb, z, lo, Z.hi) || movesCachedNode(d, nb, lo);
}

/**
 * __cached_rbnode_delete_update: the cached nodes step up past a freed range
 * [zLo, zHi] (z's, which the caller has read).
 * Which frees reset max32_alloc_size depends on the era (resetsOnAnyFree32).
 */
// @ts-ignore: decorator
@inline function cachedDeleteUpdate(d: Domain, nb: usize, z: u32, zLo: u64, zHi: u64, succ: u32): void {
  let dma32 = d.dma32Pfn;
  let moves32 = movesCached32(d, nb, z, zLo, zHi);
  if (moves32) d.cached32Node = succ;
  if (resetsOnAnyFree32(d) ? zLo < dma32 : moves32) d.max32AllocSize = dma32;
  if (movesCachedNode(d, nb, zLo)) d.cachedNode = succ;
}

/**
 * The retry of a failed walk (v5.11 on; none in v5.10): the space above the
 * start node, from the top. Before v6.2 the bound was taken as pfn_hi + 1
 * and compared wrapped, so a failed walk from the anchor retried everything
 * down to 0. Out of allocRange's line: an allocation that fits below the
 * cached node (every one of the tree pair's) never gets here.
 */
function retryFromTop(d: Domain, start: u32, limitPfn: u64, size: u64, mask: u64, oracle: bool, counting: bool): bool {
  let nb = nodesBase(d);
  let retryLow = N(nb, start).hi + 1;   // wraps to 0 when start is the anchor
  let retry = retriesFromTop(d) && (retryBoundWraps(d) ? retryLow < limitPfn : retryLow - 1 < limitPfn);
  if (!retry) return false;
  // v6.x starts at iova_find_limit(); v5.11 at the anchor, which walks
  // through the nodes above the limit to the same place (same outcome).
  let top = limitPfn > d.dma32Pfn || retryBoundWraps(d) ? ANCHOR : lowestAtOrAbove(d, limitPfn);
  let ok = oracle
    ? walkDown(d, top, limitPfn, size, mask, retryLow)
    : seekDown(d, top, limitPfn, size, mask, retryLow);
  if (oracle) kernelWalkSteps += <f64>walkRounds;
  else if (counting) kernelWalkSteps += ok ? roundsBetween(d, top, foundUpper) : failedRounds(d, top, retryLow);
  return ok;
}

/**
 * alloc_iova: a range of `size` pages at or below `limit` (inclusive),
 * aligned to roundup_pow_of_two(size) if asked. Returns pfn_lo, or -1 with
 * treeError set.
 */
export function allocRange(d: Domain, size: u64, limit: u64, aligned: bool): i64 {
  let nb = nodesBase(d);
  if (DEBUG) assert(holds(treeLockAddr(d)), "allocRange: the caller holds the tree lock");
  let limitPfn = limit + 1;
  let mask: u64 = aligned ? ~(<u64>0) << (64 - clz<u64>(size - 1)) : ~(<u64>0);
  if (limitPfn <= d.dma32Pfn && size >= d.max32AllocSize) {
    treeError = Err.FAST_FAIL_32;
    d.allocFailures++;
    return -1;
  }
  let z = takeNode(d, nb);
  if (z == NIL) {
    treeError = Err.NODE_SLAB_FULL;
    d.slabFull++;
    d.allocFailures++;
    return -1;
  }
  let start = limitPfn <= d.dma32Pfn ? d.cached32Node : d.cachedNode;
  let flags = d.flags;
  let oracle = (flags & Flag.ORACLE_WALK) != 0;
  // v5.10's loop has no `new_pfn >= low_pfn` stop: it walks on below
  // start_pfn and tests new_pfn against start_pfn once, after the loop.
  // Same outcome, a longer walk; walking with low 0 and testing after is
  // that loop exactly.
  let stopsAtStart = retriesFromTop(d);
  let stopLow = stopsAtStart ? d.startPfn : 0;
  let ok = oracle
    ? walkDown(d, start, limitPfn, size, mask, stopLow)
    : seekDown(d, start, limitPfn, size, mask, stopLow);
  // With stopLow = start_pfn the search has tested it already.
  if (ok && !stopsAtStart && foundPfn < d.startPfn) ok = false;
  let counting = (flags & Flag.COUNT_WALK) != 0;
  if (oracle) kernelWalkSteps += <f64>walkRounds;
  else if (counting) kernelWalkSteps += ok ? roundsBetween(d, start, foundUpper) : failedRounds(d, start, stopLow);
  if (!ok) ok = retryFromTop(d, start, limitPfn, size, mask, oracle, counting);
  if (!ok) {
    d.max32AllocSize = size;
    giveNode(d, nb, z);
    treeError = Err.NO_SPACE;
    d.allocFailures++;
    return -1;
  }
  let lo = foundPfn;
  linkBelow(d, nb, z, lo, lo + size - 1, foundUpper);
  cachedInsertUpdate(d, nb, z);
  allocatedNode = z;
  d.allocs++;
  return <i64>lo;
}

/** private_find_iova: the node whose range holds pfn, or nil. */
export function findNode(d: Domain, pfn: u64): u32 {
  let nb = nodesBase(d);
  let t = d.root;
  while (t != NIL) {
    let T = N(nb, t);
    if (pfn < T.lo) t = T.left;
    else if (pfn > T.hi) t = T.right;
    else return t;
  }
  return NIL;
}

/** private_free_iova (__free_iova given the node): cached-node update, unlink, back to the slab. */
export function removeNode(d: Domain, z: u32): void {
  let nb = nodesBase(d);
  if (DEBUG) assert(z != NIL && z != ANCHOR);
  if (DEBUG) assert(holds(treeLockAddr(d)), "removeNode: the caller holds the tree lock");
  let succ = nextIn(nb, z);
  let Z = N(nb, z);
  let zLo = Z.lo;
  let floor = zLo - Z.gap;   // predecessor's hi + 1 (0 if none): its gap says it
  cachedDeleteUpdate(d, nb, z, zLo, Z.hi, succ);
  // z's range and the gap below it join its successor's gap. When succ is
  // z's parent and z has no right child, erase's own propagation starts at
  // succ (its splice point), so the new gap is set first and rides along;
  // otherwise it is set and propagated after.
  if (Z.right == NIL && Z.parent == succ) {
    let S = N(nb, succ);
    let own0 = ownGap(S);
    let a0 = ownAlignKey(S);
    let ownSame = setGapKeepsOwn(S, S.lo, floor, own0, a0);
    // A leaf holding no maxima leaves every subtree value as it was if
    // succ's own values stayed too: the free of the lowest range right
    // below its successor (the tree pair's) propagates nothing.
    // One test of the three zero fields (all unsigned): fewer branches on
    // the tree pair's path than three comparisons.
    let same = ownSame && ((<u64>Z.left) | Z.maxGap | Z.maxAlignKey) == 0
      && (d.flags & Flag.COUNT_WALK) == 0;
    erase(d, z, !same, own0, a0);
  } else {
    // The gap only grows here, so the maxima above succ can only rise
    // (propagateOwnGap), unless succ became the lowest node.
    erase(d, z);
    let S = N(nb, succ);
    let g0 = ownGap(S);
    let a0 = ownAlignKey(S);
    setGap(S, floor);
    propagateOwnGap(d, succ, g0, a0);
  }
  giveNode(d, nb, z);
  d.frees++;
}

/** free_iova: frees the range holding pfn; a pfn no range holds is counted, not an error. */
export function freePfn(d: Domain, pfn: u64): bool {
  let z = findNode(d, pfn);
  if (z == NIL || z == ANCHOR) {
    d.freeMisses++;
    return false;
  }
  removeNode(d, z);
  return true;
}

/** Lowest node whose hi >= pfn (the first that can overlap a range starting at pfn). */
function firstEndingAtOrAbove(d: Domain, pfn: u64): u32 {
  let nb = nodesBase(d);
  let t = d.root;
  let best: u32 = NIL;
  while (t != NIL) {
    let T = N(nb, t);
    if (T.hi >= pfn) { best = t; t = T.left; } else t = T.right;
  }
  return best;
}

/**
 * reserve_iova: overlapped ranges are widened down to absorb the gaps, the
 * part above the last overlapped one becomes a new range; nothing merges.
 * The kernel scans from the first node; starting at the first node that can
 * overlap visits the same overlapping nodes in the same order.
 * Returns false (treeError set) only when a needed node could not be had.
 */
export function reserveRange(d: Domain, lo: u64, hi: u64): bool {
  let nb = nodesBase(d);
  if (DEBUG) assert(holds(treeLockAddr(d)), "reserveRange: the caller holds the tree lock");
  let overlap = false;
  let i = firstEndingAtOrAbove(d, lo);
  while (i != NIL) {
    let X = N(nb, i);
    if (lo <= X.hi && hi >= X.lo) {
      if (lo < X.lo) {
        let floor = X.lo - X.gap;
        X.lo = lo;
        setGap(X, floor);
        propagate(d, i);
      }
      if (hi > X.hi) lo = X.hi + 1;
      if (lo >= X.lo && hi <= X.hi) { d.reserves++; return true; }
      overlap = true;
    } else if (overlap) break;
    else break; // past the first candidate without overlap: nothing further can overlap
    i = next(d, i);
  }
  let z = takeNode(d, nb);
  if (z == NIL) {
    treeError = Err.NODE_SLAB_FULL;
    d.slabFull++;
    return false;
  }
  link(d, z, lo, hi);
  d.reserves++;
  return true;
}
