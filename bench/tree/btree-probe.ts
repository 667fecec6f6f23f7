// Probe (issue 10, "the aligned search in O(log n)"): would a B+-tree whose
// parents hold their children's maxima meet the aligned churn's 2x? The
// wasm tree's step grows with N because every level of a binary tree's root
// path is its own cache line; here one node of up to 16 children decides
// where to descend, so a root path is about log16(N) nodes.
//
// This is a prototype in JS (typed arrays), not the kernel's tree: it keeps
// the v6.x era's placement rules for the calls the churn makes (alloc_iova
// top-down from cached32_node / cached_node, the retry from the top,
// max32_alloc_size, __cached_rbnode_delete_update) and the same augmentation
// as assembly/tree/gap.ts (maxGap, and maxAlignKey with the lowest range's
// own share left out), kept per child slot in the parent. A leaf holds up to
// 16 ranges sorted by lo (--fanout=N: N, and N children an inner node); the
// cached nodes are pfns (a range moves between leaves when one splits),
// found again through a leaf hint. Nodes split where the insert goes; a
// leaf drained to a quarter takes in its successor when that fits; inner
// nodes go only when empty (a prototype: no era but v6.x, no reserve).
//
// The probe builds the tree bench's fragmented trees in the wasm tree and in
// this one, runs the bench's aligned churn on both, checks that every pfn
// both return is the same (placement hash and pfn by pfn), and times both
// interleaved. It also times floorSteps, the least any structure's step
// touches, so the figures say how far each is from what memory allows.
// Run: node --no-liftoff dist/bench/tree/btree-probe.js [--quick] [--fanout=N]
//
// Measured (2026-12-02 14:49-14:53 UTC, load 3.1-4.2, autogroup -10), ns
// per step at 1e3 / 1e6, fanout 16: wasm rbtree 641-656 / 3,973-4,683
// (6.1-7.3x); B+-tree 1,376-1,496 / 3,761-4,106 (2.5-2.9x, but over a
// 1e3 step with 2.2x the wasm's JS constant); its find 1,058-1,381 at 1e6
// against the wasm's 2,560-3,267. Its step grows by 2,270-2,700 ns, the
// wasm's by 3,300-4,000, the floor's by ~200. Fanout 8 and 32: the same
// growth (2,570 and 2,460). So a B+-tree like this one, built in wasm with
// the rbtree's 1e3 cost, would read about 4.5-5x at 1e6, not 2x. A
// dependent load costs 5 / 6 / 33 / 204 ns in 64 KiB / 512 KiB / 4 MiB /
// 64 MiB (chaseNs), so 2x at 1e6 leaves room for about 3 dependent misses
// to DRAM a step: the levels above the leaves must stay in a few MiB (this
// probe's 544-byte nodes over 4 lines each do not), and the find and the
// search reach DRAM about once each.
import { IovaDomain } from "../../src/index.js";
import { must, perOpNsInterleaved, placementHash, prng, treeDomain } from "./util.js";

/** Ranges per leaf and children per inner node: 16, or --fanout=N (an even N from 4 to 64). */
const FANOUT = (() => {
  const a = process.argv.find((x) => x.startsWith("--fanout="));
  const n = a === undefined ? 16 : Number(a.slice("--fanout=".length));
  if (!Number.isInteger(n) || n < 4 || n > 64 || n % 2) throw new RangeError(`btree probe: --fanout must be an even integer from 4 to 64: got ${a}`);
  return n;
})();
const B = FANOUT;
const F = FANOUT;
// A leaf's words: lo[B], hi[B], gap[B], key[B], then its count, parent,
// previous and next leaf, in its own block (kept in arrays of their own,
// every leaf a step touches cost up to four more cache misses at 1e6).
const LN = 4 * B, LP = LN + 1, LV = LN + 2, LX = LN + 3;
const LW = 4 * B + 4;
/** a.copyWithin(to, from, end) for the few words a node shifts (the call costs more than the loop). */
function shift(a: Float64Array, to: number, from: number, end: number): void {
  if (to > from) for (let k = end - 1; k >= from; k--) a[k + to - from] = a[k];
  else for (let k = from; k < end; k++) a[k + to - from] = a[k];
}      // leaf words: lo[B], hi[B], gap[B], key[B]
const IW = 4 * F;      // inner words: child[F], minLo[F], maxGap[F], maxKey[F]
/** The anchor's pfn (the kernel's IOVA_ANCHOR, ~0UL): above every range, exact in f64. */
const ANCHOR = 2 ** 53 - 1;

