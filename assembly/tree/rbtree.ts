// A red-black tree over the domain's flat node array, keyed by pfn_lo.
// Indexes, not pointers: node 0 is the nil sentinel (black, maxGap 0), so the
// CLRS algorithms apply unchanged. Rebalancing knows nothing of gaps beyond
// the two hooks of gap.ts: recompute() after a rotation, propagate() after a
// splice. Callers hold the tree lock.

import { Domain, Node, NIL, nodeAt } from "../layout";
import { recompute, propagate, setGap, setCount, countOf, FLAG_COUNTS } from "./gap";

// @ts-ignore: decorator
@inline function N(d: Domain, i: u32): Node { return nodeAt(d, i); }

/** Left rotation at x. The new subtree top takes x's maxGap (same node set). */
function rotateLeft(d: Domain, x: u32): void {
  let X = N(d, x);
  let y = X.right;
  let Y = N(d, y);
  X.right = Y.left;
  if (Y.left != NIL) N(d, Y.left).parent = x;
  replaceChild(d, X.parent, x, y);
  Y.parent = X.parent;
  Y.left = x;
  X.parent = y;
  Y.maxGap = X.maxGap;
  if (d.flags & FLAG_COUNTS) setCount(d, y, countOf(d, x));
  Y.maxAlignOrd = X.maxAlignOrd;
  recompute(d, X);
}

function rotateRight(d: Domain, x: u32): void {
  let X = N(d, x);
  let y = X.left;
  let Y = N(d, y);
  X.left = Y.right;
  if (Y.right != NIL) N(d, Y.right).parent = x;
  replaceChild(d, X.parent, x, y);
  Y.parent = X.parent;
  Y.right = x;
  X.parent = y;
  Y.maxGap = X.maxGap;
  if (d.flags & FLAG_COUNTS) setCount(d, y, countOf(d, x));
  Y.maxAlignOrd = X.maxAlignOrd;
  recompute(d, X);
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

/** Restores the red-black rules after z was linked in as a red leaf. */
export function insertFixup(d: Domain, z: u32): void {
  while (N(d, N(d, z).parent).red) {
    let p = N(d, z).parent;
    let g = N(d, p).parent;
    if (p == N(d, g).left) {
      let u = N(d, g).right;
      if (N(d, u).red) {
        N(d, p).red = 0; N(d, u).red = 0; N(d, g).red = 1;
        z = g;
      } else {
        if (z == N(d, p).right) { z = p; rotateLeft(d, z); p = N(d, z).parent; }
        N(d, p).red = 0; N(d, g).red = 1;
        rotateRight(d, g);
      }
    } else {
      let u = N(d, g).left;
      if (N(d, u).red) {
        N(d, p).red = 0; N(d, u).red = 0; N(d, g).red = 1;
        z = g;
      } else {
        if (z == N(d, p).left) { z = p; rotateRight(d, z); p = N(d, z).parent; }
        N(d, p).red = 0; N(d, g).red = 1;
        rotateLeft(d, g);
      }
    }
  }
  N(d, d.root).red = 0;
}

/** Replaces the subtree at u by the one at v (v may be nil; its parent is set anyway). */
function transplant(d: Domain, u: u32, v: u32): void {
  let up = N(d, u).parent;
  replaceChild(d, up, u, v);
  N(d, v).parent = up;
}

/**
 * Unlinks z. `succ` is z's in-order successor and `floor` the new
 * pred.hi + 1 for it: its gap grows to cover z's range and gap.
 */
export function erase(d: Domain, z: u32, succ: u32, floor: u64): void {
  let Z = N(d, z);
  let y = z;
  let yWasRed = Z.red;
  let x: u32;
  let fixFrom: u32;
  if (Z.left == NIL) {
    x = Z.right;
    fixFrom = Z.parent;
    transplant(d, z, x);
  } else if (Z.right == NIL) {
    x = Z.left;
    fixFrom = Z.parent;
    transplant(d, z, x);
  } else {
    y = Z.right;
    while (N(d, y).left != NIL) y = N(d, y).left;
    let Y = N(d, y);
    yWasRed = Y.red;
    x = Y.right;
    if (Y.parent == z) {
      N(d, x).parent = y;
      fixFrom = y;
    } else {
      fixFrom = Y.parent;
      transplant(d, y, x);
      Y.right = Z.right;
      N(d, Y.right).parent = y;
    }
    transplant(d, z, y);
    Y.left = Z.left;
    N(d, Y.left).parent = y;
    Y.red = Z.red;
  }
  // Augmentation before rebalancing: rotations then only move current values.
  // Two changes: succ's gap grew, and the splice point lost a node. With
  // z.left empty and z.right present, succ sits below the splice point;
  // otherwise it is the splice point or one of its ancestors. Deeper first.
  // When y took z's place, it starts from z's old values, which its
  // ancestors were computed with (the "copy" callback of Linux's erase).
  if (y != z) {
    let Y = N(d, y);
    Y.maxGap = Z.maxGap;
    Y.maxAlignOrd = Z.maxAlignOrd;
    if (d.flags & FLAG_COUNTS) setCount(d, y, countOf(d, z));
  }
  setGap(N(d, succ), floor);
  if (Z.left == NIL && Z.right != NIL) {
    propagate(d, succ);
    propagate(d, fixFrom);
  } else {
    propagate(d, fixFrom);
    propagate(d, succ);
  }
  if (!yWasRed) eraseFixup(d, x);
  // The sentinel's parent was borrowed by transplant; leave it clean.
  N(d, NIL).parent = NIL;
}

function eraseFixup(d: Domain, x: u32): void {
  while (x != d.root && !N(d, x).red) {
    let p = N(d, x).parent;
    if (x == N(d, p).left) {
      let w = N(d, p).right;
      if (N(d, w).red) {
        N(d, w).red = 0; N(d, p).red = 1;
        rotateLeft(d, p);
        w = N(d, p).right;
      }
      if (!N(d, N(d, w).left).red && !N(d, N(d, w).right).red) {
        N(d, w).red = 1;
        x = p;
      } else {
        if (!N(d, N(d, w).right).red) {
          N(d, N(d, w).left).red = 0; N(d, w).red = 1;
          rotateRight(d, w);
          w = N(d, p).right;
        }
        N(d, w).red = N(d, p).red;
        N(d, p).red = 0;
        N(d, N(d, w).right).red = 0;
        rotateLeft(d, p);
        x = d.root;
      }
    } else {
      let w = N(d, p).left;
      if (N(d, w).red) {
        N(d, w).red = 0; N(d, p).red = 1;
        rotateRight(d, p);
        w = N(d, p).left;
      }
      if (!N(d, N(d, w).right).red && !N(d, N(d, w).left).red) {
        N(d, w).red = 1;
        x = p;
      } else {
        if (!N(d, N(d, w).left).red) {
          N(d, N(d, w).right).red = 0; N(d, w).red = 1;
          rotateLeft(d, w);
          w = N(d, p).left;
        }
        N(d, w).red = N(d, p).red;
        N(d, p).red = 0;
        N(d, N(d, w).left).red = 0;
        rotateRight(d, p);
        x = d.root;
      }
    }
  }
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
