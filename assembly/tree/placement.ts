// Where the kernel's rbtree allocator (__alloc_and_insert_iova_range, in its
// final v5.13-v6.x form) puts a new range, found two ways:
//
//  - walkDown(): the kernel's own loop, node by node backwards from the start
//    node. O(n) on a fragmented tree. Kept only as the test oracle.
//  - seekDown(): the same answer in O(log n) using the maxGap augmentation.
//
// The kernel's loop, seen from one "upper" node U at a time (U starts at the
// cached node S and steps to its predecessor P each round):
//     high = min(limit, U.lo);  cand = (high - size) & mask
//     stop when P is none, or cand > P.hi (fits), or cand < low
// then fails if high < size or cand < low. cand never grows as U descends,
// so the two failure tests, once true, stay true: the answer is decided by
// the *first fitting U* at or below S, and then checked against them.
//
// seekDown finds that first fitting U without visiting the others:
//  - No U above A (the lowest node with lo >= limit) can fit: its P.hi is at
//    least A.lo >= limit > cand. So the walk may begin at min(S, A), and
//    below A every U has high = U.lo.
//  - Below A, "U fits" means the aligned block [cand, cand + size) lies in
//    U's gap. Unaligned, that is exactly U.gap >= size; aligned to
//    A = roundup_pow_of_two(size), exactly U.alignKey >= A + size (gap.ts
//    proves it). So a subtree whose maxGap < size, or for an aligned
//    request whose maxAlignKey < A + size, holds no fitting U and is skipped
//    whole, and one that passes holds one. The descent visits the rest in
//    reverse order (right subtree, node, left subtree), exactly the order the
//    kernel's walk meets them in; as the test is exact, it enters only
//    subtrees that hold a fit, so it finds the first in O(log n).

import { Domain, Node, NIL, nodesBase, nodeIn } from "../layout";
import { DEBUG } from "../debug";
import { prev, first } from "./rbtree";
import { alignQuery } from "./gap";

/** Result of a search: the fitting upper node (insertion hint) and new pfn_lo. */
export let foundUpper: u32 = NIL;
export let foundPfn: u64 = 0;
/** Rounds of the kernel loop the last walkDown() made (exact oracle of the cost model). */
export let walkRounds: u32 = 0;

// @ts-ignore: decorator
@inline function N(nb: usize, i: u32): Node { return nodeIn(nb, i); }

/** pred.hi + 1 of node X, or 0 if X is the lowest: X.lo - X.gap either way. */
// @ts-ignore: decorator
@inline function floorOf(X: Node): u64 { return X.lo - X.gap; }

/**
 * The kernel's loop. limit is exclusive (limit_pfn + 1); returns true and
 * sets foundUpper/foundPfn on success.
 */
export function walkDown(d: Domain, start: u32, limit: u64, size: u64, mask: u64, low: u64): bool {
  let nb = nodesBase(d);
  let high = limit;
  let curr = start;
  let cand: u64 = 0;
  let upper: u32 = NIL;
  walkRounds = 0;
  do {
    walkRounds++;
    let C = N(nb, curr);
    if (C.lo < high) high = C.lo;
    cand = (high - size) & mask;
    upper = curr;
    curr = prev(d, curr);
  } while (curr != NIL && cand <= N(nb, curr).hi && cand >= low);
  if (high < size || cand < low) return false;
  foundUpper = upper;
  foundPfn = cand;
  return true;
}

// Search parameters for the recursive descent, set once per seekDown call.
let sSize: u64 = 0;
let sMask: u64 = 0;
/** Smallest maxAlignKey a subtree needs to hold an aligned fit (0: maxGap decides). */
let sKey: u64 = 0;

/** Does the gap below X (X.lo < limit) hold an aligned block of sSize? */
// @ts-ignore: decorator
@inline function fitsBelow(X: Node): bool {
  let fits = X.lo >= sSize && X.gap >= sSize && ((X.lo - sSize) & sMask) >= floorOf(X);
  // The key decides the same (gap.ts, alignKey): the pruning is exact. The
  // lowest node (floor 0) keeps no key: it is tested by its gap alone.
  if (DEBUG) assert(sKey == 0 || floorOf(X) == 0 || fits == (X.alignKey >= sKey));
  return fits;
}

