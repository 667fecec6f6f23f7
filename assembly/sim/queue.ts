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
// Layout of the region at Sim.offQueue: header (current bucket i64, 1/WIDTH
// f64, mask u32, pad), times f64 x slots, links u32 x slots, heads u32 x BUCKETS.

import { Sim } from "./layout";

// @ts-ignore: decorator
@inline export const NO_EVENT: u32 = 0xFFFFFFFF;
// @ts-ignore: decorator
@inline const HEADER: u32 = 24;

/** The calendar's bucket count for this many slots: a power of two, at least twice the slots. */
export function queueBuckets(slots: u32): u32 {
  let n: u32 = 16;
  while (n < 2 * slots) n <<= 1;
  return n;
}

/** Bytes of the queue region. */
export function queueBytes(slots: u32): u32 {
  return HEADER + slots * 12 + queueBuckets(slots) * 4;
}

// @ts-ignore: decorator
@inline function base(s: Sim): usize { return changetype<usize>(s) + s.offQueue; }
// @ts-ignore: decorator
@inline function timeAt(s: Sim, k: u32): usize { return base(s) + HEADER + (<usize>k << 3); }
// @ts-ignore: decorator
@inline function linkAt(s: Sim, k: u32): usize { return base(s) + HEADER + (<usize>s.slots << 3) + (<usize>k << 2); }
// @ts-ignore: decorator
@inline function headAt(s: Sim, i: u32): usize { return base(s) + HEADER + <usize>s.slots * 12 + (<usize>i << 2); }
// @ts-ignore: decorator
@inline function bucketOf(s: Sim, t: f64): i64 { return <i64>(t * load<f64>(base(s), 8)); }

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
  for (let i: u32 = 0; i < n; i++) store<u32>(headAt(s, i), NO_EVENT);
  s.queued = 0;
}

/** Queues slot k's next event at t (t at or after the current event's time). */
export function queuePush(s: Sim, t: f64, k: u32): void {
  store<f64>(timeAt(s, k), t);
  let h = headAt(s, <u32>bucketOf(s, t) & load<u32>(base(s), 16));
  let prev: u32 = NO_EVENT;
  let i = load<u32>(h);
  while (i != NO_EVENT && load<f64>(timeAt(s, i)) <= t) {
    prev = i;
    i = load<u32>(linkAt(s, i));
  }
  store<u32>(linkAt(s, k), i);
  if (prev == NO_EVENT) store<u32>(h, k);
  else store<u32>(linkAt(s, prev), k);
  s.queued++;
}

/** The slot whose event comes first (NO_EVENT if none); it stays queued. */
export function queueFirst(s: Sim): u32 {
  if (s.queued == 0) return NO_EVENT;
  let b = base(s);
  let mask = load<u32>(b, 16);
  let cur = load<i64>(b);
  for (let n: u32 = 0; n <= mask; n++, cur++) {
    let k = load<u32>(headAt(s, <u32>cur & mask));
    if (k != NO_EVENT && bucketOf(s, load<f64>(timeAt(s, k))) == cur) {
      store<i64>(b, cur);
      return k;
    }
  }
  // A year of empty buckets: the earliest head, wherever it is.
  let best: u32 = NO_EVENT;
  let bt: f64 = Infinity;
  for (let i: u32 = 0; i <= mask; i++) {
    let k = load<u32>(headAt(s, i));
    if (k != NO_EVENT && load<f64>(timeAt(s, k)) < bt) { best = k; bt = load<f64>(timeAt(s, k)); }
  }
  store<i64>(b, bucketOf(s, bt));
  return best;
}

/** Takes the first event (the slot queueFirst returned) off the queue. */
export function queuePopFirst(s: Sim): void {
  let h = headAt(s, <u32>load<i64>(base(s)) & load<u32>(base(s), 16));
  store<u32>(h, load<u32>(linkAt(s, load<u32>(h))));
  s.queued--;
}

/** The first event's slot k queues its next event at t. */
export function queueReplaceFirst(s: Sim, t: f64, k: u32): void {
  queuePopFirst(s);
  queuePush(s, t, k);
}
