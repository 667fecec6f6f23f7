// The wasm module's exports as the host sees them (assembly/api/*.ts).
// Addresses are byte offsets into the shared memory; pfns are f64.
import type { WasmGlobal } from "./types.js";

export interface IovaExports {
  heapBase(): number;
  layoutBytes(cpus: number, nodeCap: number, magCap: number, magSize: number): number;
  layoutMaxBytes(cpus: number, nodeCap: number, magCap: number, magSize: number): number;
  domainInit(base: number, granuleShift: number, startPfn: number, cpus: number, nodeCap: number,
    magCap: number, magSize: number, policy: number, depotMax: number, era: number): void;
  domainProbe(base: number): number;
  attach(cpu: number): void;
  lastError(): number;
  setOracleWalk(base: number, on: number): void;
  alloc(base: number, size: number, limit: number, aligned: number): number;
  allocFreeLoop(base: number, size: number, limit: number, aligned: number, rounds: number): number;
  free(base: number, pfn: number): number;
  find(base: number, pfn: number): number;
  foundHiPfn(): number;
  reserve(base: number, lo: number, hi: number): number;
  dumpRanges(base: number, fromPfn: number, out: number, max: number): number;
  check(base: number): number;
  checkBadNode(): number;
  treeStat(base: number, which: number): number;
  destroy(base: number): void;
  /** Nodes the kernel's own walk would have visited, summed over this instance's allocs. */
  walkSteps(): number;
  setWalkCounting(base: number, on: number): void;
  // range caches
  allocFast(base: number, cpu: number, size: number, limit: number, flush: number): number;
  /** alloc_iova_fast of the domain's era, the size as given (replay). */
  kernelAllocFast(base: number, cpu: number, size: number, limit: number, flush: number): number;
  freeFast(base: number, cpu: number, pfn: number, size: number): void;
  allocFastBatch(base: number, cpu: number, ptr: number, n: number, limit: number, flush: number): number;
  freeFastBatch(base: number, cpu: number, ptr: number, n: number): void;
  fastLoop(base: number, cpu: number, size: number, limit: number, rounds: number): number;
  freeCpuCached(base: number, cpu: number): void;
  /** Traps (poisoning the domain) if CPU cpu is marked dead and still holds a lock. */
  checkDeadCpu(base: number, fqBase: number, cpu: number): void;
  /** Debug build: park (stop: trap) this instance at its n-th lock event (assembly/fault.ts); 0 in the release build. */
  armFault(flagAddr: number, n: number, stop: number): number;
  faultEventCount(): number;
  flushAll(base: number): void;
  depotWork(base: number, order: number): number;
  depotTick(base: number, nowMs: number, intervalMs: number): number;
  cacheStat(base: number, cpu: number, order: number, which: number): number;
  depotStat(base: number, order: number, which: number): number;
  magStat(base: number, which: number): number;
  setMagLimit(base: number, n: number): void;
  setReclaimSlice(base: number, n: number): void;
  setCpuAlive(base: number, cpu: number, alive: number): void;
  claimCpu(base: number, cpu: number): number;
  lastTreeError(): number;
  lockedCount(base: number, lockAddr: number, counterAddr: number, iters: number): void;
  deadHolder: WasmGlobal;
  deadLockAddr: WasmGlobal;
  clearDeadHolder(): void;
  layoutField(which: number): number;
  // flush queue and dma-iommu (assembly/api/iommu.ts)
  fqBytes(cpus: number, size: number): number;
  fqInit(addr: number, base: number, cpus: number, size: number, timeoutMs: number, hz: number): void;
  fqSetHostFlush(addr: number, on: number): void;
  fqQueue(addr: number, cpu: number, pfn: number, pages: number, nowMs: number): number;
  fqPollTimer(addr: number, cpu: number, nowMs: number): number;
  fqDrain(addr: number, cpu: number): number;
  fqStat(addr: number, cpu: number, which: number): number;
  fqGlobal(addr: number, which: number): number;
  fqResetMaxDepth(addr: number, cpu: number): void;
  dmaMapIova(base: number, cpu: number, pages: number, dmaLimitPfn: number, pci: number): number;
  dmaUnmapIova(fqAddr: number, cpu: number, pfn: number, pages: number, strict: number, nowMs: number): number;
  dmaMapIo(base: number, cpu: number, bytes: number, segBytes: number, dmaLimitPfn: number, pci: number, out: number): number;
  dmaUnmapIo(fqAddr: number, cpu: number, at: number, n: number, strict: number, nowMs: number): number;
  dmaLastFellBack(): number;
  reservePciWindows(base: number, ptr: number, n: number): number;
  booksProblem(base: number, fqAddr: number, live: number, reserved: number): number;
  domainCachedPfns(base: number): number;
  // the simulator's event loop (assembly/api/sim.ts)
  simBytes(cpus: number, jobs: number, iodepth: number, segsMax: number, bsEntries: number, nReserved: number): number;
  simLayout(addr: number, cpus: number, jobs: number, iodepth: number, segsMax: number, bsEntries: number, nReserved: number): void;
  simOffset(addr: number, which: number): number;
  simStart(addr: number, domain: number, fq: number, strict: number, pci: number, serial: number,
    bsKind: number, bsFixed: number, bsMin: number, bsSteps: number, seed: number): void;
  simRun(addr: number, untilNs: number): number;
  simLive(addr: number): number;
  simWindow32(addr: number): number;
  simLowest32(addr: number): number;
  simLockStat(addr: number, i: number, which: number): number;
  simNextInterval(addr: number): void;
  simHist(addr: number, h: number): number;
  simLockIndex(kind: number, n: number): number;
}

