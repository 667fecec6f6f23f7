// The augmentation: each node's subtree maximum of "free pfns just below a
// range". This is the only place that knows what the augmented value means;
// rbtree.ts calls recompute() after rotations and propagate() after splices,
// the way include/linux/rbtree_augmented.h keeps rb_erase ignorant of it.

import { Domain, Node, NIL, NODE_BYTES, nodeAt, countPtr } from "../layout";

/**
 * 1 + the largest k such that an aligned block of 2^k pfns fits in
 * [floor, floor + len), or 0 for an empty gap. With K = floor(log2(len)),
 * the answer is K or K - 1: a 2^(K-1) block always fits in a gap of 2^K.
 */
// @ts-ignore: decorator
@inline export function alignedOrder(floor: u64, len: u64): u8 {
  if (len == 0) return 0;
  let k = <u32>(63 - clz<u64>(len));
  let b = <u64>1 << k;
  let start = (floor + b - 1) & ~(b - 1);
  return <u8>(start - floor <= len - b ? k + 1 : k);
}

/** Sets x's gap below it, given floor = pred.hi + 1 (0 when x is the lowest). */
// @ts-ignore: decorator
@inline export function setGap(x: Node, floor: u64): void {
  let g = x.lo - floor;
  x.gap = g;
  x.alignOrd = alignedOrder(floor, g);
}

/** Subtree count of node i (nil: 0). Only meaningful while FLAG_COUNTS is set. */
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
@inline export function ownAlignOrd(x: Node): u8 {
  return x.gap == x.lo ? 0 : x.alignOrd;
}

/** maxGap (and, while counting, the count) of x from its own gap and its children's. */
// @ts-ignore: decorator
@inline export function recompute(d: Domain, x: Node): void {
  let L = nodeAt(d, x.left);   // nil's maxGap and count are always 0
  let R = nodeAt(d, x.right);
  let m = ownGap(x);
  if (L.maxGap > m) m = L.maxGap;
  if (R.maxGap > m) m = R.maxGap;
  x.maxGap = m;
  let a = ownAlignOrd(x);
  if (L.maxAlignOrd > a) a = L.maxAlignOrd;
  if (R.maxAlignOrd > a) a = R.maxAlignOrd;
  x.maxAlignOrd = a;
  if (d.flags & FLAG_COUNTS) {
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
  let X = nodeAt(d, i);
  let r = countOf(d, X.left);
  let p = X.parent;
  while (p != NIL) {
    let P = nodeAt(d, p);
    if (P.right == i) r += countOf(d, P.left) + 1;
    i = p;
    p = P.parent;
  }
  return r;
}

/** Domain flag: subtree counts are kept (for ranks); see tree/domain.ts. */
// @ts-ignore: decorator
@inline export const FLAG_COUNTS: u32 = 2;

/**
 * Recomputes the augmentation on the path from node i up to the root.
 * Without counts it stops at the first node whose values did not change:
 * nothing above it can change either (as Linux's augment_propagate does).
 * Callers with two changed nodes on one path propagate the deeper first.
 * With counts every ancestor changes, so the whole path is redone.
 */
export function propagate(d: Domain, i: u32): void {
  if (d.flags & FLAG_COUNTS) {
    while (i != NIL) {
      let x = nodeAt(d, i);
      recompute(d, x);
      i = x.parent;
    }
    return;
  }
  while (i != NIL) {
    let x = nodeAt(d, i);
    let g = x.maxGap;
    let a = x.maxAlignOrd;
    recompute(d, x);
    if (x.maxGap == g && x.maxAlignOrd == a) return;
    i = x.parent;
  }
}

/** Recomputes every subtree count from scratch (turning counts on); returns the count of t. */
export function recount(d: Domain, t: u32): u32 {
  if (t == NIL) return 0;
  let x = nodeAt(d, t);
  let n = 1 + recount(d, x.left) + recount(d, x.right);
  setCount(d, t, n);
  return n;
}
