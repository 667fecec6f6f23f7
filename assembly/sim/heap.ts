// The event heap of the simulator: a binary min-heap of (time f64, id u32)
// records (16 bytes each) in the Sim's heap region. The loop pops the top
// and usually pushes the same slot's next event: replaceTop does both in one
// sift-down.

import { Sim } from "./layout";

// @ts-ignore: decorator
@inline function rec(s: Sim, i: u32): usize { return changetype<usize>(s) + s.offHeap + (<usize>i << 4); }

// @ts-ignore: decorator
@inline export function heapTopTime(s: Sim): f64 { return load<f64>(rec(s, 0)); }
// @ts-ignore: decorator
@inline export function heapTopId(s: Sim): u32 { return load<u32>(rec(s, 0), 8); }

export function heapPush(s: Sim, t: f64, id: u32): void {
  let i = s.heapSize++;
  while (i > 0) {
    let p = (i - 1) >> 1;
    let pr = rec(s, p);
    let pt = load<f64>(pr);
    if (pt <= t) break;
    let r = rec(s, i);
    store<f64>(r, pt);
    store<u32>(r, load<u32>(pr, 8), 8);
    i = p;
  }
  let r = rec(s, i);
  store<f64>(r, t);
  store<u32>(r, id, 8);
}

/** Replaces the top record by (t, id) and restores the heap. */
export function heapReplaceTop(s: Sim, t: f64, id: u32): void {
  let n = s.heapSize;
  let i: u32 = 0;
  while (true) {
    let l: u32 = 2 * i + 1;
    if (l >= n) break;
    let lr = rec(s, l);
    let c = l;
    let ct = load<f64>(lr);
    let rr: u32 = l + 1;
    if (rr < n) {
      let rt = load<f64>(rec(s, rr));
      if (rt < ct) { c = rr; ct = rt; }
    }
    if (ct >= t) break;
    let cr = rec(s, c);
    let dst = rec(s, i);
    store<f64>(dst, ct);
    store<u32>(dst, load<u32>(cr, 8), 8);
    i = c;
  }
  let r = rec(s, i);
  store<f64>(r, t);
  store<u32>(r, id, 8);
}

/** Removes the top record. */
export function heapPop(s: Sim): void {
  let n = --s.heapSize;
  if (n == 0) return;
  let last = rec(s, n);
  heapReplaceTop(s, load<f64>(last), load<u32>(last, 8));
}