function log2Floor(x: number): number {
  return x < 2 ** 32 ? 31 - Math.clz32(x) : 63 - Math.clz32(Math.floor(x / 2 ** 32));
}

/** gap.ts alignKey, in f64 (exact below 2^53). */
export function alignKey(floor: number, lo: number): number {
  const len = lo - floor;
  if (len <= 0) return 0;
  const k = log2Floor(len);
  const b = 2 ** k;
  const start = Math.ceil(floor / b) * b;
  const o = start - floor <= len - b ? k + 1 : k;
  const m = 2 ** o;
  const c = Math.ceil(floor / m) * m;
  return m + (c < lo ? lo - c : 0);
}

export class BTreeIova {
  leaf: Float64Array;
  inner: Float64Array;
  innerN: Int32Array;
  innerParent: Int32Array;
  /** 1 when an inner node's children are leaves. */
  innerOverLeaves: Uint8Array;
  leavesMade = 0;
  innersMade = 0;
  freeLeaves: number[] = [];
  freeInners: number[] = [];
  root: number;
  /** The leaf holding the lowest range. */
  firstLeaf = 0;
  readonly dma32: number;
  readonly startPfn: number;
  max32: number;
  cached32 = ANCHOR;
  cached = ANCHOR;
  hint32 = 0;
  hint = 0;
  // the result of locate() and of a search
  pL = 0;
  pJ = 0;

  constructor(granule: number, startPfn: number, maxRanges: number) {
    const leaves = Math.ceil(maxRanges / 2) + 64;
    const inners = Math.ceil(leaves / 2) + 64;
    this.leaf = new Float64Array(leaves * LW);
    this.inner = new Float64Array(inners * IW);
    this.innerN = new Int32Array(inners);
    this.innerParent = new Int32Array(inners);
    this.innerOverLeaves = new Uint8Array(inners);
    this.dma32 = 2 ** (32 - log2Floor(granule));
    this.startPfn = startPfn;
    this.max32 = this.dma32;
    const L = this.newLeaf();
    this.leaf[(L) * LW + LV] = -1;
    this.leaf[(L) * LW + LX] = -1;
    const o = L * LW;
    this.leaf[o] = ANCHOR;
    this.leaf[o + B] = ANCHOR;
    this.leaf[o + 2 * B] = ANCHOR;  // everything below the anchor is free
    this.leaf[o + 3 * B] = 0;
    this.leaf[(L) * LW + LN] = 1;
    const R = this.newInner(true);
    this.innerParent[R] = -1;
    this.root = R;
    this.innerN[R] = 1;
    this.inner[R * IW] = L;
    this.leaf[(L) * LW + LP] = R;
    this.setSlot(R, 0, L, true);
  }

  private newLeaf(): number {
    return this.freeLeaves.length ? this.freeLeaves.pop()! : this.leavesMade++;
  }
  private newInner(overLeaves: boolean): number {
    const i = this.freeInners.length ? this.freeInners.pop()! : this.innersMade++;
    this.innerOverLeaves[i] = overLeaves ? 1 : 0;
    return i;
  }

  // ---- summaries: a child's (minLo, maxGap, maxKey) in its parent's slot

  /** Writes child c's summary into slot s of inner node p; returns whether it changed. */
  private setSlot(p: number, s: number, c: number, isLeaf: boolean): boolean {
    let minLo: number, mg = 0, mk = 0;
    if (isLeaf) {
      const o = c * LW, n = this.leaf[(c) * LW + LN], lf = this.leaf;
      minLo = lf[o];
      // The lowest range's own share stays out of the maxima (gap.ts, ownGap).
      for (let j = this.leaf[(c) * LW + LV] < 0 ? 1 : 0; j < n; j++) {
        const g = lf[o + 2 * B + j], k = lf[o + 3 * B + j];
        if (g > mg) mg = g;
        if (k > mk) mk = k;
      }
    } else {
      const o = c * IW, n = this.innerN[c], v = this.inner;
      minLo = v[o + F];
      for (let j = 0; j < n; j++) {
        const g = v[o + 2 * F + j], k = v[o + 3 * F + j];
        if (g > mg) mg = g;
        if (k > mk) mk = k;
      }
    }
    const v = this.inner, q = p * IW + s;
    if (v[q + F] === minLo && v[q + 2 * F] === mg && v[q + 3 * F] === mk) return false;
    v[q + F] = minLo;
    v[q + 2 * F] = mg;
    v[q + 3 * F] = mk;
    return true;
  }

  private slotOf(p: number, c: number): number {
    const o = p * IW;
    for (let s = 0; s < this.innerN[p]; s++) if (this.inner[o + s] === c) return s;
    throw new Error("btree probe: child not in its parent");
  }

