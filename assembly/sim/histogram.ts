// Latency histograms of the simulator in shared memory: fio's log-linear
// plat buckets, the layout of src/sim/histogram.ts (which turns them into
// fio's statistics on the host).

import { Sim, HIST_BITS, HIST_BUCKETS, HIST_HEAD, histPtr } from "./layout";

export function histClear(s: Sim, h: u32): void {
  let p = histPtr(s, h);
  memory.fill(p, 0, (HIST_HEAD + HIST_BUCKETS) << 3);
  store<f64>(p, Infinity, 8);    // min
  store<f64>(p, -Infinity, 16);  // max
}

// @ts-ignore: decorator
@inline export function histAdd(s: Sim, h: u32, ns: f64): void {
  let p = histPtr(s, h);
  let v = ns > 0 ? ns : 0;
  let idx: u32;
  if (v < 2147483648.0) {
    // floor(v) + 2^52 holds floor(v) in its low mantissa bits: the integer
    // without V8's saturating conversion (four dependent instructions).
    let x = <u32>reinterpret<u64>(Math.floor(v) + 4503599627370496.0);
    // Below 128 the bucket is x itself. Both are computed and one selected,
    // without a branch: map latencies lie on both sides of 128 ns from one
    // request to the next, so a branch on it is mispredicted often. For
    // x < 128 errorBits wraps (a shift takes its count mod 32) and the
    // formula's value is discarded.
    let errorBits: u32 = 31 - clz<u32>(x) - HIST_BITS;
    idx = select<u32>(x, ((errorBits + 1) << HIST_BITS) + ((x >> errorBits) & 63), x < 128);
  } else {
    let x = <u64>v;
    let errorBits: u32 = <u32>(63 - clz<u64>(x)) - HIST_BITS;
    idx = ((errorBits + 1) << HIST_BITS) + <u32>((x >> errorBits) & 63);
    if (idx >= HIST_BUCKETS) idx = HIST_BUCKETS - 1;
  }
  let b = p + ((<usize>(HIST_HEAD + idx)) << 3);
  store<f64>(b, load<f64>(b) + 1);
  store<f64>(p, load<f64>(p) + 1);
  if (v < load<f64>(p, 8)) store<f64>(p, v, 8);
  if (v > load<f64>(p, 16)) store<f64>(p, v, 16);
  store<f64>(p, load<f64>(p, 24) + v, 24);
  store<f64>(p, load<f64>(p, 32) + v * v, 32);
}
