// The event queue of the simulator: a loser tree (a tournament tree that
// keeps each match's loser; Knuth, TAOCP vol. 3, 5.4.1) over the slots'
// next events. Each slot has at most one event pending (SUBMIT, MAP or
// COMPLETE), so the tree's leaves are the slots, and the loop only ever
// replaces the first event by the same slot's next one: the one operation a
// loser tree does in log2(leaves) matches along a path fixed by the slot.
//
// Order: by time, and equal times in the order they were queued (FIFO). Each
// queued event gets the next number of a counter; its tag is that number
// above the event's phase (PHASE_BITS) above the slot's bits, so comparing
// (time, tag) compares (time, push order), the slot is the tag's low bits
// and the phase the two above them: the loop reads what to do from the
// winner's key, without a load of the slot's record before its dispatch.
//
// Why not the calendar queue this replaced: the study keeps 48 slots in
// flight, and the calendar's lists cost chains of dependent loads per event
// (a bucket's head, its node, the next node's time) and branches that follow
// the times. Here the path's nodes are at addresses known from the slot
// alone, so their loads do not wait for each other, and each match is a
// compare and a select, not a branch. Each node holds its key (time and tag,
// 16 bytes), not a slot index, so a match reads one line.
//
// The counter takes 64 - PHASE_BITS - log2(leaves) bits: 2^36 pushes (6.9e10)
// at the most slots a domain holds (50M), against 3.7e10 events for the
// thread's 16 hours; 2^56 for the study's 48 slots.
//
// Layout of the region at Sim.offQueue (all of it addressed from one base,
// which the loop keeps in a local):
//   header: winner's time f64, winner's tag u64, counter u64, leaves u32,
//           log2(leaves) u32, queued u32, pad               (HEADER bytes)
//   node n (1 <= n < leaves): the loser of the match there: time f64, tag u64
//   scratch: 2 x leaves keys (queueBuild's winners)

import { Sim } from "./layout";
import { DEBUG } from "../debug";

// @ts-ignore: decorator
@inline export const NO_EVENT: u32 = 0xFFFFFFFF;
// @ts-ignore: decorator
@inline const HEADER: usize = 48;  // a multiple of KEY: the nodes stay 16-byte aligned
// @ts-ignore: decorator
@inline const KEY: usize = 16;
/** Bits of a tag that hold the event's phase (layout.ts PH_*: SUBMIT, COMPLETE, MAP), above the slot's. */
// @ts-ignore: decorator
@inline const PHASE_BITS: u32 = 2;

/** The tree's leaf count for this many slots: a power of two, at least 1. */
export function queueLeaves(slots: u32): u32 {
  let n: u32 = 1;
  while (n < slots) n <<= 1;
  return n;
}

/** Bytes of the queue region. */
export function queueBytes(slots: u32): u32 {
  let n = queueLeaves(slots);
  return <u32>HEADER + n * <u32>KEY + 2 * n * <u32>KEY;
}

/** The queue region of s: every queue function takes this base. */
// @ts-ignore: decorator
@inline export function queueAt(s: Sim): usize { return changetype<usize>(s) + s.offQueue; }

// @ts-ignore: decorator
@inline function leavesOf(q: usize): u32 { return load<u32>(q, 24); }
// @ts-ignore: decorator
@inline function bitsOf(q: usize): u32 { return load<u32>(q, 28); }
/** Node n's key (1 <= n < leaves). */
// @ts-ignore: decorator
@inline function nodeAt(q: usize, n: u32): usize { return q + HEADER + (<usize>n << 4); }
/** Scratch key i (0 <= i < 2 leaves). */
// @ts-ignore: decorator
@inline function scratchAt(q: usize, i: u32): usize { return q + HEADER + (<usize>leavesOf(q) << 4) + (<usize>i << 4); }