  /** Leaf L's ranges changed: the summaries up from it, stopping where one stays. */
  private refreshLeaf(L: number): void {
    let p = this.leaf[(L) * LW + LP];
    if (!this.setSlot(p, this.slotOf(p, L), L, true)) return;
    this.refreshInner(p);
  }
  /** Inner node c's slots changed: the summaries above it. */
  private refreshInner(c: number): void {
    let p = this.innerParent[c];
    while (p >= 0) {
      if (!this.setSlot(p, this.slotOf(p, c), c, false)) return;
      c = p;
      p = this.innerParent[c];
    }
  }

  // ---- positions

  /** The leaf that holds pfn, if any does (the last child whose minLo <= pfn, level by level). */
  private leafFor(pfn: number): number {
    let x = this.root;
    const v = this.inner;
    for (;;) {
      const o = x * IW, n = this.innerN[x];
      let s = 0;
      while (s + 1 < n && v[o + F + s + 1] <= pfn) s++;
      const c = v[o + s];
      if (this.innerOverLeaves[x]) return c;
      x = c;
    }
  }

  /** find_iova: pL/pJ of the range holding pfn; false if none does. */
  find(pfn: number): boolean {
    const L = this.leafFor(pfn), o = L * LW, n = this.leaf[(L) * LW + LN], lf = this.leaf;
    let j = n - 1;
    while (j >= 0 && lf[o + j] > pfn) j--;
    if (j < 0 || pfn > lf[o + B + j]) return false;
    this.pL = L;
    this.pJ = j;
    return true;
  }

  /** pL/pJ of the range starting at lo (which exists), trying the hint leaf first. */
  private locate(lo: number, hint: number): void {
    if (hint >= 0 && hint < this.leavesMade) {
      const o = hint * LW, n = this.leaf[(hint) * LW + LN], lf = this.leaf;
      if (n > 0 && lf[o] <= lo && lo <= lf[o + n - 1]) {
        for (let j = 0; j < n; j++) if (lf[o + j] === lo) { this.pL = hint; this.pJ = j; return; }
      }
    }
    if (!this.find(lo)) throw new Error(`btree probe: cached pfn ${lo} not in the tree`);
  }

  /** pL/pJ of the lowest range with lo >= key (the anchor bounds it). */
  private lowerBound(key: number): void {
    let L = this.leafFor(key);
    const lf = this.leaf;
    let j = 0;
    while (j < this.leaf[(L) * LW + LN] && lf[L * LW + j] < key) j++;
    if (j === this.leaf[(L) * LW + LN]) { L = this.leaf[(L) * LW + LX]; j = 0; }
    this.pL = L;
    this.pJ = j;
  }

  // ---- the search (placement.ts seekDown, over this structure)

  private fits(o: number, j: number, size: number, A: number): boolean {
    const lf = this.leaf, lo = lf[o + j], g = lf[o + 2 * B + j];
    return lo >= size && g >= size && Math.floor((lo - size) / A) * A >= lo - g;
  }

  /**
   * The highest range below (L0, j0) whose gap holds the request: the rest
   * of L0, then up the inner nodes, entering the nearest slot on the left
   * whose maxima say it holds one (exact: gap.ts), then the lowest range.
   */
  private seekBelow(L0: number, j0: number, size: number, A: number): boolean {
    const o0 = L0 * LW;
    for (let j = j0 - 1; j >= 0; j--) if (this.fits(o0, j, size, A)) { this.pL = L0; this.pJ = j; return true; }
    const key = A > 1 ? A + size : 0;
    const v = this.inner;
    let c = L0;
    let p = this.leaf[(L0) * LW + LP];
    while (p >= 0) {
      const o = p * IW;
      for (let s = this.slotOf(p, c) - 1; s >= 0; s--) {
        if (v[o + 2 * F + s] >= size && v[o + 3 * F + s] >= key) return this.descend(p, s, size, A, key);
      }
      c = p;
      p = this.innerParent[p];
    }
    // The lowest range, out of the maxima, last in the kernel's order.
    const L = this.firstLeaf;
    if (L === L0 || !this.fits(L * LW, 0, size, A)) return false;
    this.pL = L;
    this.pJ = 0;
    return true;
  }

