// The I/O count of a merged request (bsKind 3), each I/O of bsFixed bytes:
// 1 + a geometric number of further I/Os, each joining with chance p
// (P[more than n] = p^n), at most bsSteps of them. The model's formula is
//
//   k(u) = min(bsSteps, 1 + floor(log(1 - u) / ln p))   (u uniform, [0, 1))
//
// and every draw must give exactly its k (the study's results are
// identical per seed). The log and the division cost about a tenth of a
// request's time, so the draw compares u against a table instead: T[n], the
// smallest u of the generator's grid (multiples of 2^-53) with k(u) > n+1,
// found once per run by bisection on the formula itself. k(u) rises with u,
// so away from the thresholds k(u) = 1 + (the number of T[n] at or below u).
// Within GUARD of a threshold, where a last-bit error of the log could
// matter, and above the table's last entry, the draw evaluates the formula
// as before. Outside the guard the table cannot disagree with the formula:
// there k's argument is at least GUARD / (1 - u) / |ln p| (about 1e-9 for
// the study's p) away from an integer, a million times the log's error.

import { Sim, SimParam, pAt, mergePtr, mergeUpPtr, mergeStartPtr, MERGE_TABLE, MERGE_BUCKETS } from "./layout";
import { uniform } from "./random";
import { DEBUG } from "../debug";

/** Distance from a threshold within which the draw uses the formula. */
// @ts-ignore: decorator
@inline const GUARD: f64 = 1.0 / 4294967296.0;

/** The model's formula for u (as the loop drew it before the table). */
// @ts-ignore: decorator
@inline export function mergeIosFormula(s: Sim, u: f64): f64 {
  let k = 1 + Math.floor(Math.log(1.0 - u) / pAt(s, SimParam.mergeLogP));
  return k < s.bsSteps ? k : s.bsSteps;
}

/**
 * Fills the table for this run's p and bsSteps (after the host wrote P):
 * s.mergeEntries thresholds, none when ln p is not below 0 (every draw then
 * uses the formula).
 */
export function mergeTableBuild(s: Sim): void {
  s.mergeEntries = 0;
  // Entries past the last threshold are Infinity, which no u reaches: mergeIos's compares and its loop up the
  // table stop at one without a bound test.
  for (let i: u32 = 0; i < MERGE_TABLE; i++) store<f64>(mergePtr(s, i), Infinity);
  if (s.bsKind != 3 || !(pAt(s, SimParam.mergeLogP) < 0)) {
    mergeStartsBuild(s);
    return;
  }
  let steps = s.bsSteps;
  let m: u32 = 0;
  // Threshold n: k(u) > n + 1. Only counts below bsSteps have one.
  while (m < MERGE_TABLE && <f64>(m + 1) < steps) {
    let want = <f64>(m + 2);
    // Bisection over the grid's integers j (u = j 2^-53): the smallest j with k >= want.
    let lo: u64 = 0;
    let hi: u64 = <u64>1 << 53;  // u = 1: beyond the grid
    while (lo < hi) {
      let mid = lo + ((hi - lo) >> 1);
      if (mergeIosFormula(s, <f64>mid * (1.0 / 9007199254740992.0)) >= want) hi = mid;
      else lo = mid + 1;
    }
    let threshold = <f64>lo * (1.0 / 9007199254740992.0);
    // mergeIos counts the thresholds at or below u: they must rise strictly.
    if (DEBUG) assert(m == 0 || threshold > load<f64>(mergePtr(s, m - 1)), "mergeTableBuild: thresholds rise strictly");
    store<f64>(mergePtr(s, m), threshold);
    m++;
    if (lo == <u64>1 << 53) break;  // no u of the grid reaches it (nor a larger count)
  }
  s.mergeEntries = m;
  mergeStartsBuild(s);
}

/**
 * The draw's helper tables from T: T + GUARD (Infinity past the m entries,
 * two spare ones for mergeIos's pair), and each bucket's start count, the
 * thresholds with T + GUARD at or below the bucket's lowest u (b /
 * MERGE_BUCKETS, exact). Every u of bucket b passes those, so mergeIos's
 * count may start there.
 */
function mergeStartsBuild(s: Sim): void {
  for (let i: u32 = 0; i < MERGE_TABLE + 2; i++) {
    store<f64>(mergeUpPtr(s, i), i < MERGE_TABLE ? load<f64>(mergePtr(s, i)) + GUARD : Infinity);
  }
  let n: u32 = 0;
  for (let b: u32 = 0; b < MERGE_BUCKETS; b++) {
    let lowest = <f64>b * (1.0 / <f64>MERGE_BUCKETS);
    while (load<f64>(mergeUpPtr(s, n)) <= lowest) n++;
    store<u8>(mergeStartPtr(s, b), <u8>n);
  }
}

/** One request's I/O count: k(u) for the next uniform draw of the stream at r (the job's SIZE stream). */
// @ts-ignore: decorator
@inline export function drawMergedIos(s: Sim, r: usize): u32 {
  return mergeIosCount(s, uniform(r));
}

/** k(u) as a double (the host's check of the table against the formula). */
export function mergeIos(s: Sim, u: f64): f64 {
  return <f64>mergeIosCount(s, u);
}

/**
 * k(u) from the table (the formula within the guard and past the table), as
 * an integer: the loop's count of reads. The formula's k is an integer of
 * at most bsSteps, so its conversion is exact.
 */
// @ts-ignore: decorator
@inline function mergeIosCount(s: Sim, u: f64): u32 {
  let m = s.mergeEntries;
  // i = the thresholds T[n] with u >= T[n] + GUARD (T rises with n, so they
  // are the first i). Counted from u's bucket's start count, which every u
  // of the bucket passes: below the 32nd threshold a bucket (1/1024 wide)
  // holds at most one, so the next two entries, compared without a branch,
  // end the count for about 99% of the draws (a count ends at a place the
  // draw decides, and a branch on it was mispredicted about once a draw).
  // Past the table's m entries T + GUARD is Infinity, so the count stops at m.
  // The bucket floor(u * MERGE_BUCKETS) as the low bits of floor(..) + 2^52
  // (as histAdd does): u < 1, so it is below 2^32, and the bits are exact,
  // without the range checks of V8's conversion to an integer.
  let bucket = <u32>reinterpret<u64>(Math.floor(u * <f64>MERGE_BUCKETS) + 4503599627370496.0);
  let i0 = <u32>load<u8>(mergeStartPtr(s, bucket));
  let up = mergeUpPtr(s, i0);
  let second = u >= load<f64>(up, 8);
  let i = i0 + <u32>(u >= load<f64>(up)) + <u32>second;
  if (second) while (u >= load<f64>(mergeUpPtr(s, i))) i++;
  // u is below threshold i by more than GUARD: k = i + 1, unless u is within the guard or past the table.
  if (i < m ? u >= load<f64>(mergePtr(s, i)) - GUARD : <f64>(m + 1) < s.bsSteps) return <u32>mergeIosFormula(s, u);
  return i + 1;
}
