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

import { Domain, Node, NIL, nodeAt } from "../layout";
import { DEBUG } from "../debug";
import { augmentRotate, augmentCopy, propagate } from "./gap";

// @ts-ignore: decorator
@inline function N(d: Domain, i: u32): Node { return nodeAt(d, i); }

/** Left rotation at x: its right child y takes x's place, x becomes y's left child. */
function rotateLeft(d: Domain, x: u32): void {
  let X = N(d, x);
  let y = X.right;
  if (DEBUG) assert(y != NIL);
  let Y = N(d, y);
  X.right = Y.left;
  if (Y.left != NIL) N(d, Y.left).parent = x;
  replaceChild(d, X.parent, x, y);
  Y.parent = X.parent;
  Y.left = x;
  X.parent = y;
  augmentRotate(d, x, y);
}

/** Right rotation at x: the mirror of rotateLeft. */
function rotateRight(d: Domain, x: u32): void {
  let X = N(d, x);
  let y = X.left;
  if (DEBUG) assert(y != NIL);
  let Y = N(d, y);
  X.left = Y.right;
  if (Y.right != NIL) N(d, Y.right).parent = x;
  replaceChild(d, X.parent, x, y);
  Y.parent = X.parent;
  Y.right = x;
  X.parent = y;
  augmentRotate(d, x, y);
}

/** Makes `to` take `from`'s place under parent p (or as the root). */
// @ts-ignore: decorator
@inline function replaceChild(d: Domain, p: u32, from: u32, to: u32): void {
  if (p == NIL) d.root = to;
  else {
    let P = N(d, p);
    if (P.left == from) P.left = to; else P.right = to;
  }
}

/**
 * Restores the red-black rules after z was linked in as a red leaf (its
 * subtree values already propagated). Only rule 4 can be broken, between z
 * and its parent; each round either ends it or moves it two levels up.
 */
export function insertFixup(d: Domain, z: u32): void {
  if (DEBUG) assert(N(d, z).red && N(d, z).left == NIL && N(d, z).right == NIL);
  while (N(d, N(d, z).parent).red) {
    let p = N(d, z).parent;
    let g = N(d, p).parent;   // p is red, so not the root (rule 2): g exists
    if (p == N(d, g).left) {
      let u = N(d, g).right;
      if (N(d, u).red) {
        // Case 1, red uncle: p and u black, g red keeps rule 5 below g;
        // rule 4 may now fail between g and its parent, so go on from g.
        N(d, p).red = 0; N(d, u).red = 0; N(d, g).red = 1;
        z = g;
      } else {
        // Case 2, black uncle, z the inner child: a rotation at p makes
        // it the outer one (both red, so rule 5 is unchanged), case 3.
        if (z == N(d, p).right) { z = p; rotateLeft(d, z); p = N(d, z).parent; }
        // Case 3, black uncle, z the outer child: p takes g's place and
        // colour (black), g turns red below it: rule 4 holds, rule 5 too.
        N(d, p).red = 0; N(d, g).red = 1;
        rotateRight(d, g);
      }
    } else {
      let u = N(d, g).left;
      if (N(d, u).red) {
        // Case 1, mirrored.
        N(d, p).red = 0; N(d, u).red = 0; N(d, g).red = 1;
        z = g;
      } else {
        // Cases 2 and 3, mirrored.
        if (z == N(d, p).left) { z = p; rotateRight(d, z); p = N(d, z).parent; }
        N(d, p).red = 0; N(d, g).red = 1;
        rotateLeft(d, g);
      }
    }
  }
  // Case 1 may have turned the root red: rule 2.
  N(d, d.root).red = 0;
}

/** Replaces the subtree at u by the one at v (v may be nil; its parent is set anyway). */
function transplant(d: Domain, u: u32, v: u32): void {
  let up = N(d, u).parent;
  replaceChild(d, up, u, v);
  N(d, v).parent = up;
}

/**
 * Unlinks z, keeping every other node's subtree values right for the tree
 * without it (through the augmentation's copy and propagate callbacks, as
 * __rb_erase_augmented does), then restores the red-black rules. When z has
 * at most one child, propagation starts at z's parent (the splice point):
 * a caller may change that node's own values first and let them ride along.
 */
