// The augmentation: each node's subtree maxima of "free pfns just below a
// range" (maxGap) and of "which aligned requests that gap holds"
// (maxAlignKey), and while counting, subtree sizes. This is the only place
// that knows what the augmented values mean; rbtree.ts touches them only
// through the callbacks at the bottom (propagate, copy, rotate), the way
// include/linux/rbtree_augmented.h keeps rb_erase ignorant of them.

import { Domain, Node, NIL, NODE_BYTES, Flag, nodesBase, nodeIn, countPtr } from "../layout";
import { DEBUG } from "../debug";

/**
 * 1 + the largest k such that an aligned block of 2^k pfns fits in
 * [floor, floor + len), or 0 for an empty gap. With K = floor(log2(len)),
 * the answer is K or K - 1: a 2^(K-1) block always fits in a gap of 2^K.
 */
// @ts-ignore: decorator
@inline function alignedOrder(floor: u64, len: u64): u32 {
  if (len == 0) return 0;
  let k = <u32>(63 - clz<u64>(len));
  let b = <u64>1 << k;
  let start = (floor + b - 1) & ~(b - 1);
  return start - floor <= len - b ? k + 1 : k;
}

/**
 * Which size-aligned requests the gap [floor, lo) holds, as one number that
 * orders them: a request of s pages aligned to A = roundup_pow_of_two(s)
 * (so A/2 < s <= A) fits iff alignKey(floor, lo) >= A + s (alignQuery).
 *
 * Why. Let 2^a be the largest aligned block in the gap, and
 * t = lo - (floor rounded up to 2^(a+1)), or 0 if that is not below lo;
 * t < 2^(a+1), as no aligned 2^(a+1) block fits. Then the request fits:
 *   - if A <= 2^a: an aligned 2^a block holds it;
 *   - if A = 2^(a+1): iff t >= s, its only aligned starts being multiples of A;
 *   - if A > 2^(a+1): never, since s > A/2 >= 2^(a+1) would put an aligned
 *     2^(a+1) block inside it.
 * So fits iff (a, t) >= (log2 A - 1, s) in lexicographic order, and
 * 2^(a+1) + t (which lies in [2^(a+1), 2^(a+2))) keeps that order as a
 * plain number, as does A + s (which lies in (A + A/2, 2A]).
 * The key of an empty gap is 0; a gap holding an aligned 2^63 block
 * (possible only below all ranges) saturates at ~0.
 */
// @ts-ignore: decorator
@inline export function alignKey(floor: u64, lo: u64): u64 {
  let o = alignedOrder(floor, lo - floor);        // a + 1, or 0 if empty
  if (o == 0) return 0;
  if (o >= 64) return ~(<u64>0);
  let m = <u64>1 << o;                            // 2^(a+1)
  let c = (floor + m - 1) & ~(m - 1);             // floor rounded up; c < floor if that overflowed
  let t: u64 = c >= floor && c < lo ? lo - c : 0;
  return m + t;
}

/**
 * The number a subtree's maxAlignKey must reach to hold an aligned request
 * of `size` pages under `mask` (allocRange's alignment mask), or 0 when the
 * key cannot decide (unaligned, size 1, or sizes above 2^62 whose A + s
 * would not fit in 64 bits): the search then prunes by maxGap alone.
 */
// @ts-ignore: decorator
@inline export function alignQuery(size: u64, mask: u64): u64 {
  if (mask == ~(<u64>0) || size > (<u64>1 << 62)) return 0;
  return (~mask + 1) + size;
}

/**
 * Sets x's gap below it, given floor = pred.hi + 1 (0 when x is the lowest).
 * The lowest node's alignKey is stored as 0: like its gap it takes no part
 * in the maxima (ownAlignKey), and the search tests that node by its gap
 * (placement.ts, fitsBelow). It is also the node every top-down allocation
 * below all ranges re-keys, twice per alloc+free pair.
 */
// @ts-ignore: decorator
@inline export function setGap(x: Node, floor: u64): void {
  setGapAt(x, x.lo, floor);
}

