// Host-side audit of a quiescent domain: where every pfn is.
//
// A range handed out by the fast API is in exactly one of three places: live
// (held by whoever allocated it, or in flight between CPUs), cached (in a
// CPU's loaded/prev magazine or a depot magazine), or nowhere (freed back to
// the tree, so not a range any more). The tree holds a node for each live or
// cached range. auditBooks checks that, range by range: the tree's ranges
// are exactly the live ranges plus the cached ones, no two overlap, and the
// cached count agrees with cacheStats().
//
// The magazine walk reads the shared layout directly, with the offsets the
// module reports (layoutField: assembly/layout.ts stays the one source).
// Call only while no worker touches the domain.
import type { IovaDomain, Range } from "../domain/iova-domain.js";
import { extentOf } from "./workload.js";
import { layoutOf } from "../wasm/exports.js";
import { codes } from "../wasm/codes.js";

/** Byte offset of Domain.treeLock (the tree's lock word) from the domain's base. */
export function treeLockOffset(d: IovaDomain): number {
  return d.ex.layoutField(codes().LayoutField.treeLock);
}

export interface CachedPfn {
  pfn: number;
  order: number;
  where: string;
}

/** Every pfn held in a magazine, with its order and place ("cpu2.loaded.o3", "depot.o1#4"). */
export function cachedPfns(d: IovaDomain): { pfns: CachedPfn[]; magazines: number } {
  const buf = d.memory.buffer;
  const base = d.base;
  const dv = new DataView(buf);
  const L = layoutOf(d.ex);
  const u32 = (off: number) => dv.getUint32(base + off, true);
  const cpus = u32(L.cpus);
  const magSize = u32(L.magSize);
  // Magazine m is the run of slab cells from cell m (assembly/layout.ts).
  const magAt = (m: number) => base + u32(L.offSlab) + m * L.cellBytes;
  const ORDERS = codes().ORDERS;
  const CACHE_LINE = L.cacheLine;
  const pfns: CachedPfn[] = [];
  let magazines = 0;
  const readMag = (m: number, order: number, where: string) => {
    if (m === 0) return;
    magazines++;
    const at = magAt(m);
    const size = dv.getUint32(at + L.magSizeField, true);
    if (size > magSize) throw new Error(`${where}: magazine ${m} has size ${size} > ${magSize}`);
    for (let k = 0; k < size; k++) {
      pfns.push({ pfn: Number(dv.getBigUint64(at + L.magHeader + 8 * k, true)), order, where });
    }
  };
  for (let c = 0; c < cpus; c++) {
    for (let o = 0; o < ORDERS; o++) {
      const cc = base + u32(L.offCpuCaches) + (c * ORDERS + o) * CACHE_LINE;
      readMag(dv.getUint32(cc + L.cpuCacheLoaded, true), o, `cpu${c}.loaded.o${o}`);
      readMag(dv.getUint32(cc + L.cpuCachePrev, true), o, `cpu${c}.prev.o${o}`);
    }
  }
  for (let o = 0; o < ORDERS; o++) {
    const dp = base + u32(L.offDepots) + o * CACHE_LINE;
    let m = dv.getUint32(dp + L.depotHead, true);
    const n = dv.getUint32(dp + L.depotSize, true);
    for (let i = 0; i < n; i++) {
      if (m === 0) throw new Error(`depot o${o}: list ends after ${i} of ${n} magazines`);
      readMag(m, o, `depot.o${o}#${i}`);
      m = dv.getUint32(magAt(m) + L.magNext, true);
    }
  }
  return { pfns, magazines };
}

export interface BooksReport {
  treeRanges: number;
  live: number;
  cached: number;
  magazinesInUse: number;
}

/**
 * Checks the books of a quiescent domain against `live` ([pfn, size, ...],
 * size as requested from allocFast): the tree holds exactly the live ranges
 * and the cached pfns, each once, with the right extent; stats().ranges ==
 * live + cacheStats().total; the magazine slab's count matches the
 * magazines found; check() passes. Throws an Error naming the first problem.
 */
export function auditBooks(d: IovaDomain, live: ArrayLike<number>): BooksReport {
  d.check();
  const cs = d.cacheStats();
  const st = d.stats();
  const { pfns, magazines } = cachedPfns(d);
  if (pfns.length !== cs.total) throw new Error(`magazine walk found ${pfns.length} cached pfns, cacheStats().total is ${cs.total}`);
  if (magazines !== cs.magazines.used) throw new Error(`magazine walk found ${magazines} magazines, the slab has ${cs.magazines.used} in use`);
  const nLive = live.length / 2;
  if (st.ranges !== nLive + cs.total) {
    throw new Error(`books do not balance: tree ranges ${st.ranges} != live ${nLive} + cached ${cs.total}`);
  }
  // Expected ranges: live and cached, keyed by pfn_lo.
  const want = new Map<number, { hi: number; what: string }>();
  const add = (lo: number, hi: number, what: string) => {
    const prev = want.get(lo);
    if (prev) throw new Error(`pfn ${lo} is in two places: ${prev.what} and ${what}`);
    want.set(lo, { hi, what });
  };
  for (let i = 0; i < live.length; i += 2) add(live[i], live[i] + extentOf(live[i + 1]) - 1, `live (size ${live[i + 1]})`);
  for (const c of pfns) add(c.pfn, c.pfn + (1 << c.order) - 1, c.where);
  const tree: Range[] = d.ranges();
  if (tree.length !== want.size) throw new Error(`tree has ${tree.length} ranges, expected ${want.size}`);
  let prevHi = -1;
  for (const r of tree) {
    const w = want.get(r.lo);
    if (!w) throw new Error(`tree range [${r.lo}, ${r.hi}] is neither live nor cached`);
    if (w.hi !== r.hi) throw new Error(`${w.what} at ${r.lo} should end at ${w.hi}, the tree says ${r.hi}`);
    if (r.lo <= prevHi) throw new Error(`ranges overlap at ${r.lo}`);
    prevHi = r.hi;
  }
  return { treeRanges: st.ranges, live: nLive, cached: cs.total, magazinesInUse: magazines };
}

/** Throws if two of the [pfn, size, ...] ranges overlap (sizes as requested). */
export function assertDisjoint(live: ArrayLike<number>): void {
  const rs: [number, number][] = [];
  for (let i = 0; i < live.length; i += 2) rs.push([live[i], live[i] + extentOf(live[i + 1]) - 1]);
  rs.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < rs.length; i++) {
    if (rs[i][0] <= rs[i - 1][1]) throw new Error(`live ranges overlap: [${rs[i - 1]}] and [${rs[i]}]`);
  }
}
