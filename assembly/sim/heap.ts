// The event heap of the simulator: a 4-ary min-heap of (time, id), times
// (f64) and ids (u32) in two arrays of the Sim's heap region, so a node's
// four children's times share one cache line. The loop pops the top and
// usually pushes the same slot's next event: replaceTop does both in one
// sift-down.

import { Sim } from "./layout";

// @ts-ignore: decorator
@inline function timeAt(s: Sim, i: u32): usize { return changetype<usize>(s) + s.offHeap + (<usize>i << 3); }
// @ts-ignore: decorator
@inline function idAt(s: Sim, i: u32): usize { return changetype<usize>(s) + s.offHeap + (<usize>(s.slots + 4) << 3) + (<usize>i << 2); }

// @ts-ignore: decorator
@inline export function heapTopTime(s: Sim): f64 { return load<f64>(timeAt(s, 0)); }
// @ts-ignore: decorator
@inline export function heapTopId(s: Sim): u32 { return load<u32>(idAt(s, 0)); }

export function heapPush(s: Sim, t: f64, id: u32): void {
  let i = s.heapSize++;
  while (i > 0) {
    let p = (i - 1) >> 2;
    let pt = load<f64>(timeAt(s, p));
    if (pt <= t) break;
    store<f64>(timeAt(s, i), pt);
    store<u32>(idAt(s, i), load<u32>(idAt(s, p)));
    i = p;
  }
  store<f64>(timeAt(s, i), t);
  store<u32>(idAt(s, i), id);
}

/** Replaces the top record by (t, id) and restores the heap. */
export function heapReplaceTop(s: Sim, t: f64, id: u32): void {
  let n = s.heapSize;
  let times = timeAt(s, 0);
  let ids = idAt(s, 0);
  let i: u32 = 0;
  while (true) {
    let first: u32 = (i << 2) + 1;
    if (first >= n) break;
    let last: u32 = first + 3 < n ? first + 3 : n - 1;
    let c = first;
    let ct = load<f64>(times + (<usize>first << 3));
    for (let k: u32 = first + 1; k <= last; k++) {
      let kt = load<f64>(times + (<usize>k << 3));
      if (kt < ct) { c = k; ct = kt; }
    }
    if (ct >= t) break;
    store<f64>(times + (<usize>i << 3), ct);
    store<u32>(ids + (<usize>i << 2), load<u32>(ids + (<usize>c << 2)));
    i = c;
  }
  store<f64>(times + (<usize>i << 3), t);
  store<u32>(ids + (<usize>i << 2), id);
}

/** Removes the top record. */
export function heapPop(s: Sim): void {
  let n = --s.heapSize;
  if (n == 0) return;
  heapReplaceTop(s, load<f64>(timeAt(s, n)), load<u32>(idAt(s, n)));
}
