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
// speed. simStart sets it to a slot's round trip over the number of slots, so
// a bucket holds about one event and the list it goes into is short.
//
// Each list's head also has its bucket number next to it, so the search for
// the first event reads one i64 per bucket (the buckets ahead are read in
// order, not through the list), and each event keeps its bucket number, so a
// time becomes a bucket number once, when it is queued.
//
// Layout of the region at Sim.offQueue: header (current bucket i64, 1/WIDTH
// f64, mask u32, pad), per slot: time f64 x slots, bucket i64 x slots, link
// u32 x slots; per bucket: head's bucket i64 x BUCKETS (-1: empty list),
// head u32 x BUCKETS.

import { Sim } from "./layout";

// @ts-ignore: decorator
@inline export const NO_EVENT: u32 = 0xFFFFFFFF;
// @ts-ignore: decorator
@inline const HEADER: u32 = 24;
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
  return HEADER + slots * 20 + queueBuckets(slots) * 12;
}

// @ts-ignore: decorator
@inline function base(s: Sim): usize { return changetype<usize>(s) + s.offQueue; }
// @ts-ignore: decorator
@inline function timeAt(s: Sim, k: u32): usize { return base(s) + HEADER + (<usize>k << 3); }
// @ts-ignore: decorator
@inline function bucketAt(s: Sim, k: u32): usize { return base(s) + HEADER + (<usize>s.slots << 3) + (<usize>k << 3); }
// @ts-ignore: decorator
@inline function linkAt(s: Sim, k: u32): usize { return base(s) + HEADER + (<usize>s.slots << 4) + (<usize>k << 2); }
// @ts-ignore: decorator
@inline function headBucketAt(s: Sim, i: u32): usize { return base(s) + HEADER + <usize>s.slots * 20 + (<usize>i << 3); }
// @ts-ignore: decorator
@inline function headAt(s: Sim, i: u32): usize {
  return base(s) + HEADER + <usize>s.slots * 20 + (<usize>(load<u32>(base(s), 16) + 1) << 3) + (<usize>i << 2);
}

// 2^52: adding it to y in [0, 2^51) leaves round(y) in the low bits of the
// sum's mantissa, so a bucket number costs a multiply and an add (V8's
// saturating f64 -> i64 conversion costs four dependent instructions).
// Rounding to nearest instead of down only shifts the buckets by half a
// width; what matters is that the bucket number never decreases with t.
// @ts-ignore: decorator
@inline const TWO52: f64 = 4503599627370496.0;
// @ts-ignore: decorator
@inline function bucketOf(s: Sim, t: f64): i64 {
  return reinterpret<i64>(t * load<f64>(base(s), 8) + TWO52) - reinterpret<i64>(TWO52);
}

/** The time of slot k's pending event. */
// @ts-ignore: decorator
@inline export function eventTime(s: Sim, k: u32): f64 { return load<f64>(timeAt(s, k)); }

/** An empty queue at time 0, buckets widthNs wide. */
export function queueInit(s: Sim, widthNs: f64): void {
  let b = base(s);
  let n = queueBuckets(s.slots);
  store<i64>(b, 0);
  store<f64>(b, 1.0 / (widthNs > 1 ? widthNs : 1), 8);
  store<u32>(b, n - 1, 16);
  for (let i: u32 = 0; i < n; i++) {
    store<i64>(headBucketAt(s, i), EMPTY);
    store<u32>(headAt(s, i), NO_EVENT);
  }
  s.queued = 0;
}

/** Queues slot k's next event at t (t at or after the current event's time). */
export function queuePush(s: Sim, t: f64, k: u32): void {
  let bk = bucketOf(s, t);
  store<f64>(timeAt(s, k), t);
  store<i64>(bucketAt(s, k), bk);
  let idx = <u32>bk & load<u32>(base(s), 16);
  let h = headAt(s, idx);
  let i = load<u32>(h);
  if (i == NO_EVENT || load<f64>(timeAt(s, i)) > t) {
    // k becomes the head of its list.
    store<u32>(linkAt(s, k), i);
    store<u32>(h, k);
    store<i64>(headBucketAt(s, idx), bk);
  } else {
    let prev = i;
    i = load<u32>(linkAt(s, i));
    while (i != NO_EVENT && load<f64>(timeAt(s, i)) <= t) {
      prev = i;
      i = load<u32>(linkAt(s, i));
    }
    store<u32>(linkAt(s, k), i);
    store<u32>(linkAt(s, prev), k);
  }
  s.queued++;
}

/** The slot whose event comes first (NO_EVENT if none); it stays queued. */
export function queueFirst(s: Sim): u32 {
  if (s.queued == 0) return NO_EVENT;
  let b = base(s);
  let mask = load<u32>(b, 16);
  let cur = load<i64>(b);
  let heads = headBucketAt(s, 0);
  for (let n: u32 = 0; n <= mask; n++, cur++) {
    let i = <u32>cur & mask;
    if (load<i64>(heads + (<usize>i << 3)) == cur) {
      store<i64>(b, cur);
      return load<u32>(headAt(s, i));
    }
  }
  // A year of empty buckets: the earliest head, wherever it is.
  let best: u32 = NO_EVENT;
  let bt: f64 = Infinity;
  for (let i: u32 = 0; i <= mask; i++) {
    let k = load<u32>(headAt(s, i));
    if (k != NO_EVENT && load<f64>(timeAt(s, k)) < bt) { best = k; bt = load<f64>(timeAt(s, k)); }
  }
  store<i64>(b, load<i64>(bucketAt(s, best)));
  return best;
}

/** Takes the first event (the slot queueFirst returned) off the queue. */
export function queuePopFirst(s: Sim): void {
  let idx = <u32>load<i64>(base(s)) & load<u32>(base(s), 16);
  let h = headAt(s, idx);
  let next = load<u32>(linkAt(s, load<u32>(h)));
  store<u32>(h, next);
  store<i64>(headBucketAt(s, idx), next == NO_EVENT ? EMPTY : load<i64>(bucketAt(s, next)));
  s.queued--;
}

/** The first event's slot k queues its next event at t. */
export function queueReplaceFirst(s: Sim, t: f64, k: u32): void {
  queuePopFirst(s);
  queuePush(s, t, k);
}