/** setGap for a node whose lo the caller holds (`lo` == x.lo): saves reloading a field just stored. Returns the gap. */
// @ts-ignore: decorator
@inline export function setGapAt(x: Node, lo: u64, floor: u64): u64 {
  if (DEBUG) assert(lo == x.lo && floor <= lo);  // ranges never overlap their predecessor
  let g = lo - floor;
  x.gap = g;
  x.alignKey = floor == 0 ? 0 : alignKey(floor, lo);
  return g;
}

/**
 * setGapAt that says whether x's own share of the maxima (ownGap,
 * ownAlignKey) stayed what it was, from the values rather than by reading
 * back the fields it stores. The caller reads the share before (own0, a0:
 * ownGap(x), ownAlignKey(x)) and keeps it for erase's propagation.
 */
// @ts-ignore: decorator
@inline export function setGapKeepsOwn(x: Node, lo: u64, floor: u64, own0: u64, a0: u64): bool {
  if (DEBUG) assert(lo == x.lo && floor <= lo && own0 == ownGap(x) && a0 == ownAlignKey(x));
  let lowest = floor == 0;
  let g = lo - floor;
  let k = lowest ? 0 : alignKey(floor, lo);
  x.gap = g;
  x.alignKey = k;
  if (DEBUG) assert(ownGap(x) == (lowest ? 0 : g) && ownAlignKey(x) == k);
  return (lowest ? 0 : g) == own0 && k == a0;
}

/**
 * setGapAt for node x (index i) about to be linked in as a leaf: its
 * subtree is itself, so its maxima are its own values (ownGap: 0 for the
 * lowest node, whose floor is 0). They are set from the values, not read
 * back from the fields just stored; and set they must be: a recycled
 * node's old maxima would otherwise stop its parent's propagation early.
 */
// @ts-ignore: decorator
@inline export function setLeafGap(d: Domain, x: Node, i: u32, lo: u64, floor: u64): void {
  if (DEBUG) assert(lo == x.lo && floor <= lo);
  let lowest = floor == 0;
  let g = lo - floor;
  let k = lowest ? 0 : alignKey(floor, lo);
  x.gap = g;
  x.alignKey = k;
  x.maxGap = lowest ? 0 : g;
  x.maxAlignKey = k;
  if (d.flags & Flag.COUNT_WALK) setCount(d, i, 1);  // recount() rebuilds them when counting starts
  if (DEBUG) assert(x.maxGap == ownGap(x) && x.maxAlignKey == ownAlignKey(x));
}

/** Subtree count of node i (nil: 0). Only meaningful while Flag.COUNT_WALK is set. */
// @ts-ignore: decorator
@inline export function countOf(d: Domain, i: u32): u32 {
  return i == NIL ? 0 : load<u32>(countPtr(d, i));
}
// @ts-ignore: decorator
@inline export function setCount(d: Domain, i: u32, n: u32): void {
  store<u32>(countPtr(d, i), n);
}

/**
 * What x contributes to its subtree's maxima. Every gap but one: the lowest
 * node's, the free space below all ranges (the frontier that top-down
 * allocation eats into). Left in, it is usually the largest gap, so every
 * allocation there would change the maxima along the whole root path. The
 * kernel's walk visits the lowest node last, and the search checks it last
 * (placement.ts), so it needs no place in the maxima. The lowest node is the
 * one whose gap reaches down to 0: gap == lo (any other has pred.hi + 1 >= 1).
 */
// @ts-ignore: decorator
@inline export function ownGap(x: Node): u64 {
  return x.gap == x.lo ? 0 : x.gap;
}
// @ts-ignore: decorator
@inline export function ownAlignKey(x: Node): u64 {
  return x.alignKey;  // 0 for the lowest node (setGap)
}