/**
 * Could subtree X hold a fitting node, by its maxima (exact: gap.ts)? The
 * lowest node's own gap is not in them (ownGap): seekBelow tests it last.
 */
// @ts-ignore: decorator
@inline function holdsFit(X: Node): bool {
  return X.maxGap >= sSize && X.maxAlignKey >= sKey;
}

/** Highest fitting node in subtree t, or nil. */
function highestFit(d: Domain, t: u32): u32 {
  let nb = nodesBase(d);
  while (t != NIL) {
    let T = N(nb, t);
    // Exact: a subtree that passes holds a fitting node (placement's head).
    if (!holdsFit(T)) return NIL;
    let r = highestFit(d, T.right);
    if (r != NIL) return r;
    if (fitsBelow(T)) return t;
    if (DEBUG) assert(T.left != NIL);  // T passed, so the fit is on the left
    t = T.left; // tail position: iterate rather than recurse
  }
  return NIL;
}

/** Lowest node with lo >= limit (the anchor guarantees one exists). */
export function lowestAtOrAbove(d: Domain, limit: u64): u32 {
  let nb = nodesBase(d);
  let t = d.root;
  let best: u32 = NIL;
  while (t != NIL) {
    let T = N(nb, t);
    if (T.lo >= limit) { best = t; t = T.left; } else t = T.right;
  }
  return best;
}

/**
 * Same contract as walkDown, in O(log n) for the cases that matter. Its
 * head, inlined into allocRange: the first candidate, in x0's own gap, is
 * where a pair of alloc and free of one range lands every time, and
 * deciding it needs no call.
 */
// @ts-ignore: decorator
@inline export function seekDown(d: Domain, start: u32, limit: u64, size: u64, mask: u64, low: u64): bool {
  let nb = nodesBase(d);
  if (DEBUG) assert(size >= 1 && start != NIL);
  // A matters only when the start node is at or above the limit.
  let x0 = start;
  if (N(nb, start).lo >= limit) {
    let a = lowestAtOrAbove(d, limit);
    if (N(nb, a).lo < N(nb, start).lo) x0 = a;
  }
  let X0 = N(nb, x0);
  // First candidate: x0 itself, with high clipped to the limit.
  let high = X0.lo < limit ? X0.lo : limit;
  let cand = (high - size) & mask;
  if (high < size) return false;
  if (cand >= floorOf(X0)) return accept(x0, cand, low);
  return seekBelow(d, x0, size, mask, low);
}

/** seekDown below x0, whose own gap does not hold the request. */
function seekBelow(d: Domain, x0: u32, size: u64, mask: u64, low: u64): bool {
  let nb = nodesBase(d);
  let X0 = N(nb, x0);
  // Below x0 every upper node has lo < limit, so high = its lo.
  sSize = size;
  sMask = mask;
  sKey = alignQuery(size, mask);
  // A node's own maxima bound its left subtree's and its own gap's (the
  // lowest node's gap aside, which is tested last): where they say no, the
  // left child, usually a cache miss on a large tree, is not read. The
  // answer is the same; only the reads are fewer.
  let u = holdsFit(X0) ? highestFit(d, X0.left) : NIL;
  if (u == NIL) {
    let x = x0;
    let p = X0.parent;
    while (p != NIL) {
      let P = N(nb, p);
      if (P.right == x && holdsFit(P)) {
        if (fitsBelow(P)) { u = p; break; }
        u = highestFit(d, P.left);
        if (u != NIL) break;
      }
      x = p;
      p = P.parent;
    }
    // Last in the kernel's order: the lowest node, whose gap (down to 0)
    // stays out of the maxima and so out of the descent (gap.ts, ownGap).
    if (u == NIL) {
      let lowest = first(d);
      if (lowest == x0 || !fitsBelow(N(nb, lowest))) return false;
      u = lowest;
    }
  }
  let U = N(nb, u);
  return accept(u, (U.lo - size) & mask, low);
}

// @ts-ignore: decorator
@inline function accept(upper: u32, cand: u64, low: u64): bool {
  if (cand < low) return false;
  foundUpper = upper;
  foundPfn = cand;
  return true;
}