  private descend(p: number, s: number, size: number, A: number, key: number): boolean {
    const v = this.inner;
    for (;;) {
      const c = v[p * IW + s];
      if (this.innerOverLeaves[p]) {
        const o = c * LW;
        for (let j = this.leaf[(c) * LW + LN] - 1; j >= 0; j--) if (this.fits(o, j, size, A)) { this.pL = c; this.pJ = j; return true; }
        throw new Error("btree probe: a leaf whose maxima hold a fit holds none");
      }
      p = c;
      const o = p * IW;
      s = this.innerN[p] - 1;
      while (s >= 0 && !(v[o + 2 * F + s] >= size && v[o + 3 * F + s] >= key)) s--;
      if (s < 0) throw new Error("btree probe: an inner node whose maxima hold a fit holds none");
    }
  }

  /** seekDown from the range at (L, j); on success pL/pJ is the upper range and the result the pfn. */
  private seekDown(L: number, j: number, limitPfn: number, size: number, A: number, low: number): number {
    const lf = this.leaf;
    if (lf[L * LW + j] >= limitPfn) {
      const sL = L, sJ = j;
      this.lowerBound(limitPfn);
      if (lf[this.pL * LW + this.pJ] < lf[sL * LW + sJ]) { L = this.pL; j = this.pJ; } else { L = sL; j = sJ; }
    }
    const o = L * LW, lo = lf[o + j];
    const high = lo < limitPfn ? lo : limitPfn;
    if (high < size) return -1;
    let cand = Math.floor((high - size) / A) * A;
    if (cand >= lo - lf[o + 2 * B + j]) {
      this.pL = L;
      this.pJ = j;
    } else {
      if (!this.seekBelow(L, j, size, A)) return -1;
      cand = Math.floor((lf[this.pL * LW + this.pJ] - size) / A) * A;
    }
    return cand < low ? -1 : cand;
  }

  // ---- alloc_iova and free_iova (v6.x)

  alloc(size: number, limit: number, aligned: boolean): number | null {
    const limitPfn = limit + 1;
    const A = aligned ? 2 ** Math.ceil(Math.log2(size)) : 1;
    const is32 = limitPfn <= this.dma32;
    if (is32 && size >= this.max32) return null;
    if (is32) this.locate(this.cached32, this.hint32);
    else this.locate(this.cached, this.hint);
    const sL = this.pL, sJ = this.pJ;
    let pfn = this.seekDown(sL, sJ, limitPfn, size, A, this.startPfn);
    if (pfn < 0) {
      const retryLow = this.leaf[sL * LW + B + sJ] + 1;
      if (retryLow - 1 < limitPfn) {
        if (limitPfn > this.dma32) this.locate(ANCHOR, -1);
        else this.lowerBound(limitPfn);
        pfn = this.seekDown(this.pL, this.pJ, limitPfn, size, A, retryLow);
      }
    }
    if (pfn < 0) {
      this.max32 = size;
      return null;
    }
    this.insertBelow(this.pL, this.pJ, pfn, pfn + size - 1);
    if (pfn + size - 1 < this.dma32) { this.cached32 = pfn; this.hint32 = this.pL; }
    else { this.cached = pfn; this.hint = this.pL; }
    return pfn;
  }

  /** Puts [lo, hi] right below the range at (L, j), the one whose gap it came from; pL/pJ: the new range. */
  private insertBelow(L: number, j: number, lo: number, hi: number): void {
    if (this.leaf[(L) * LW + LN] === B) {
      // Split at the insert: the next top-down allocation lands right below
      // this one, so the lower leaf fills and the upper one stays full.
      const at = j < 1 ? 1 : j;
      const R = this.splitLeaf(L, at);
      if (j >= at) { L = R; j -= at; }
    }
    const lf = this.leaf, o = L * LW, n = this.leaf[(L) * LW + LN];
    for (let w = 0; w < 4; w++) shift(lf, o + w * B + j + 1, o + w * B + j, o + w * B + n);
    const uLo = lf[o + j + 1], floor = uLo - lf[o + 2 * B + j + 1];
    lf[o + j] = lo;
    lf[o + B + j] = hi;
    lf[o + 2 * B + j] = lo - floor;
    lf[o + 3 * B + j] = alignKey(floor, lo);
    lf[o + 2 * B + j + 1] = uLo - hi - 1;
    lf[o + 3 * B + j + 1] = alignKey(hi + 1, uLo);
    this.leaf[(L) * LW + LN] = n + 1;
    this.refreshLeaf(L);
    this.pL = L;
    this.pJ = j;
  }