export function erase(d: Domain, z: u32): void {
  if (DEBUG) assert(z != NIL && (N(d, z).parent != NIL || d.root == z));
  let Z = N(d, z);
  let yWasRed = Z.red;
  let x: u32;          // the node that moves into the vacated place (may be nil)
  if (Z.left == NIL || Z.right == NIL) {
    // At most one child: it takes z's place.
    x = Z.left == NIL ? Z.right : Z.left;
    let p = Z.parent;
    transplant(d, z, x);
    propagate(d, p);
  } else {
    // Two children: z's successor y (leftmost of z.right) takes z's place,
    // colour and subtree values (the copy callback); y's own right child
    // takes y's old place.
    let y = Z.right;
    while (N(d, y).left != NIL) y = N(d, y).left;
    let Y = N(d, y);
    yWasRed = Y.red;
    x = Y.right;
    if (Y.parent == z) {
      N(d, x).parent = y;
      augmentCopy(d, z, y);
    } else {
      let p = Y.parent;
      transplant(d, y, x);
      Y.right = Z.right;
      N(d, Y.right).parent = y;
      augmentCopy(d, z, y);
      // y's old parent up to y (exclusive) lost y from its subtree.
      propagate(d, p, y);
    }
    transplant(d, z, y);
    Y.left = Z.left;
    N(d, Y.left).parent = y;
    Y.red = Z.red;
    // y itself lost z, and so may every ancestor.
    propagate(d, y);
  }
  // Removing a black node leaves x's paths one black short (rule 5).
  if (!yWasRed) eraseFixup(d, x);
  // The sentinel's parent was borrowed by transplant; leave it clean.
  N(d, NIL).parent = NIL;
}

/**
 * x's paths are one black node short of the rest (rule 5): x carries an
 * extra black. A red x simply turns black; otherwise the cases below push
 * the deficit up or end it by rotation.
 */
function eraseFixup(d: Domain, x: u32): void {
  while (x != d.root && !N(d, x).red) {
    let p = N(d, x).parent;
    if (x == N(d, p).left) {
      let w = N(d, p).right;   // x is short one black, so its sibling is no leaf (rule 5)
      if (N(d, w).red) {
        // Case 1, red sibling: recolour and rotate at p; x's new sibling
        // is black (rule 4: w's children were black), so cases 2-4 follow.
        N(d, w).red = 0; N(d, p).red = 1;
        rotateLeft(d, p);
        w = N(d, p).right;
      }
      if (!N(d, N(d, w).left).red && !N(d, N(d, w).right).red) {
        // Case 2, black sibling with black children: w red takes one
        // black off w's side too; the deficit moves up to p (rule 5).
        N(d, w).red = 1;
        x = p;
      } else {
        if (!N(d, N(d, w).right).red) {
          // Case 3, the far child black, the near one red: rotate at w
          // so the far child is red (rule 5 unchanged), case 4.
          N(d, N(d, w).left).red = 0; N(d, w).red = 1;
          rotateRight(d, w);
          w = N(d, p).right;
        }
        // Case 4, the far child red: rotate at p, w takes p's colour, p and
        // the far child black: x's paths gain the missing black (rule 5)
        // and no red node gets a red child (rule 4). Done.
        N(d, w).red = N(d, p).red;
        N(d, p).red = 0;
        N(d, N(d, w).right).red = 0;
        rotateLeft(d, p);
        x = d.root;
      }
    } else {
      let w = N(d, p).left;
      if (N(d, w).red) {
        // Case 1, mirrored.
        N(d, w).red = 0; N(d, p).red = 1;
        rotateRight(d, p);
        w = N(d, p).left;
      }
      if (!N(d, N(d, w).right).red && !N(d, N(d, w).left).red) {
        // Case 2, mirrored.
        N(d, w).red = 1;
        x = p;
      } else {
        if (!N(d, N(d, w).left).red) {
          // Case 3, mirrored.
          N(d, N(d, w).right).red = 0; N(d, w).red = 1;
          rotateLeft(d, w);
          w = N(d, p).left;
        }
        // Case 4, mirrored.
        N(d, w).red = N(d, p).red;
        N(d, p).red = 0;
        N(d, N(d, w).left).red = 0;
        rotateRight(d, p);
        x = d.root;
      }
    }
  }
  // A red x absorbs the extra black; at the root it is simply dropped
  // (every path loses one), and rule 2 holds.
  N(d, x).red = 0;
}

/** In-order successor of i, or nil. */
export function next(d: Domain, i: u32): u32 {
  let X = N(d, i);
  if (X.right != NIL) {
    i = X.right;
    while (N(d, i).left != NIL) i = N(d, i).left;
    return i;
  }
  let p = X.parent;
  while (p != NIL && i == N(d, p).right) { i = p; p = N(d, p).parent; }
  return p;
}

/** In-order predecessor of i, or nil. */
export function prev(d: Domain, i: u32): u32 {
  let X = N(d, i);
  if (X.left != NIL) {
    i = X.left;
    while (N(d, i).right != NIL) i = N(d, i).right;
    return i;
  }
  let p = X.parent;
  while (p != NIL && i == N(d, p).left) { i = p; p = N(d, p).parent; }
  return p;
}

/** Leftmost node, or nil for an empty tree. */
export function first(d: Domain): u32 {
  let i = d.root;
  if (i == NIL) return NIL;
  while (N(d, i).left != NIL) i = N(d, i).left;
  return i;
}
