// A red-black tree over the domain's flat node array, keyed by pfn_lo.
// Indexes, not pointers: node 0 is the nil sentinel (black, subtree values
// 0), so the CLRS algorithms apply unchanged. Rebalancing knows nothing of
// what the nodes hold beyond lo: it reaches the augmentation only through
// gap.ts's callbacks (augmentRotate after a rotation, augmentCopy when a
// successor takes an erased node's place, propagate after a splice), as
// include/linux/rbtree_augmented.h declares them. Callers hold the tree lock.
//
// The red-black rules, cited by number in the fixup cases below:
//   1) every node is red or black;
//   2) the root is black;
//   3) every leaf (nil) is black;
//   4) a red node has no red child;
//   5) every path from a node down to a leaf passes the same number of
//      black nodes.
// Rules 4 and 5 keep the longest root-to-leaf path within twice the
// shortest, so every walk from the root is O(log n).

import { Domain, Node, NIL, nodesBase, nodeIn } from "../layout";
import { DEBUG } from "../debug";
import { augmentRotate, augmentCopy, propagateChild, propagateMoved } from "./gap";

// @ts-ignore: decorator
@inline function N(nb: usize, i: u32): Node { return nodeIn(nb, i); }

/** Left rotation at x: its right child y takes x's place, x becomes y's left child. */
function rotateLeft(d: Domain, x: u32): void {
  let nb = nodesBase(d);
  let X = N(nb, x);
  let y = X.right;
  if (DEBUG) assert(y != NIL);
  let Y = N(nb, y);
  X.right = Y.left;
  if (Y.left != NIL) N(nb, Y.left).parent = x;
  replaceChild(d, nb, X.parent, x, y);
  Y.parent = X.parent;
  Y.left = x;
  X.parent = y;
  augmentRotate(d, nb, x, y);
}

/** Right rotation at x: the mirror of rotateLeft. */
function rotateRight(d: Domain, x: u32): void {
  let nb = nodesBase(d);
  let X = N(nb, x);
  let y = X.left;
  if (DEBUG) assert(y != NIL);
  let Y = N(nb, y);
  X.left = Y.right;
  if (Y.right != NIL) N(nb, Y.right).parent = x;
  replaceChild(d, nb, X.parent, x, y);
  Y.parent = X.parent;
  Y.right = x;
  X.parent = y;
  augmentRotate(d, nb, x, y);
}

/** Makes `to` take `from`'s place under parent p (or as the root). */
// @ts-ignore: decorator
@inline function replaceChild(d: Domain, nb: usize, p: u32, from: u32, to: u32): void {
  if (p == NIL) d.root = to;
  else {
    let P = N(nb, p);
    if (P.left == from) P.left = to; else P.right = to;
  }
}

/**
 * Restores the red-black rules after z was linked in as a red leaf (its
 * subtree values already propagated). Only rule 4 can be broken, between z
 * and its parent; each round either ends it or moves it two levels up.
 */
export function insertFixup(d: Domain, z: u32): void {
  let nb = nodesBase(d);
  if (DEBUG) assert(N(nb, z).red && N(nb, z).left == NIL && N(nb, z).right == NIL);
  while (N(nb, N(nb, z).parent).red) {
    let p = N(nb, z).parent;
    let g = N(nb, p).parent;   // p is red, so not the root (rule 2): g exists
    if (p == N(nb, g).left) {
      let u = N(nb, g).right;
      if (N(nb, u).red) {
        // Case 1, red uncle: p and u black, g red keeps rule 5 below g;
        // rule 4 may now fail between g and its parent, so go on from g.
        N(nb, p).red = 0; N(nb, u).red = 0; N(nb, g).red = 1;
        z = g;
      } else {
        // Case 2, black uncle, z the inner child: a rotation at p makes
        // it the outer one (both red, so rule 5 is unchanged), case 3.
        if (z == N(nb, p).right) { z = p; rotateLeft(d, z); p = N(nb, z).parent; }
        // Case 3, black uncle, z the outer child: p takes g's place and
        // colour (black), g turns red below it: rule 4 holds, rule 5 too.
        N(nb, p).red = 0; N(nb, g).red = 1;
        rotateRight(d, g);
      }
    } else {
      let u = N(nb, g).left;
      if (N(nb, u).red) {
        // Case 1, mirrored.
        N(nb, p).red = 0; N(nb, u).red = 0; N(nb, g).red = 1;
        z = g;
      } else {
        // Cases 2 and 3, mirrored.
        if (z == N(nb, p).left) { z = p; rotateRight(d, z); p = N(nb, z).parent; }
        N(nb, p).red = 0; N(nb, g).red = 1;
        rotateLeft(d, g);
      }
    }
  }
  // Case 1 may have turned the root red: rule 2.
  N(nb, d.root).red = 0;
}