  /** Moves the upper half of full leaf L to a new leaf linked after it; returns it. */
  private splitLeaf(L: number, h: number): number {
    const R = this.newLeaf(), lf = this.leaf;
    for (let w = 0; w < 4; w++) shift(lf, R * LW + w * B, L * LW + w * B + h, L * LW + w * B + B);
    this.leaf[(R) * LW + LN] = B - h;
    this.leaf[(L) * LW + LN] = h;
    const nx = this.leaf[(L) * LW + LX];
    this.leaf[(R) * LW + LX] = nx;
    this.leaf[(R) * LW + LV] = L;
    if (nx >= 0) this.leaf[(nx) * LW + LV] = R;
    this.leaf[(L) * LW + LX] = R;
    const p = this.leaf[(L) * LW + LP];
    this.addChild(p, this.slotOf(p, L) + 1, R, true);
    this.refreshLeaf(L);
    return R;
  }

  /** Puts child c into inner node p at slot s, splitting p when full. */
  private addChild(p: number, s: number, c: number, isLeaf: boolean): void {
    if (this.innerN[p] === F) {
      // As leaves split: at the new child, so the side that keeps growing
      // is the one with room (half-full inner nodes cost a level at 1e6).
      const at = s < 1 ? 1 : s > F - 1 ? F - 1 : s;
      const q = this.splitInner(p, at);
      if (s >= at) { p = q; s -= at; }
    }
    const v = this.inner, o = p * IW, n = this.innerN[p];
    for (let w = 0; w < 4; w++) shift(v, o + w * F + s + 1, o + w * F + s, o + w * F + n);
    v[o + s] = c;
    v[o + F + s] = NaN;  // so setSlot sees a change
    this.innerN[p] = n + 1;
    if (isLeaf) this.leaf[(c) * LW + LP] = p;
    else this.innerParent[c] = p;
    this.setSlot(p, s, c, isLeaf);
    this.refreshInner(p);
  }

  private splitInner(p: number, h: number): number {
    const over = this.innerOverLeaves[p] === 1;
    const q = this.newInner(over), v = this.inner;
    for (let w = 0; w < 4; w++) shift(v, q * IW + w * F, p * IW + w * F + h, p * IW + w * F + F);
    this.innerN[q] = F - h;
    this.innerN[p] = h;
    for (let s = 0; s < F - h; s++) {
      const c = v[q * IW + s];
      if (over) this.leaf[(c) * LW + LP] = q;
      else this.innerParent[c] = q;
    }
    let g = this.innerParent[p];
    if (g < 0) {
      g = this.newInner(false);
      this.innerParent[g] = -1;
      this.innerN[g] = 1;
      v[g * IW] = p;
      v[g * IW + F] = NaN;
      this.innerParent[p] = g;
      this.root = g;
      this.setSlot(g, 0, p, false);
    } else this.setSlot(g, this.slotOf(g, p), p, false);
    this.addChild(g, this.slotOf(g, p) + 1, q, false);
    return q;
  }

  free(pfn: number): boolean {
    if (!this.find(pfn)) return false;
    const L = this.pL, j = this.pJ, lf = this.leaf, o = L * LW;
    const zLo = lf[o + j], zHi = lf[o + B + j], floor = zLo - lf[o + 2 * B + j];
    if (zLo === ANCHOR) return false;
    let sL = L, sJ = j + 1;
    if (sJ === this.leaf[(L) * LW + LN]) { sL = this.leaf[(L) * LW + LX]; sJ = 0; }
    const sLo = lf[sL * LW + sJ];
    // __cached_rbnode_delete_update, v6.x
    if (zLo === this.cached32 || (zHi < this.dma32 && zLo >= this.cached32)) { this.cached32 = sLo; this.hint32 = sL; }
    if (zLo < this.dma32) this.max32 = this.dma32;
    if (zLo >= this.cached) { this.cached = sLo; this.hint = sL; }
    lf[sL * LW + 2 * B + sJ] = sLo - floor;
    lf[sL * LW + 3 * B + sJ] = alignKey(floor, sLo);
    const n = this.leaf[(L) * LW + LN];
    for (let w = 0; w < 4; w++) shift(lf, o + w * B + j, o + w * B + j + 1, o + w * B + n);
    this.leaf[(L) * LW + LN] = n - 1;
    if (n === 1) {
      this.removeLeaf(L);
      this.refreshLeaf(sL);
    } else if (n - 1 < B / 4 && this.leaf[(L) * LW + LX] >= 0 && n - 1 + this.leaf[this.leaf[(L) * LW + LX] * LW + LN] <= B * 3 / 4) {
      // Random frees drain leaves that no allocation refills: a leaf down
      // to a quarter takes in its successor's ranges when they fit.
      const nx = this.leaf[(L) * LW + LX], m = this.leaf[(nx) * LW + LN], q = nx * LW;
      for (let w = 0; w < 4; w++) shift(lf, o + w * B + n - 1, q + w * B, q + w * B + m);
      this.leaf[(L) * LW + LN] = n - 1 + m;
      this.leaf[(nx) * LW + LN] = 0;
      this.removeLeaf(nx);
      if (this.hint32 === -1) this.hint32 = L;
      if (this.hint === -1) this.hint = L;
      this.refreshLeaf(L);
    } else {
      this.refreshLeaf(L);
      if (sL !== L) this.refreshLeaf(sL);
    }
    return true;
  }

