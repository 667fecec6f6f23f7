// The event queue of the simulator: a calendar queue (R. Brown, "Calendar
// queues", CACM 31(10), 1988) of the slots' next events. Each slot has at
// most one event pending (SUBMIT or COMPLETE), so the queue's nodes are the
// slots: a time f64 and a link u32 each.
//
// Time is cut into buckets WIDTH ns wide; bucket b's events sit in list
// b & (BUCKETS - 1), sorted by time, an event inserted after those of equal
// time (equal times leave in the order they were queued: FIFO). The lists
// wrap around ("years"), so an event any distance ahead is still found. The
// first event is the head of the list of the current bucket if it falls in
// that bucket; else the next bucket is tried, and after a whole year of empty
// buckets the earliest head is searched directly. Every event the loop queues
// is at or after the current event, so no list ever holds an event of a
// bucket already passed.
//
// The order (time, then FIFO) does not depend on WIDTH: WIDTH only sets the
// speed. simStart sets it to a slot's round trip over the number of slots;
// queueTune then follows the events' measured spacing (Brown's resize, with
// the node count fixed), rebuilding the lists in their order when the width
// is off by more than a factor of two, so a bucket holds about one event.
//
// Each list's head has its bucket number next to it, so the search for the
// first event reads one i64 per bucket ahead, in order.
//
// Layout of the region at Sim.offQueue (all of it addressed from one base,
// which the loop keeps in a local):
//   header: current bucket i64, 1/WIDTH f64, mask u32, queued u32, slots u32, pad
//   per slot: time f64, link u32, pad u32                     (NODE bytes)
//   per bucket: head's bucket i64 (-1: empty list), head u32, pad (NODE bytes)
//   per slot: u32 (queueTune's scratch: the events in order)

import { Sim } from "./layout";

// @ts-ignore: decorator
@inline export const NO_EVENT: u32 = 0xFFFFFFFF;
// @ts-ignore: decorator
@inline const HEADER: usize = 32;
// @ts-ignore: decorator
@inline const NODE: usize = 16;
// @ts-ignore: decorator
@inline const EMPTY: i64 = -1;

/** The calendar's bucket count for this many slots: a power of two, at least twice the slots. */
export function queueBuckets(slots: u32): u32 {
  let n: u32 = 16;
  while (n < 2 * slots) n <<= 1;
  return n;
}

/** Bytes of the queue region. */
export function queueBytes(slots: u32): u32 {
  return <u32>HEADER + slots * <u32>NODE + queueBuckets(slots) * <u32>NODE + slots * 4;
}

/** The queue region of s: every queue function takes this base. */
// @ts-ignore: decorator
@inline export function queueAt(s: Sim): usize { return changetype<usize>(s) + s.offQueue; }

// @ts-ignore: decorator
@inline function maskOf(q: usize): u32 { return load<u32>(q, 16); }
// @ts-ignore: decorator
@inline function slotsOf(q: usize): u32 { return load<u32>(q, 24); }
// @ts-ignore: decorator
@inline function nodeAt(q: usize, k: u32): usize { return q + HEADER + (<usize>k << 4); }
// @ts-ignore: decorator
@inline function bucketAt(q: usize, i: u32): usize { return q + HEADER + (<usize>slotsOf(q) << 4) + (<usize>i << 4); }
// @ts-ignore: decorator
@inline function scratchAt(q: usize, i: u32): usize {
  return q + HEADER + (<usize>slotsOf(q) << 4) + (<usize>(maskOf(q) + 1) << 4) + (<usize>i << 2);
}

/** Events in the queue. */
// @ts-ignore: decorator
@inline export function queueSize(q: usize): u32 { return load<u32>(q, 20); }

// 2^52: adding it to y in [0, 2^51) leaves round(y) in the low bits of the
// sum's mantissa, so a bucket number costs a multiply and an add (V8's
// saturating f64 -> i64 conversion costs four dependent instructions).
// Rounding to nearest instead of down only shifts the buckets by half a
// width; what matters is that the bucket number never decreases with t.
// @ts-ignore: decorator
@inline const TWO52: f64 = 4503599627370496.0;
// @ts-ignore: decorator
@inline function bucketOf(q: usize, t: f64): i64 {
  return reinterpret<i64>(t * load<f64>(q, 8) + TWO52) - reinterpret<i64>(TWO52);
}

/** The time of slot k's pending event. */
// @ts-ignore: decorator
@inline export function eventTime(q: usize, k: u32): f64 { return load<f64>(nodeAt(q, k)); }

// @ts-ignore: decorator
@inline function setWidth(q: usize, widthNs: f64): void { store<f64>(q, 1.0 / (widthNs > 1 ? widthNs : 1), 8); }

