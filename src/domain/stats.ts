// The cache-state view: per CPU and order the loaded/prev magazine sizes,
// per order the depot, and the totals the kernel thread printed
// (cpu_total, depot_total, total).
import { type IovaExports } from "../wasm/exports.js";
import { codes } from "../wasm/codes.js";

export interface CacheStats {
  /** loaded[cpu][order]: pfns in that CPU's loaded magazine. */
  loaded: number[][];
  prev: number[][];
  /** depot[order]: full magazines in that order's depot. */
  depot: number[];
  /** pfns held in CPU magazines. */
  cpuTotal: number;
  /** pfns held in depots. */
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
  const { ORDERS, TreeStat, MagStat, CacheStat, DepotStat } = codes();
  const cpus = ex.magStat(base, MagStat.cpus);
  const magSize = ex.magStat(base, MagStat.magazineSize);
  const s: CacheStats = {
    loaded: [], prev: [], depot: [], cpuTotal: 0, depotTotal: 0, total: 0,
    treeRanges: ex.treeStat(base, TreeStat.ranges),
    magazines: {
      used: ex.magStat(base, MagStat.used), capacity: ex.magStat(base, MagStat.capacity),
      allocFailures: ex.magStat(base, MagStat.allocFailures), size: magSize,
    },
    hits: 0, misses: 0, inserts: 0, insertFails: 0, depotPushes: 0, depotPops: 0, depotFullEvents: 0, magsFreedToTree: 0,
  };
  for (let c = 0; c < cpus; c++) {
    const l: number[] = [];
    const p: number[] = [];
    for (let o = 0; o < ORDERS; o++) {
      l.push(ex.cacheStat(base, c, o, CacheStat.loaded));
      p.push(ex.cacheStat(base, c, o, CacheStat.prev));
      s.hits += ex.cacheStat(base, c, o, CacheStat.hits);
      s.misses += ex.cacheStat(base, c, o, CacheStat.misses);
      s.inserts += ex.cacheStat(base, c, o, CacheStat.inserts);
      s.insertFails += ex.cacheStat(base, c, o, CacheStat.insertFails);
      s.cpuTotal += l[o] + p[o];
    }
    s.loaded.push(l);
    s.prev.push(p);
  }
  for (let o = 0; o < ORDERS; o++) {
    const mags = ex.depotStat(base, o, DepotStat.magazines);
    s.depot.push(mags);
    s.depotTotal += mags * magSize;
    s.depotPushes += ex.depotStat(base, o, DepotStat.pushes);
    s.depotPops += ex.depotStat(base, o, DepotStat.pops);
    s.depotFullEvents += ex.depotStat(base, o, DepotStat.fullEvents);
    s.magsFreedToTree += ex.depotStat(base, o, DepotStat.magsToTree);
  }
  s.total = s.cpuTotal + s.depotTotal;
  return s;
}