  private removeLeaf(L: number): void {
    const pv = this.leaf[(L) * LW + LV], nx = this.leaf[(L) * LW + LX];
    if (pv >= 0) this.leaf[(pv) * LW + LX] = nx;
    else this.firstLeaf = nx;
    if (nx >= 0) this.leaf[(nx) * LW + LV] = pv;
    this.removeChild(this.leaf[(L) * LW + LP], L);
    this.freeLeaves.push(L);
    if (this.hint32 === L) this.hint32 = -1;
    if (this.hint === L) this.hint = -1;
  }

  private removeChild(p: number, c: number): void {
    const s = this.slotOf(p, c), v = this.inner, o = p * IW, n = this.innerN[p];
    for (let w = 0; w < 4; w++) shift(v, o + w * F + s, o + w * F + s + 1, o + w * F + n);
    this.innerN[p] = n - 1;
    if (n === 1 && this.innerParent[p] >= 0) {
      this.removeChild(this.innerParent[p], p);
      this.freeInners.push(p);
    } else this.refreshInner(p);
  }

  /**
   * Throws unless every range is above its predecessor, every gap and key
   * is what the ranges make it, and every slot holds its child's exact
   * summary (the pruning's exactness rests on it).
   */
  check(): void {
    const lf = this.leaf;
    let prevHi = -1;
    for (let L = this.firstLeaf; L >= 0; L = this.leaf[(L) * LW + LX]) {
      const o = L * LW;
      if (this.leaf[(L) * LW + LN] < 1) throw new Error(`btree probe: empty leaf ${L} linked`);
      for (let j = 0; j < this.leaf[(L) * LW + LN]; j++) {
        const lo = lf[o + j], hi = lf[o + B + j];
        if (lo <= prevHi || hi < lo) throw new Error(`btree probe: range [${lo}, ${hi}] out of order`);
        if (lf[o + 2 * B + j] !== lo - prevHi - 1 || lf[o + 3 * B + j] !== alignKey(prevHi + 1, lo)) throw new Error(`btree probe: gap of ${lo} wrong`);
        prevHi = hi;
      }
    }
    const walk = (p: number): void => {
      const v = this.inner, o = p * IW;
      for (let s = 0; s < this.innerN[p]; s++) {
        const c = v[o + s], q = o + s;
        const keep = [v[q + F], v[q + 2 * F], v[q + 3 * F]];
        v[q + F] = NaN;
        this.setSlot(p, s, c, this.innerOverLeaves[p] === 1);
        if (v[q + F] !== keep[0] || v[q + 2 * F] !== keep[1] || v[q + 3 * F] !== keep[2]) throw new Error(`btree probe: slot ${s} of inner node ${p} stale`);
        if (!this.innerOverLeaves[p]) walk(c);
      }
    };
    walk(this.root);
  }

  /** Inner levels above the leaves, and ranges per leaf. */
  shape(): { height: number; leaves: number; perLeaf: number } {
    let h = 1;
    for (let x = this.root; !this.innerOverLeaves[x]; x = this.inner[x * IW]) h++;
    let leaves = 0, ranges = 0;
    for (let L = this.leafFor(0); L >= 0; L = this.leaf[(L) * LW + LX]) { leaves++; ranges += this.leaf[(L) * LW + LN]; }
    return { height: h, leaves, perLeaf: ranges / leaves };
  }
}

// ---------------------------------------------------------------- the probe

interface Alloc { alloc(size: number, limit: number, aligned: boolean): number | null; free(pfn: number): boolean }

const GRANULE = 512;  // as tree-bench.ts

/** tree-bench.ts buildFragmented, on either structure. */
function buildFragmented(d: Alloc, n: number, seed: number, limit: number): number[] {
  const r = prng(seed);
  const live: number[] = [];
  for (let i = 0; i < n; i++) live.push(must(d.alloc(1 + r.int(8), limit, false), "fill"));
  for (let i = live.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const t = live[i]; live[i] = live[j]; live[j] = t;
  }
  for (const p of live.splice(0, n >> 1)) if (!d.free(p)) throw new Error("btree probe: build free failed");
  for (let i = 0; i < n >> 1; i++) live.push(must(d.alloc(1 + r.int(8), limit, false), "refill"));
  return live;
}