/** Every list empty, the current bucket that of time t. */
function clearBuckets(q: usize, t: f64): void {
  let n = maskOf(q) + 1;
  for (let i: u32 = 0; i < n; i++) {
    let b = bucketAt(q, i);
    store<i64>(b, EMPTY);
    store<u32>(b, NO_EVENT, 8);
  }
  store<i64>(q, bucketOf(q, t));
  store<u32>(q, 0, 20);
}

/** An empty queue at time 0 for s's slots, buckets widthNs wide. */
export function queueInit(s: Sim, widthNs: f64): void {
  let q = queueAt(s);
  store<u32>(q, queueBuckets(s.slots) - 1, 16);
  store<u32>(q, s.slots, 24);
  setWidth(q, widthNs);
  clearBuckets(q, 0);
}

/** Queues slot k's next event at t (t at or after the current event's time). */
// @ts-ignore: decorator
@inline export function queuePush(q: usize, t: f64, k: u32): void {
  let bk = bucketOf(q, t);
  let node = nodeAt(q, k);
  store<f64>(node, t);
  let b = bucketAt(q, <u32>bk & maskOf(q));
  let i = load<u32>(b, 8);
  if (i == NO_EVENT || eventTime(q, i) > t) {
    // k becomes the head of its list.
    store<u32>(node, i, 8);
    store<u32>(b, k, 8);
    store<i64>(b, bk);
  } else {
    let prev = i;
    i = load<u32>(nodeAt(q, i), 8);
    while (i != NO_EVENT && eventTime(q, i) <= t) {
      prev = i;
      i = load<u32>(nodeAt(q, i), 8);
    }
    store<u32>(node, i, 8);
    store<u32>(nodeAt(q, prev), k, 8);
  }
  store<u32>(q, queueSize(q) + 1, 20);
}

/** The earliest head of any list, and the current bucket moved to it (after a year of empty buckets). */
function earliestHead(q: usize): u32 {
  let best: u32 = NO_EVENT;
  let bt: f64 = Infinity;
  let mask = maskOf(q);
  for (let i: u32 = 0; i <= mask; i++) {
    let k = load<u32>(bucketAt(q, i), 8);
    if (k != NO_EVENT && eventTime(q, k) < bt) { best = k; bt = eventTime(q, k); }
  }
  store<i64>(q, bucketOf(q, bt));
  return best;
}

/** The slot whose event comes first (NO_EVENT if none); it stays queued. */
// @ts-ignore: decorator
@inline export function queueFirst(q: usize): u32 {
  let k = NO_EVENT;
  if (queueSize(q) != 0) {
    let mask = maskOf(q);
    let cur = load<i64>(q);
    let buckets = bucketAt(q, 0);
    let n: u32 = 0;
    while (load<i64>(buckets + ((<usize>(<u32>cur & mask)) << 4)) != cur && n <= mask) { cur++; n++; }
    if (n <= mask) {
      store<i64>(q, cur);
      k = load<u32>(buckets + ((<usize>(<u32>cur & mask)) << 4), 8);
    } else {
      k = earliestHead(q);
    }
  }
  return k;
}

/** Takes the first event (the slot queueFirst returned) off the queue. */
// @ts-ignore: decorator
@inline export function queuePopFirst(q: usize): void {
  let b = bucketAt(q, <u32>load<i64>(q) & maskOf(q));
  let next = load<u32>(nodeAt(q, load<u32>(b, 8)), 8);
  store<u32>(b, next, 8);
  store<i64>(b, next == NO_EVENT ? EMPTY : bucketOf(q, eventTime(q, next)));
  store<u32>(q, queueSize(q) - 1, 20);
}

/** The first event's slot k queues its next event at t. */
// @ts-ignore: decorator
@inline export function queueReplaceFirst(q: usize, t: f64, k: u32): void {
  queuePopFirst(q);
  queuePush(q, t, k);
}

/**
 * Takes every event off in its order and queues it again in that order with
 * buckets widthNs wide: equal times keep their FIFO order, so the order of
 * events is the same as before.
 */
export function queueRebuild(q: usize, widthNs: f64): void {
  let n = queueSize(q);
  if (n == 0) {
    setWidth(q, widthNs);
    return;
  }
  let t0: f64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let k = queueFirst(q);
    if (i == 0) t0 = eventTime(q, k);
    store<u32>(scratchAt(q, i), k);
    queuePopFirst(q);
  }
  setWidth(q, widthNs);
  clearBuckets(q, t0);
  for (let i: u32 = 0; i < n; i++) {
    let k = load<u32>(scratchAt(q, i));
    queuePush(q, eventTime(q, k), k);
  }
}

/** Brown's resize for a measured spacing of `gapNs` between events: a rebuild if the width is off by more than a factor of two. */
export function queueTune(q: usize, gapNs: f64): void {
  let g = gapNs > 1 ? gapNs : 1;  // setWidth's floor
  let w = 1.0 / load<f64>(q, 8);
  if (g >= 2 * w || w >= 2 * g) queueRebuild(q, g);
}
