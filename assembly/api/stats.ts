// The domain's counters for the host: one call, statsDump, writes all of
// them into a buffer that the host reads once (src/domain/stats.ts), and
// domainStat reads one (the header checks of attach, before a view has a
// scratch slot of its own). Counters are read as they stand, without locks,
// as the kernel's debugfs readers do; each is a single aligned load.
//
// ╒═══════════════════ the dump at `out` (statsBytes(cpus) bytes) ═════════════════════════════════════╕
// │ f64[Stat.COUNT] │ f64[ORDERS][DepotStat.COUNT] │ f64[cpus][CpuStat.COUNT] │ u16[cpus][ORDERS][CellStat.COUNT] │
// ├─ 0 ─────────────┼─ StatsAt.DEPOTS ─────────────┼─ StatsAt.CPUS ───────────┼─ cpus * CpuStat.COUNT * 8 later ─┤
// └────────────────────────────────────────────────────────────────────────────────────────────────────┘
// The magazine fills are u16 (a magazine holds at most 4096 pfns, the
// host's bound on magazineSize), so 1024 CPUs fit in the 64 KiB scratch
// slot a view passes as `out` (test/interface.test.ts checks statsBytes(1024)).

import {
  Domain, CpuCache, Depot, GROUP_BYTES, ORDERS, cpuCacheAt, depotAt, domainAt, nodeAt, totalBytesAddr, groupsAddr, depotSizeAddr, depotShortAddr,
  loadedAddr, prevAddr,
} from "../layout";
import { magSize } from "../rcache/magazine";
import { reclaimingPfns } from "../rcache/reclaim";
import { DEBUG } from "../debug";
import { atomicLoad } from "../atomics";

/** Domain-wide counters and geometry: the dump's first block, one f64 each. */
export enum Stat {
  // the tree (Domain header, tree state)
  ranges, nodeCap, allocs, frees, allocFailures, freeMisses, slabFull, reserves, max32AllocSize, dma32Pfn, startPfn,
  cachedPfn, cached32Pfn, era,
  // the slab
  totalBytes, maxTotalBytes, maxGroups, groups, growFailures, nodesMade,
  // the magazines and the cache geometry
  magsUsed, magCap, magAllocFailures, magLimit, magazineSize, policy, cpus, depotMax, clockMs,
  // adaptive's reclaim: at most this many pfns go to the tree per hold of the tree lock;
  // magazines its sweep handed from idle CPU caches to the depots
  reclaimSlice, reclaimHandoffs,
  COUNT,
}

/**
 * Per order: the depot's counters, the dump's second block. reclaimingPfns:
 * pfns adaptive's reclaim took from the depot and is returning slice by
 * slice (still cached); reclaimDebt: magazines of its surplus not yet returned;
 * pfns: the pfns its magazines hold (adaptive may push part-filled ones).
 */
export enum DepotStat {
  magazines, pushes, pops, fullEvents, magsToTree, workDue, reclaimingPfns, reclaimDebt, pfns,
  COUNT,
}

/** Per CPU: its caches' counters summed over the orders, the dump's third block. */
export enum CpuStat {
  hits, misses, inserts, insertFails,
  COUNT,
}

/** Per CPU and order: pfns in the loaded and the prev magazine, the dump's last block (u16 each). */
export enum CellStat {
  loaded, prev,
  COUNT,
}

/** Byte offsets of the dump's fixed blocks from `out`; the cells follow the CPU block. */
export enum StatsAt {
  DEPOTS = Stat.COUNT * 8,
  CPUS = Stat.COUNT * 8 + ORDERS * DepotStat.COUNT * 8,
}

/** Byte offset of the cells block for a domain of `cpus` CPUs. */
// @ts-ignore: decorator
@inline function cellsAt(cpus: u32): u32 {
  return <u32>StatsAt.CPUS + cpus * <u32>CpuStat.COUNT * 8;
}

/** Bytes statsDump writes for a domain of `cpus` CPUs. */
export function statsBytes(cpus: u32): u32 {
  return cellsAt(cpus) + cpus * ORDERS * <u32>CellStat.COUNT * 2;
}