/**
 * Tags left before the counter overflows its bits (64 - PHASE_BITS -
 * log2(leaves)): past that, push order no longer orders events of one time.
 * The host reads it between intervals and refuses a run that would use them up.
 */
export function queueTagsLeft(q: usize): f64 {
  return Math.pow(2, <f64>(64 - PHASE_BITS - bitsOf(q))) - <f64>load<u64>(q, 16);
}

/** Events in the queue. */
// @ts-ignore: decorator
@inline export function queueSize(q: usize): u32 { return load<u32>(q, 32); }

/** The next tag: the counter's number above the phase above slot k's bits. */
// @ts-ignore: decorator
@inline function nextTag(q: usize, k: u32, phase: u32): u64 {
  if (DEBUG) assert(phase < (<u32>1 << PHASE_BITS), "queue: a phase fits its bits");
  let seq = load<u64>(q, 16);
  store<u64>(q, seq + 1, 16);
  let bits = bitsOf(q);
  return (seq << (bits + PHASE_BITS)) | (<u64>phase << bits) | <u64>k;
}

/** Whether key (t, g) comes before key (u, h). */
// @ts-ignore: decorator
@inline function before(t: f64, g: u64, u: f64, h: u64): bool {
  return (t < u) | ((t == u) & (g < h));
}

/** An empty queue for s's slots: every leaf idle (time Infinity). */
export function queueInit(s: Sim): void {
  let q = queueAt(s);
  let n = queueLeaves(s.slots);
  store<u32>(q, n, 24);
  store<u32>(q, ctz<u32>(n), 28);
  store<u64>(q, 0, 16);
  for (let k: u32 = 0; k < n; k++) {
    let p = scratchAt(q, n + k);
    store<f64>(p, Infinity);
    store<u64>(p, <u64>k, 8);
  }
  store<u32>(q, 0, 32);
  queueBuild(q);
}

/**
 * Queues slot k's event of this phase at t while the queue is being set up
 * (slot k idle): its key goes to the leaves, and queueBuild then plays the
 * matches.
 */
export function queueSet(q: usize, t: f64, k: u32, phase: u32): void {
  let p = scratchAt(q, leavesOf(q) + k);
  store<f64>(p, t);
  store<u64>(p, nextTag(q, k, phase), 8);
  store<u32>(q, queueSize(q) + 1, 32);
}

/** Plays every match from the leaves' keys (scratch leaves..2 leaves-1): the winner to the header, each loser to its node. */
export function queueBuild(q: usize): void {
  let n = leavesOf(q);
  for (let i = n - 1; i >= 1; i--) {
    let a = scratchAt(q, 2 * i);
    let b = scratchAt(q, 2 * i + 1);
    let at = load<f64>(a), ag = load<u64>(a, 8);
    let bt = load<f64>(b), bg = load<u64>(b, 8);
    let aWins = before(at, ag, bt, bg);
    let w = scratchAt(q, i);
    store<f64>(w, aWins ? at : bt);
    store<u64>(w, aWins ? ag : bg, 8);
    let l = nodeAt(q, i);
    store<f64>(l, aWins ? bt : at);
    store<u64>(l, aWins ? bg : ag, 8);
  }
  // The root's winner (with one leaf, the leaf itself: scratch n + 0 = 1).
  let w = scratchAt(q, 1);
  store<f64>(q, load<f64>(w));
  store<u64>(q, load<u64>(w, 8), 8);
}

/** The slot whose event comes first (NO_EVENT if none); it stays queued. */
// @ts-ignore: decorator
@inline export function queueFirst(q: usize): u32 {
  return queueSize(q) != 0 ? queueFirstSlot(q) : NO_EVENT;
}

/** The slot of the first event, when the queue is known not to be empty (queueFirst without the test). */
// @ts-ignore: decorator
@inline export function queueFirstSlot(q: usize): u32 {
  return <u32>load<u64>(q, 8) & ((<u32>1 << bitsOf(q)) - 1);
}