/** maxGap (and, while counting, the count) of x from its own gap and its children's. */
// @ts-ignore: decorator
@inline export function recompute(d: Domain, nb: usize, x: Node): void {
  let L = nodeIn(nb, x.left);   // nil's maxGap and count are always 0
  let R = nodeIn(nb, x.right);
  let m = ownGap(x);
  if (L.maxGap > m) m = L.maxGap;
  if (R.maxGap > m) m = R.maxGap;
  x.maxGap = m;
  let a = ownAlignKey(x);
  if (L.maxAlignKey > a) a = L.maxAlignKey;
  if (R.maxAlignKey > a) a = R.maxAlignKey;
  x.maxAlignKey = a;
  if (d.flags & Flag.COUNT_WALK) {
    setCount(d, indexOf(d, x), 1 + countOf(d, x.left) + countOf(d, x.right));
  }
}

/** Index of node x (the inverse of nodeAt). */
// @ts-ignore: decorator
@inline export function indexOf(d: Domain, x: Node): u32 {
  return <u32>((changetype<usize>(x) - changetype<usize>(d) - d.offNodes) / NODE_BYTES);
}

/** In-order position of node i (0 for the lowest range). */
export function rank(d: Domain, i: u32): u32 {
  let nb = nodesBase(d);
  let X = nodeIn(nb, i);
  let r = countOf(d, X.left);
  let p = X.parent;
  while (p != NIL) {
    let P = nodeIn(nb, p);
    if (P.right == i) r += countOf(d, P.left) + 1;
    i = p;
    p = P.parent;
  }
  return r;
}

// --- the callbacks rbtree.ts calls (include/linux/rbtree_augmented.h's
// propagate, copy and rotate), plus the leaf initialisation of an insert ---

/**
 * Recomputes the augmentation on the path from node i up to, not including,
 * `stop` (NIL: the root). Without counts it stops at the first node whose
 * values did not change: nothing above it can change either (as the
 * propagate callback of RB_DECLARE_CALLBACKS does). Callers with two changed
 * nodes on one path propagate the deeper first. With counts every ancestor
 * changes, so the whole path is redone.
 */
export function propagate(d: Domain, i: u32, stop: u32 = NIL): void {
  let nb = nodesBase(d);
  if (d.flags & Flag.COUNT_WALK) {
    while (i != stop) {
      let x = nodeIn(nb, i);
      recompute(d, nb, x);
      i = x.parent;
    }
    return;
  }
  while (i != stop) {
    let x = nodeIn(nb, i);
    let g = x.maxGap;
    let a = x.maxAlignKey;
    recompute(d, nb, x);
    if (x.maxGap == g && x.maxAlignKey == a) return;
    i = x.parent;
  }
}

/**
 * The augmentation from node p up to, not including, `stop`, after one
 * child subtree of p changed its maxima from (cg0, ca0) to (cg1, ca1) and
 * p's own share from (og0, oa0) to what it holds now (0, 0 when it did not
 * change); nothing else below p changed, and p's stored maxima are still
 * those of before. Each node's new maximum is max(old, the changed
 * contributions' new values) unless a contribution fell that may have been
 * the old maximum (its old value reaches it): only then is the node
 * recomputed from both children, reading the child off the path, which on
 * a large tree is usually a cache miss (the plain propagate reads it at
 * every node). Proof: if the old maximum M came from the unchanged part,
 * the new one is max(M, new values); if it came from a changed
 * contribution, that one did not fall, so its new value is at least M.
 * Stops at the first node whose maxima stay, as propagate does. While
 * counting, every ancestor changes: the plain propagate.
 */
