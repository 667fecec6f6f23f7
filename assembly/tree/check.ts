// check(): recomputes every tree invariant from scratch, as vmalloc's debug
// checker does for its augmented tree. Returns 0, or the Bad.* code of the
// first violation found (the host turns codes into messages).

import { Domain, Node, NIL, ANCHOR, IOVA_ANCHOR, Flag, nodeAt } from "../layout";
import { next } from "./rbtree";
import { alignKey, countOf, ownGap, ownAlignKey } from "./gap";

export enum Bad {
  ROOT_RED = 1, RED_RED, BLACK_HEIGHT, PARENT_LINK, ORDER, OVERLAP, GAP, MAX_GAP, SLAB_COUNT,
  ANCHOR_NOT_LAST, CACHED_NODE, SENTINEL, RANGE_INVERTED, CYCLE, COUNT, ALIGN,
  /** The header's region offsets are not what its geometry gives, or run past memory. */
  LAYOUT,
}

/** Index of the node at which the last failing check stopped. */
export let badNode: u32 = 0;

let seen: u32 = 0;
let err: u32 = 0;

// @ts-ignore: decorator
@inline function fail(code: u32, at: u32): i32 {
  if (err == 0) { err = code; badNode = at; }
  return -1;
}

/** Black height of subtree t, or -1 after recording a violation. */
function walk(d: Domain, t: u32, parent: u32, budget: u32): i32 {
  if (t == NIL) return 1;
  if (++seen > budget) return fail(Bad.CYCLE, t);
  let T = nodeAt(d, t);
  if (T.parent != parent) return fail(Bad.PARENT_LINK, t);
  if (T.lo > T.hi) return fail(Bad.RANGE_INVERTED, t);
  if (T.red && (nodeAt(d, T.left).red || nodeAt(d, T.right).red)) return fail(Bad.RED_RED, t);
  if (T.left != NIL && nodeAt(d, T.left).lo >= T.lo) return fail(Bad.ORDER, t);
  if (T.right != NIL && nodeAt(d, T.right).lo <= T.lo) return fail(Bad.ORDER, t);
  let m = ownGap(T);
  let l = nodeAt(d, T.left).maxGap;
  let r = nodeAt(d, T.right).maxGap;
  if (l > m) m = l;
  if (r > m) m = r;
  if (T.maxGap != m) return fail(Bad.MAX_GAP, t);
  if ((d.flags & Flag.COUNT_WALK) != 0 && countOf(d, t) != 1 + countOf(d, T.left) + countOf(d, T.right)) return fail(Bad.COUNT, t);
  let a = ownAlignKey(T);
  if (nodeAt(d, T.left).maxAlignKey > a) a = nodeAt(d, T.left).maxAlignKey;
  if (nodeAt(d, T.right).maxAlignKey > a) a = nodeAt(d, T.right).maxAlignKey;
  if (T.maxAlignKey != a) return fail(Bad.ALIGN, t);
  let hl = walk(d, T.left, t, budget);
  if (hl < 0) return -1;
  let hr = walk(d, T.right, t, budget);
  if (hr < 0) return -1;
  if (hl != hr) return fail(Bad.BLACK_HEIGHT, t);
  return hl + (T.red ? 0 : 1);
}

function inTree(d: Domain, i: u32): bool {
  let t = d.root;
  let lo = nodeAt(d, i).lo;
  while (t != NIL) {
    if (t == i) return true;
    t = lo < nodeAt(d, t).lo ? nodeAt(d, t).left : nodeAt(d, t).right;
  }
  return false;
}

export function checkTree(d: Domain): u32 {
  err = 0; seen = 0; badNode = 0;
  let S = nodeAt(d, NIL);
  if (S.red || S.maxGap != 0 || S.maxAlignKey != 0 || S.left != NIL || S.right != NIL) { badNode = NIL; return Bad.SENTINEL; }
  if (nodeAt(d, d.root).red) return Bad.ROOT_RED;
  if (walk(d, d.root, NIL, d.nodeCap + 1) < 0) return err;
  if (seen != d.nodesUsed) return Bad.SLAB_COUNT;
  // In order: ranges ascend without overlap, and each gap is what it says.
  let floor: u64 = 0;
  let last: u32 = NIL;
  let i = d.root;
  while (nodeAt(d, i).left != NIL) i = nodeAt(d, i).left;
  while (i != NIL) {
    let X = nodeAt(d, i);
    if (last != NIL && X.lo <= nodeAt(d, last).hi) { badNode = i; return Bad.OVERLAP; }
    if (X.gap != X.lo - floor || X.alignKey != (floor == 0 ? 0 : alignKey(floor, X.lo))) { badNode = i; return Bad.GAP; }
    floor = X.hi + 1;
    last = i;
    i = next(d, i);
  }
  if (last != ANCHOR || nodeAt(d, ANCHOR).lo != IOVA_ANCHOR) return Bad.ANCHOR_NOT_LAST;
  // Slab accounting: every cell made a node is in the tree or on the free list.
  let freeLen: u32 = 0;
  let f = d.freeNode;
  while (f != NIL) {
    if (++freeLen > d.nodeCap) return Bad.SLAB_COUNT;
    f = nodeAt(d, f).left;
  }
  if (freeLen + d.nodesUsed != d.nodesMade) return Bad.SLAB_COUNT;
  if (!inTree(d, d.cachedNode) || !inTree(d, d.cached32Node)) return Bad.CACHED_NODE;
  return 0;
}