/** The phase of the first event (valid when queueFirst is not NO_EVENT): the one queued with it. */
// @ts-ignore: decorator
@inline export function queueFirstPhase(q: usize): u32 {
  return (<u32>load<u64>(q, 8) >> bitsOf(q)) & ((<u32>1 << PHASE_BITS) - 1);
}

/** The time of the first event (valid when queueFirst is not NO_EVENT). */
// @ts-ignore: decorator
@inline export function queueFirstTime(q: usize): f64 { return load<f64>(q); }

/**
 * The first event's slot k leaves key (t, g): the matches on k's path are
 * played again, bottom up. This is valid only for the winner's slot: its key
 * is the one that went up this path, so each node's loser is the best of the
 * other side.
 *
 * The times are compared as their bits: every event time is +0 or more (or
 * Infinity, an idle slot), where a double's bits as u64 order as the numbers
 * do. V8 turns an f64 select into a branch that follows the times, an
 * integer select into a cmov.
 */
// @ts-ignore: decorator
@inline function replay(q: usize, k: u32, t: f64, g: u64): void {
  let n = (leavesOf(q) + k) >> 1;
  let tb = reinterpret<u64>(t);
  while (n != 0) {
    let p = nodeAt(q, n);
    let lb = load<u64>(p);
    let lg = load<u64>(p, 8);
    // The node keeps the match's loser; the winner goes on up. Equal
    // times go by the tag, in a branch of their own: they are rare (idle
    // slots' Infinity at the run's end, a tie of two sums), so the branch
    // is predicted, and the common path's selects each test one compare
    // of the times (cmp and cmov), the chain from one level to the next
    // two instructions long instead of the tie's select between compares.
    if (lb != tb) {
      // Four forms of lb < tb (equal here to lb <= tb, !(tb < lb), !(tb <= lb)):
      // V8 folds a compare into its select only when the select is its one use.
      store<u64>(p, select<u64>(tb, lb, lb < tb));
      store<u64>(p, select<u64>(g, lg, lb <= tb), 8);
      g = select<u64>(g, lg, tb < lb);
      tb = select<u64>(tb, lb, tb <= lb);
    } else {
      let stays = lg < g;
      store<u64>(p, select<u64>(g, lg, stays), 8);
      g = select<u64>(lg, g, stays);
    }
    n >>= 1;
  }
  store<u64>(q, tb);
  store<u64>(q, g, 8);
}

/** Takes the first event (slot k, which queueFirst returned) off the queue: its slot goes idle. */
// @ts-ignore: decorator
@inline export function queuePopFirst(q: usize, k: u32): void {
  replay(q, k, Infinity, nextTag(q, k, 0));
  store<u32>(q, queueSize(q) - 1, 32);
}

/** The first event's slot k queues its next event, of this phase, at t (at or after the first event's time). */
// @ts-ignore: decorator
@inline export function queueReplaceFirst(q: usize, t: f64, k: u32, phase: u32): void {
  replay(q, k, t, nextTag(q, k, phase));
}

/**
 * Plays every match again from the keys in the tree (the winner and each
 * node's loser are every leaf's key once): the same keys, so the same order.
 * A check that the order lives in the keys alone (test/sim-equivalence).
 */
export function queueRebuild(q: usize): void {
  let n = leavesOf(q);
  let mask: u64 = <u64>n - 1;
  let w = scratchAt(q, n + <u32>(load<u64>(q, 8) & mask));
  store<f64>(w, load<f64>(q));
  store<u64>(w, load<u64>(q, 8), 8);
  for (let i: u32 = 1; i < n; i++) {
    let p = nodeAt(q, i);
    let g = load<u64>(p, 8);
    let l = scratchAt(q, n + <u32>(g & mask));
    store<f64>(l, load<f64>(p));
    store<u64>(l, g, 8);
  }
  queueBuild(q);
}