export function propagateChild(d: Domain, p: u32, stop: u32, cg0: u64, ca0: u64, cg1: u64, ca1: u64, og0: u64, oa0: u64): void {
  if (d.flags & Flag.COUNT_WALK) {
    propagate(d, p, stop);
    return;
  }
  let nb = nodesBase(d);
  while (p != stop) {
    let P = nodeIn(nb, p);
    let mg = P.maxGap;
    let ma = P.maxAlignKey;
    let og1 = ownGap(P);
    let oa1 = ownAlignKey(P);
    let g: u64, a: u64;
    if ((cg1 >= cg0 || mg > cg0) && (og1 >= og0 || mg > og0) && (ca1 >= ca0 || ma > ca0) && (oa1 >= oa0 || ma > oa0)) {
      g = mg;
      if (cg1 > g) g = cg1;
      if (og1 > g) g = og1;
      a = ma;
      if (ca1 > a) a = ca1;
      if (oa1 > a) a = oa1;
      P.maxGap = g;
      P.maxAlignKey = a;
      if (DEBUG) { recompute(d, nb, P); assert(P.maxGap == g && P.maxAlignKey == a, "propagateChild: decided maxima differ from the recomputed ones"); }
    } else {
      recompute(d, nb, P);
      g = P.maxGap;
      a = P.maxAlignKey;
    }
    if (g == mg && a == ma) return;
    cg0 = mg; ca0 = ma; cg1 = g; ca1 = a;
    og0 = 0; oa0 = 0;   // above p, own shares are unchanged
    p = P.parent;
  }
}

/**
 * Node y took an erased node's place and its maxima (augmentCopy), and has
 * its children: the maxima of y, then of the path above, for the subtree
 * that lost the erased node. Both of y's children were just written (their
 * parent links), so recomputing y reads nothing cold; above it,
 * propagateChild.
 */
export function propagateMoved(d: Domain, y: u32): void {
  if (d.flags & Flag.COUNT_WALK) {
    propagate(d, y);
    return;
  }
  let nb = nodesBase(d);
  let Y = nodeIn(nb, y);
  let zg = Y.maxGap;
  let za = Y.maxAlignKey;
  recompute(d, nb, Y);
  if (Y.maxGap != zg || Y.maxAlignKey != za) propagateChild(d, Y.parent, NIL, zg, za, Y.maxGap, Y.maxAlignKey, 0, 0);
}

/**
 * Node i's own gap was just set, in a tree whose maxima were right for its
 * old one (`g0`, `a0`: ownGap and ownAlignKey before). If neither fell, the subtree maxima
 * can only rise: each ancestor takes the larger of its maximum and the new
 * value, without reading its other child (the plain propagate recomputes
 * from both children, and on a large tree the child off the path is usually
 * a cache miss). It stops at the first node whose maxima already reach the
 * new values. Otherwise, and while counting, it is the plain propagate.
 */
export function propagateOwnGap(d: Domain, i: u32, g0: u64, a0: u64): void {
  let nb = nodesBase(d);
  let x = nodeIn(nb, i);
  let g = ownGap(x);
  let a = ownAlignKey(x);
  if (g < g0 || a < a0 || (d.flags & Flag.COUNT_WALK)) {
    propagate(d, i);
    return;
  }
  while (i != NIL) {
    x = nodeIn(nb, i);
    if (x.maxGap >= g && x.maxAlignKey >= a) return;
    if (x.maxGap < g) x.maxGap = g;
    if (x.maxAlignKey < a) x.maxAlignKey = a;
    i = x.parent;
  }
}

/** `to` takes `from`'s place in the tree (erase's successor): it takes its subtree values. */
// @ts-ignore: decorator
@inline export function augmentCopy(d: Domain, nb: usize, from: u32, to: u32): void {
  let F = nodeIn(nb, from);
  let T = nodeIn(nb, to);
  T.maxGap = F.maxGap;
  T.maxAlignKey = F.maxAlignKey;
  if (d.flags & Flag.COUNT_WALK) setCount(d, to, countOf(d, from));
}

/**
 * A rotation made `top` the parent of `old` in old's place: top's subtree
 * is old's former one (same node set, same values); old's is recomputed.
 */
// @ts-ignore: decorator
@inline export function augmentRotate(d: Domain, nb: usize, old: u32, top: u32): void {
  augmentCopy(d, nb, old, top);
  recompute(d, nb, nodeIn(nb, old));
}

/** Recomputes every subtree count from scratch (turning counts on); returns the count of t. */
export function recount(d: Domain, t: u32): u32 {
  let nb = nodesBase(d);
  if (t == NIL) return 0;
  let x = nodeIn(nb, t);
  let n = 1 + recount(d, x.left) + recount(d, x.right);
  setCount(d, t, n);
  return n;
}
