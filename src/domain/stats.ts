// The cache-state view: per CPU and order the loaded/prev magazine sizes,
// per order the depot, and the totals the kernel thread printed
// (cpu_total, depot_total, total).
import { CACHE_STAT, DEPOT_STAT, MAG_STAT, TREE_STAT, type IovaExports } from "../wasm/exports.js";

export const ORDERS = 6;

export interface CacheStats {
  /** loaded[cpu][order]: pfns in that CPU's loaded magazine. */
  loaded: number[][];
  prev: number[][];
  /** depot[order]: full magazines in that order's depot. */
  depot: number[];
  /** pfns held in CPU magazines. */
  cpuTotal: number;
  /** pfns held in depots (with those adaptive's reclaim took out and is returning slice by slice). */
  depotTotal: number;
  total: number;
  treeRanges: number;
  magazines: { used: number; capacity: number; allocFailures: number; size: number };
  hits: number;
  misses: number;
  inserts: number;
  insertFails: number;
  depotPushes: number;
  depotPops: number;
  depotFullEvents: number;
  magsFreedToTree: number;
}

export function readCacheStats(ex: IovaExports, base: number): CacheStats {
  const cpus = ex.magStat(base, MAG_STAT.cpus);
  const magSize = ex.magStat(base, MAG_STAT.magazineSize);
  const s: CacheStats = {
    loaded: [], prev: [], depot: [], cpuTotal: 0, depotTotal: 0, total: 0,
    treeRanges: ex.treeStat(base, TREE_STAT.ranges),
    magazines: {
      used: ex.magStat(base, MAG_STAT.used), capacity: ex.magStat(base, MAG_STAT.capacity),
      allocFailures: ex.magStat(base, MAG_STAT.allocFailures), size: magSize,
    },
    hits: 0, misses: 0, inserts: 0, insertFails: 0, depotPushes: 0, depotPops: 0, depotFullEvents: 0, magsFreedToTree: 0,
  };
  for (let c = 0; c < cpus; c++) {
    const l: number[] = [];
    const p: number[] = [];
    for (let o = 0; o < ORDERS; o++) {
      l.push(ex.cacheStat(base, c, o, CACHE_STAT.loaded));
      p.push(ex.cacheStat(base, c, o, CACHE_STAT.prev));
      s.hits += ex.cacheStat(base, c, o, CACHE_STAT.hits);
      s.misses += ex.cacheStat(base, c, o, CACHE_STAT.misses);
      s.inserts += ex.cacheStat(base, c, o, CACHE_STAT.inserts);
      s.insertFails += ex.cacheStat(base, c, o, CACHE_STAT.insertFails);
      s.cpuTotal += l[o] + p[o];
    }
    s.loaded.push(l);
    s.prev.push(p);
  }
  for (let o = 0; o < ORDERS; o++) {
    const mags = ex.depotStat(base, o, DEPOT_STAT.magazines);
    s.depot.push(mags);
    s.depotTotal += mags * magSize + ex.depotStat(base, o, DEPOT_STAT.reclaimingPfns);
    s.depotPushes += ex.depotStat(base, o, DEPOT_STAT.pushes);
    s.depotPops += ex.depotStat(base, o, DEPOT_STAT.pops);
    s.depotFullEvents += ex.depotStat(base, o, DEPOT_STAT.fullEvents);
    s.magsFreedToTree += ex.depotStat(base, o, DEPOT_STAT.magsToTree);
  }
  s.total = s.cpuTotal + s.depotTotal;
  return s;
}