export interface ProbeRow {
  live: number;
  /** ns per aligned churn step: the wasm rbtree, the B+-tree probe. */
  wasm: number;
  btree: number;
  /** ns per find of a random live range (the free's descent). */
  wasmFind: number;
  btreeFind: number;
  /** Placement hashes (tree-bench.ts placementHash), equal or the probe throws. */
  hash: string;
  /** Levels from the root to the leaves, and mean ranges per leaf, after the steps. */
  levels: number;
  perLeaf: number;
}

/**
 * Builds each N's tree in both structures, runs the same aligned churn on
 * both (throwing at the first pfn they place differently), and times the
 * steps and random finds, every tree in turn.
 */
export function runProbe(lives: number[], ops: number, batches: number, seed = 20250611): ProbeRow[] {
  type Run = { n: number; step: () => number; hash: ReturnType<typeof placementHash>; pfns: number[]; d: Alloc & { find(pfn: number): unknown }; live: number[]; r: ReturnType<typeof prng> };
  const runs: Run[] = [];
  const limit = 2 ** (32 - Math.log2(GRANULE)) - 1;
  for (const n of lives) {
    for (const wasm of [true, false]) {
      const d = wasm ? treeDomain(GRANULE, 1, Math.ceil(n * 1.2) + 1024) : new BTreeIova(GRANULE, 1, Math.ceil(n * 1.2) + 1024);
      const live = buildFragmented(d, n, seed, limit);
      const r = prng(seed ^ 0x51ed270b);
      const hash = placementHash();
      const pfns: number[] = [];
      const step = () => {
        const p = must(d.alloc(1 + r.int(64), limit, true), "churn alloc");
        hash.add(p);
        const k = r.int(live.length);
        if (!d.free(live[k])) throw new Error("btree probe: churn free failed");
        live[k] = p;
        return p;
      };
      for (let i = 0; i < 1000; i++) pfns.push(step());
      runs.push({ n, step, hash, pfns, d, live, r });
    }
  }
  // Same placements, pfn by pfn over the warm-up steps, then the hashes over all.
  for (let i = 0; i < runs.length; i += 2) {
    const a = runs[i].pfns, b = runs[i + 1].pfns;
    const k = a.findIndex((p, j) => p !== b[j]);
    if (k >= 0) throw new Error(`btree probe: at ${runs[i].n} step ${k} the wasm tree placed ${a[k]}, the probe ${b[k]}`);
  }
  const ns = perOpNsInterleaved(runs.map(({ step }) => (reps: number) => { for (let i = 0; i < reps; i++) step(); }), ops, batches, 1);
  const finds = perOpNsInterleaved(runs.map(({ d, live, r }) => {
    const picks = Int32Array.from({ length: ops }, () => r.int(live.length));
    return () => {
      for (let i = 0; i < ops; i++) if (!d.find(live[picks[i]])) throw new Error("btree probe: a live range was not found");
    };
  }), 1, batches);
  const rows: ProbeRow[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const w = runs[i], b = runs[i + 1];
    if (w.hash.hex() !== b.hash.hex()) throw new Error(`btree probe: placement hashes differ at ${w.n}: ${w.hash.hex()} / ${b.hash.hex()}`);
    const sh = (b.d as BTreeIova).shape();
    rows.push({ live: w.n, wasm: ns[i], btree: ns[i + 1], wasmFind: finds[i] / ops, btreeFind: finds[i + 1] / ops, hash: w.hash.hex(), levels: sh.height + 1, perLeaf: sh.perLeaf });
  }
  for (const { d } of runs) if (d instanceof IovaDomain) { d.check(); d.destroy(); } else (d as BTreeIova).check();
  return rows;
}

/**
 * The least a churn step touches at N live ranges, whatever the structure:
 * the bench's JS side (the random pick, live[k] read and written), the freed
 * range's record (its address depends on live[k]: a dependent load) and the
 * record of the range next to the placement (its gap shrinks), each a
 * random 64-byte line among N; nothing else. The loads of different steps
 * may overlap, which a real step's dependent descent cannot, so this is a
 * floor: no search structure's step at N can grow by less than this one's.
 * ns per step, every N in turn.
 */