/** Replaces the subtree at u by the one at v (v may be nil; its parent is set anyway). */
// @ts-ignore: decorator
@inline function transplant(d: Domain, nb: usize, u: u32, v: u32): void {
  let up = N(nb, u).parent;
  replaceChild(d, nb, up, u, v);
  N(nb, v).parent = up;
}

/**
 * Unlinks z, keeping every other node's subtree values right for the tree
 * without it (through the augmentation's copy and propagate callbacks, as
 * __rb_erase_augmented does), then restores the red-black rules. When z has
 * at most one child, propagation starts at z's parent (the splice point):
 * a caller may change that node's own values first and let them ride along,
 * or, when it knows the splice changes no subtree value, pass
 * `spliceChanges` false to skip it; (og0, oa0) is then that node's own
 * share of the maxima before the change (ownGap, ownAlignKey), or 0, 0 if
 * the caller changed nothing. Inlined into removeNode, its only
 * caller (both branches): the call was a measurable part of the tree pair.
 */
// @ts-ignore: decorator
@inline export function erase(d: Domain, z: u32, spliceChanges: bool = true, og0: u64 = 0, oa0: u64 = 0): void {
  let nb = nodesBase(d);
  if (DEBUG) assert(z != NIL && (N(nb, z).parent != NIL || d.root == z));
  let Z = N(nb, z);
  let yWasRed = Z.red;
  let x: u32;          // the node that moves into the vacated place (may be nil)
  if (Z.left == NIL || Z.right == NIL) {
    // At most one child: it takes z's place.
    x = Z.left == NIL ? Z.right : Z.left;
    let p = Z.parent;
    transplant(d, nb, z, x);
    // p's child subtree was z's and is x's; p's own share, if the caller
    // changed it first, was (og0, oa0).
    if (spliceChanges) {
      let X = N(nb, x);
      propagateChild(d, p, NIL, Z.maxGap, Z.maxAlignKey, X.maxGap, X.maxAlignKey, og0, oa0);
    }
  } else {
    // Two children: z's successor y (leftmost of z.right) takes z's place,
    // colour and subtree values (the copy callback); y's own right child
    // takes y's old place.
    let y = Z.right;
    while (N(nb, y).left != NIL) y = N(nb, y).left;
    let Y = N(nb, y);
    yWasRed = Y.red;
    x = Y.right;
    let yg = Y.maxGap;          // y's subtree before y leaves it
    let ya = Y.maxAlignKey;
    if (Y.parent == z) {
      N(nb, x).parent = y;
      augmentCopy(d, nb, z, y);
    } else {
      let p = Y.parent;
      transplant(d, nb, y, x);
      Y.right = Z.right;
      N(nb, Y.right).parent = y;
      augmentCopy(d, nb, z, y);
      // y's old parent up to y (exclusive) lost y from its subtree: that
      // child subtree was y's and is x's.
      let X = N(nb, x);
      propagateChild(d, p, y, yg, ya, X.maxGap, X.maxAlignKey, 0, 0);
    }
    transplant(d, nb, z, y);
    Y.left = Z.left;
    N(nb, Y.left).parent = y;
    Y.red = Z.red;
    // y itself lost z, and so may every ancestor. y's children are both
    // just written (their parent links): recompute it, then the path
    // above, whose child subtree was z's (augmentCopy gave y its maxima).
    propagateMoved(d, y);
  }
  // Removing a black node leaves x's paths one black short (rule 5).
  if (!yWasRed) eraseFixup(d, x);
  // The sentinel's parent was borrowed by transplant; leave it clean.
  N(nb, NIL).parent = NIL;
}