/** Queued.* of assembly/iommu/flush-queue.ts: bits of fqQueue's result. */
export const QUEUED = { fullFlush: 1, armedTimer: 2, flushesShift: 2 } as const;
/** fqStat() selectors (per CPU). */
export const FQ_STAT = { depth: 0, maxDepth: 1, queued: 2, freed: 3, fullFlushes: 4, timerFirings: 5 } as const;
/** fqGlobal() selectors. */
export const FQ_GLOBAL = { pending: 0, startCnt: 1, finishCnt: 2, flushes: 3, invalidations: 4, timerState: 5, timerCpu: 6, timerDueMs: 7 } as const;
/** Books.* of assembly/iommu/books.ts. */
export const BOOKS_CODES: Record<number, string> = {
  1: "entries are still in a flush queue",
  2: "the tree holds ranges that are neither reserved, mapped nor cached (lost), or fewer than that (handed out twice)",
  3: "a tree invariant is broken",
};

/** Err.* of assembly/layout.ts. */
export const ERR = { NONE: 0, NO_SPACE: 1, NODE_SLAB_FULL: 2, DESTROYED: 3, LOCK_HOLDER_DEAD: 4, FAST_FAIL_32: 5 } as const;

/** treeStat() selectors. */
export const TREE_STAT = {
  ranges: 0, nodeCap: 1, allocs: 2, frees: 3, allocFailures: 4, freeMisses: 5, slabFull: 6,
  reserves: 7, max32AllocSize: 8, dma32Pfn: 9, startPfn: 10, cachedPfn: 11, cached32Pfn: 12, totalBytes: 13, era: 14,
  maxGroups: 15, groups: 16, growFailures: 17, nodesMade: 18, maxTotalBytes: 19,
} as const;

/** cacheStat() selectors. */
export const CACHE_STAT = { loaded: 0, prev: 1, hits: 2, misses: 3, inserts: 4, insertFails: 5, hasLoaded: 6, hasPrev: 7 } as const;
/** depotStat() selectors. */
export const DEPOT_STAT = { magazines: 0, pushes: 1, pops: 2, fullEvents: 3, magsToTree: 4, workDue: 5, reclaimingPfns: 6, reclaimDebt: 7 } as const;
/** magStat() selectors. */
export const MAG_STAT = { used: 0, capacity: 1, allocFailures: 2, limit: 3, magazineSize: 4, policy: 5, cpus: 6, depotMax: 7, clockMs: 8, reclaimSlice: 9 } as const;

/** Bad.* of assembly/tree/check.ts. */
export const CHECK_CODES: Record<number, string> = {
  1: "the root is red",
  2: "a red node has a red child",
  3: "black heights differ between siblings",
  4: "a child's parent link is wrong",
  5: "keys are out of order",
  6: "two ranges overlap",
  7: "a node's gap does not match its neighbours",
  8: "a node's maxGap does not match its subtree",
  9: "node slab accounting does not add up",
  10: "the anchor is not the last node",
  11: "a cached node is not in the tree",
  12: "the nil sentinel was modified",
  13: "a range has pfn_lo > pfn_hi",
  14: "the tree has a cycle",
  15: "a node's subtree count is wrong",
  16: "a node's aligned-block order does not match its subtree",
  17: "the header's region offsets do not match its geometry or run past the memory",
};

/** layoutField() selectors: byte offsets and sizes of assembly/layout.ts. */
export const LAYOUT_FIELD = {
  cpus: 0, magSize: 1, magStride: 2, offSlab: 3, offCpuCaches: 4, offDepots: 5, treeLock: 6,
  cpuCacheLoaded: 7, cpuCachePrev: 8, depotHead: 9, depotSize: 10, magNext: 11, magHeader: 12,
  cacheLine: 13, orders: 14, magSizeField: 15, cellBytes: 16, groupBytes: 17, usableCells: 18, destroyed: 19,
  poisoned: 20,
} as const;

/** Every layoutField() value, by name. */
export function layoutOf(ex: IovaExports): Record<keyof typeof LAYOUT_FIELD, number> {
  const out = {} as Record<keyof typeof LAYOUT_FIELD, number>;
  for (const [k, v] of Object.entries(LAYOUT_FIELD)) out[k as keyof typeof LAYOUT_FIELD] = ex.layoutField(v);
  return out;
}