/** One Stat of domain d. The sums over the CPU caches cost cpus * ORDERS loads each. */
function stat(d: Domain, which: i32): f64 {
  switch (which) {
    case Stat.ranges: return <f64>(d.nodesUsed - 1);   // the anchor left out
    case Stat.nodeCap: return <f64>d.nodeCap;
    case Stat.allocs: return <f64>d.allocs;
    case Stat.frees: return <f64>d.frees;
    case Stat.allocFailures: return <f64>d.allocFailures;
    case Stat.freeMisses: return <f64>d.freeMisses;
    case Stat.slabFull: return <f64>d.slabFull;
    case Stat.reserves: return <f64>d.reserves;
    case Stat.max32AllocSize: return <f64>d.max32AllocSize;
    case Stat.dma32Pfn: return <f64>d.dma32Pfn;
    case Stat.startPfn: return <f64>d.startPfn;
    case Stat.cachedPfn: return <f64>nodeAt(d, d.cachedNode).lo;
    case Stat.cached32Pfn: return <f64>nodeAt(d, d.cached32Node).lo;
    case Stat.era: return <f64>d.era;
    case Stat.totalBytes: return <f64>atomicLoad<u32>(totalBytesAddr(d));
    case Stat.maxTotalBytes: return <f64>d.offNodes + <f64>d.maxGroups * <f64>GROUP_BYTES;
    case Stat.maxGroups: return <f64>d.maxGroups;
    case Stat.groups: return <f64>atomicLoad<u32>(groupsAddr(d));
    case Stat.growFailures: return <f64>d.growFailures;
    case Stat.nodesMade: return <f64>d.nodesMade;
    case Stat.magsUsed: return <f64>d.magsUsed;
    case Stat.magCap: return <f64>d.magCap;
    case Stat.magAllocFailures: return <f64>d.magAllocFailures;
    case Stat.magLimit: return <f64>d.magLimit;
    case Stat.magazineSize: return <f64>d.magSize;
    case Stat.policy: return <f64>d.policy;
    case Stat.cpus: return <f64>d.cpus;
    case Stat.depotMax: return <f64>d.depotMax;
    case Stat.clockMs: return <f64>d.clockMs;
    case Stat.reclaimSlice: return <f64>d.reclaimSlice;
    case Stat.reclaimHandoffs: return <f64>d.reclaimHandoffs;
    default: return -1;
  }
}

function cacheStat(cc: CpuCache, which: i32): u64 {
  switch (which) {
    case CpuStat.hits: return cc.hits;
    case CpuStat.misses: return cc.misses;
    case CpuStat.inserts: return cc.inserts;
    case CpuStat.insertFails: return cc.insertFails;
    default: return 0;
  }
}

function depotStat(d: Domain, o: u32, which: i32): f64 {
  let dp = depotAt(d, o);
  switch (which) {
    case DepotStat.magazines: return <f64>atomicLoad<u32>(depotSizeAddr(dp));
    case DepotStat.pushes: return <f64>dp.pushes;
    case DepotStat.pops: return <f64>dp.pops;
    case DepotStat.fullEvents: return <f64>dp.fullEvents;
    case DepotStat.magsToTree: return <f64>dp.magsToTree;
    case DepotStat.workDue: return <f64>dp.workDue;
    case DepotStat.reclaimingPfns: return <f64>reclaimingPfns(d, o);
    case DepotStat.reclaimDebt: return <f64>dp.reclaimDebt;
    case DepotStat.pfns: return <f64>atomicLoad<u32>(depotSizeAddr(dp)) * <f64>d.magSize - <f64>atomicLoad<u32>(depotShortAddr(d, dp));
    default: return -1;
  }
}

/** One Stat of the domain at base (-1 for an unknown selector). */
export function domainStat(base: usize, which: i32): f64 {
  return stat(domainAt(base), which);
}

/** Writes every counter of the domain at base into `out` (the layout above); returns the bytes written. */
export function statsDump(base: usize, out: usize): u32 {
  let d = domainAt(base);
  if (DEBUG) assert(d.magSize <= 0xFFFF, "statsDump: magazine fills are dumped as u16");
  for (let i = 0; i < Stat.COUNT; i++) store<f64>(out + (<usize>i << 3), stat(d, i));
  for (let o: u32 = 0; o < ORDERS; o++) {
    let row = out + StatsAt.DEPOTS + <usize>o * DepotStat.COUNT * 8;
    for (let i = 0; i < DepotStat.COUNT; i++) store<f64>(row + (<usize>i << 3), depotStat(d, o, i));
  }
  let cells = out + cellsAt(d.cpus);
  for (let c: u32 = 0; c < d.cpus; c++) {
    let row = out + StatsAt.CPUS + <usize>c * CpuStat.COUNT * 8;
    for (let i = 0; i < CpuStat.COUNT; i++) {
      let n: u64 = 0;
      for (let o: u32 = 0; o < ORDERS; o++) n += cacheStat(cpuCacheAt(d, c, o), i);
      store<f64>(row + (<usize>i << 3), <f64>n);
    }
    for (let o: u32 = 0; o < ORDERS; o++) {
      let cc = cpuCacheAt(d, c, o);
      let at = cells + (<usize>(c * ORDERS + o) * CellStat.COUNT << 1);
      store<u16>(at + (CellStat.loaded << 1), magSize(d, atomicLoad<u32>(loadedAddr(cc))));
      store<u16>(at + (CellStat.prev << 1), magSize(d, atomicLoad<u32>(prevAddr(cc))));
    }
  }
  return statsBytes(d.cpus);
}
