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

/** maxGap of x from its own gap and its children's maxGap (children must be current). */
// @ts-ignore: decorator
@inline export function recompute(d: Domain, x: Node): void {
  let m = x.gap;
  let l = nodeAt(d, x.left).maxGap;   // nil's maxGap is always 0
  let r = nodeAt(d, x.right).maxGap;
  if (l > m) m = l;
  if (r > m) m = r;
  x.maxGap = m;
}

/** Recomputes maxGap on the path from node i up to the root. */
export function propagate(d: Domain, i: u32): void {
  while (i != NIL) {
    let x = nodeAt(d, i);
    recompute(d, x);
    i = x.parent;
  }
}