export function floorSteps(lives: number[], ops: number, batches: number, seed = 20250611): number[] {
  const steps = lives.map((n) => {
    const r = prng(seed);
    const live: number[] = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) { const j = r.int(i + 1); const t = live[i]; live[i] = live[j]; live[j] = t; }
    const rec = new Float64Array(n * 8);
    let sink = 0;
    return (reps: number) => {
      for (let i = 0; i < reps; i++) {
        const k = r.int(n);
        const z = live[k];              // the range to free
        sink += rec[z * 8];             // its record (dependent on live[k])
        rec[z * 8 + 1] = sink;
        const u = r.int(n);             // the range the new one goes below
        rec[u * 8 + 2] += 1;
        live[k] = u;
      }
      if (sink === -1) throw new Error("unreachable");
    };
  });
  for (const st of steps) st(ops);
  return perOpNsInterleaved(steps, ops, batches, 0);
}

/**
 * ns per load of a chain of dependent loads, each to a random 64-byte line
 * of a `bytes`-byte buffer (one random cycle through every line): what each
 * level of a descent costs once the structure is that large, the TLB's
 * misses included.
 */
export function chaseNs(bytes: number, loads: number, seed = 20250611): number {
  const lines = Math.max(2, Math.floor(bytes / 64));
  const a = new Int32Array(lines * 16);
  const order = Int32Array.from({ length: lines }, (_, i) => i);
  const r = prng(seed);
  for (let i = lines - 1; i > 0; i--) { const j = r.int(i); const t = order[i]; order[i] = order[j]; order[j] = t; }  // Sattolo: one cycle
  for (let i = 0; i < lines; i++) a[order[i] * 16] = order[(i + 1) % lines] * 16;
  let x = 0;
  const chase = (n: number) => { for (let i = 0; i < n; i++) x = a[x]; };
  chase(Math.min(loads, lines));
  const ns = perOpNsInterleaved([chase], loads, 5, 0)[0];
  if (x < 0) throw new Error("unreachable");
  return ns;
}

function run(): void {
  const quick = process.argv.includes("--quick");
  const ops = quick ? 2_000 : 10_000;
  const batches = 5;
  const rows = runProbe(quick ? [1e3, 1e4, 1e5] : [1e3, 1e4, 1e5, 1e6], ops, batches);
  const f = (x: number) => x.toFixed(0);
  const out: string[] = [];
  out.push(`B+-tree probe (fanout ${FANOUT}): aligned churn (tree-bench.ts (a')), ns per alloc+free from JS (CPU time, median of ${batches} x ${ops} steps, every tree in turn)`);
  const head = ["live N", "wasm rbtree", "ratio", "find", "B+-tree (JS)", "ratio", "find", "B+/wasm", "B+ growth", "placements (both)", "B+ levels", "ranges/leaf"];
  const cells = rows.map((r) => [String(r.live), f(r.wasm), `${(r.wasm / rows[0].wasm).toFixed(2)}x`, f(r.wasmFind), f(r.btree),
    `${(r.btree / rows[0].btree).toFixed(2)}x`, f(r.btreeFind), (r.btree / r.wasm).toFixed(2), f(r.btree - rows[0].btree), r.hash, String(r.levels), r.perLeaf.toFixed(1)]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  for (const c of [head, ...cells]) out.push(c.map((x, i) => (i ? x.padStart(w[i]) : x.padEnd(w[i]))).join("  "));
  const fl = floorSteps(rows.map((r) => r.live), ops * 10, batches);
  out.push("");
  out.push(`floor (floorSteps: the JS side, the freed range's line, the placement's line; nothing else), ns per step: ${rows.map((r, i) => `${r.live} ${f(fl[i])}`).join(", ")}`);
  out.push(`  its growth from ${rows[0].live}: ${rows.map((r, i) => f(fl[i] - fl[0])).join(", ")} ns; added to the wasm tree's ${rows[0].live} step: ${rows.map((r, i) => `${((rows[0].wasm + fl[i] - fl[0]) / rows[0].wasm).toFixed(2)}x`).join(", ")}`);
  const sizes = [64 * 1024, 512 * 1024, 4 * 2 ** 20, 64 * 2 ** 20];
  const chase = sizes.map((b) => chaseNs(b, quick ? 200_000 : 1_000_000));
  out.push(`dependent random loads (chaseNs), ns per load in a buffer of 64 KiB / 512 KiB / 4 MiB / 64 MiB: ${chase.map(f).join(" / ")}`);
  out.push(`  so a 2x step at 1e6 (growth <= the wasm tree's 1e3 step, ${f(rows[0].wasm)} ns) allows about ${(rows[0].wasm / chase[3]).toFixed(1)} dependent 64 MiB-sized misses a step, all else cached`);
  out.push("('B+ growth' is what the probe's step adds over its own 1e3 step: its growth with N, apart from the JS constant)");
  process.stdout.write(out.join("\n") + "\n");
}

if (process.argv[1]?.endsWith("btree-probe.js")) run();
