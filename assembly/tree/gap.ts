// The augmentation: each node's subtree maximum of "free pfns just below a
// range". This is the only place that knows what the augmented value means;
// rbtree.ts calls recompute() after rotations and propagate() after splices,
// the way include/linux/rbtree_augmented.h keeps rb_erase ignorant of it.

import { Domain, Node, NIL, nodeAt } from "../layout";

/** Free pfns between node x and its in-order predecessor (pred.hi + 1 is `floor`). */
// @ts-ignore: decorator
@inline export function gapAbove(x: Node, floor: u64): u64 {
  return x.lo - floor;
}

/** maxGap and count of x from its own gap and its children's (children must be current). */
// @ts-ignore: decorator
@inline export function recompute(d: Domain, x: Node): void {
  let L = nodeAt(d, x.left);   // nil's maxGap and count are always 0
  let R = nodeAt(d, x.right);
  let m = x.gap;
  if (L.maxGap > m) m = L.maxGap;
  if (R.maxGap > m) m = R.maxGap;
  x.maxGap = m;
  x.count = 1 + L.count + R.count;
}

/** In-order position of node i (0 for the lowest range). */
export function rank(d: Domain, i: u32): u32 {
  let X = nodeAt(d, i);
  let r = nodeAt(d, X.left).count;
  let p = X.parent;
  while (p != NIL) {
    let P = nodeAt(d, p);
    if (P.right == i) r += nodeAt(d, P.left).count + 1;
    i = p;
    p = P.parent;
  }
  return r;
}

/** Recomputes maxGap on the path from node i up to the root. */
export function propagate(d: Domain, i: u32): void {
  while (i != NIL) {
    let x = nodeAt(d, i);
    recompute(d, x);
    i = x.parent;
  }
}