/**
 * x's paths are one black node short of the rest (rule 5): x carries an
 * extra black. A red x simply turns black; otherwise the cases below push
 * the deficit up or end it by rotation.
 */
function eraseFixup(d: Domain, x: u32): void {
  let nb = nodesBase(d);
  while (x != d.root && !N(nb, x).red) {
    let p = N(nb, x).parent;
    if (x == N(nb, p).left) {
      let w = N(nb, p).right;   // x is short one black, so its sibling is no leaf (rule 5)
      if (N(nb, w).red) {
        // Case 1, red sibling: recolour and rotate at p; x's new sibling
        // is black (rule 4: w's children were black), so cases 2-4 follow.
        N(nb, w).red = 0; N(nb, p).red = 1;
        rotateLeft(d, p);
        w = N(nb, p).right;
      }
      if (!N(nb, N(nb, w).left).red && !N(nb, N(nb, w).right).red) {
        // Case 2, black sibling with black children: w red takes one
        // black off w's side too; the deficit moves up to p (rule 5).
        N(nb, w).red = 1;
        x = p;
      } else {
        if (!N(nb, N(nb, w).right).red) {
          // Case 3, the far child black, the near one red: rotate at w
          // so the far child is red (rule 5 unchanged), case 4.
          N(nb, N(nb, w).left).red = 0; N(nb, w).red = 1;
          rotateRight(d, w);
          w = N(nb, p).right;
        }
        // Case 4, the far child red: rotate at p, w takes p's colour, p and
        // the far child black: x's paths gain the missing black (rule 5)
        // and no red node gets a red child (rule 4). Done.
        N(nb, w).red = N(nb, p).red;
        N(nb, p).red = 0;
        N(nb, N(nb, w).right).red = 0;
        rotateLeft(d, p);
        x = d.root;
      }
    } else {
      let w = N(nb, p).left;
      if (N(nb, w).red) {
        // Case 1, mirrored.
        N(nb, w).red = 0; N(nb, p).red = 1;
        rotateRight(d, p);
        w = N(nb, p).left;
      }
      if (!N(nb, N(nb, w).right).red && !N(nb, N(nb, w).left).red) {
        // Case 2, mirrored.
        N(nb, w).red = 1;
        x = p;
      } else {
        if (!N(nb, N(nb, w).left).red) {
          // Case 3, mirrored.
          N(nb, N(nb, w).right).red = 0; N(nb, w).red = 1;
          rotateLeft(d, w);
          w = N(nb, p).left;
        }
        // Case 4, mirrored.
        N(nb, w).red = N(nb, p).red;
        N(nb, p).red = 0;
        N(nb, N(nb, w).left).red = 0;
        rotateRight(d, p);
        x = d.root;
      }
    }
  }
  // A red x absorbs the extra black; at the root it is simply dropped
  // (every path loses one), and rule 2 holds.
  N(nb, x).red = 0;
}

/** In-order successor of i, or nil. */
export function next(d: Domain, i: u32): u32 {
  return nextIn(nodesBase(d), i);
}

/** next() in the slab at nb, for callers that hold the base (nodesBase) already. */
// @ts-ignore: decorator
@inline export function nextIn(nb: usize, i: u32): u32 {
  let X = N(nb, i);
  if (X.right != NIL) {
    i = X.right;
    while (N(nb, i).left != NIL) i = N(nb, i).left;
    return i;
  }
  let p = X.parent;
  while (p != NIL && i == N(nb, p).right) { i = p; p = N(nb, p).parent; }
  return p;
}

/** In-order predecessor of i, or nil. */
export function prev(d: Domain, i: u32): u32 {
  let nb = nodesBase(d);
  let X = N(nb, i);
  if (X.left != NIL) {
    i = X.left;
    while (N(nb, i).right != NIL) i = N(nb, i).right;
    return i;
  }
  let p = X.parent;
  while (p != NIL && i == N(nb, p).left) { i = p; p = N(nb, p).parent; }
  return p;
}

/** Leftmost node, or nil for an empty tree. */
export function first(d: Domain): u32 {
  let nb = nodesBase(d);
  let i = d.root;
  if (i == NIL) return NIL;
  while (N(nb, i).left != NIL) i = N(nb, i).left;
  return i;
}
