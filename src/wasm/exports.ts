// The wasm module's exports as the host sees them (assembly/api/*.ts): its
// functions and state globals here, its code sets in codes.ts.
// Addresses are byte offsets into the shared memory; pfns are f64.
import type { WasmGlobal } from "./types.js";
import { codes, type MemberOf } from "./codes.js";

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
  /** pfn_lo, or on failure -1 - the Err code (also left for lastError). */
  alloc(base: number, size: number, limit: number, aligned: number): number;
  allocFreeLoop(base: number, size: number, limit: number, aligned: number, rounds: number): number;
  free(base: number, pfn: number): number;
  find(base: number, pfn: number): number;
  foundHiPfn(): number;
  reserve(base: number, lo: number, hi: number): number;
  dumpRanges(base: number, fromPfn: number, out: number, max: number): number;
  check(base: number): number;
  checkBadNode(): number;
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
  /** fastLoop with a lock per operation (bench/hot-path.ts's reference; not part of IovaDomain). */
  fastLoopLockPerOp(base: number, cpu: number, size: number, limit: number, rounds: number): number;
  /**
   * @internal Issue 15's candidates (assembly/api/hot-candidates.ts): bench/hot-path.ts only.
   * Traps on a size other than 1, a cpu not below the domain's, a domain without an order-0 cache.
   */
  fastLoopOneCas(base: number, cpu: number, size: number, limit: number, rounds: number): number;
  /** @internal bench/hot-path.ts only; traps on a cpu not below the domain's. */
  allocFastSticky(base: number, cpu: number, size: number, limit: number, flush: number): number;
  /** @internal bench/hot-path.ts only; traps on a cpu not below the domain's. */
  freeFastSticky(base: number, cpu: number, pfn: number, size: number): void;
  /** @internal bench/hot-path.ts only: 0, or 1 (refused) while an earlier burst's hold is open (stickyEnd first). */
  stickyBegin(): number;
  /** @internal bench/hot-path.ts only. */
  stickyEnd(): void;
  freeCpuCached(base: number, cpu: number): void;
  /** Traps (poisoning the domain) if CPU cpu is marked dead and still holds a lock. */
  checkDeadCpu(base: number, fqBase: number, cpu: number): void;
  /** Traps (poisoning the domain) if shared view k, whose worker is gone, still holds a lock. */
  checkDeadView(base: number, fqBase: number, k: number): void;
  /** Frees the CPU cache locks holder id `who` left boundary-marked; only after its thread ended (assembly/dead-cpu.ts). */
  takeOverDeadHolder(base: number, who: number): number;
  /** CPU cache locks this instance took over from a dead holder between two operations (assembly/dead-cpu.ts). */
  boundaryTakeoverCount(): number;
  /** The host's view table: its address and its shared views (assembly/holder.ts). */
  setViewTable(base: number, addr: number, sharedViews: number): void;
  /** Debug build: park (stop: trap) this instance at its n-th lock event (assembly/fault.ts); 0 in the release build. */
  armFault(flagAddr: number, n: number, stop: number): number;
  faultEventCount(): number;
  flushAll(base: number): void;
  depotWork(base: number, order: number): number;
  depotTick(base: number, nowMs: number, intervalMs: number): number;
  setMagLimit(base: number, n: number): void;
  setReclaimSlice(base: number, n: number): void;
  setCpuAlive(base: number, cpu: number, alive: number): void;
  claimCpu(base: number, cpu: number): number;
  lastTreeError(): number;
  lockedCount(base: number, lockAddr: number, counterAddr: number, iters: number): void;
  /** lockedCount releasing with the hand-over whenever a waiter is announced (assembly/lock.ts); returns the unlocks that handed over. */
  lockedCountHandingOver(base: number, lockAddr: number, counterAddr: number, iters: number): number;
  /** Lock test of the hand-over: announced as a waiter on CPU cpu's order-0 cache lock, the holder's operations until this thread holds it. */
  lockWaitOps(base: number, cpu: number): number;
  deadHolder: WasmGlobal;
  deadLockAddr: WasmGlobal;
  clearDeadHolder(): void;
  layoutField(which: number): number;
  // the stats dump (assembly/api/stats.ts)
  /** One Stat of the domain (codes().Stat). */
  domainStat(base: number, which: number): number;
  /** Writes every counter into `out` (a scratch slot); returns the bytes written. */
  statsDump(base: number, out: number): number;
  statsBytes(cpus: number): number;
  // flush queue and dma-iommu (assembly/api/iommu.ts)
  fqBytes(cpus: number, size: number): number;
  fqInit(addr: number, base: number, cpus: number, size: number, timeoutMs: number, hz: number): void;
  fqSetHostFlush(addr: number, on: number): void;
  fqQueue(addr: number, cpu: number, pfn: number, pages: number, nowMs: number): number;
  fqPollTimer(addr: number, cpu: number, nowMs: number): number;
  fqDrain(addr: number, cpu: number): number;
  /** Writes every flush-queue counter into `out` (a scratch slot); returns the bytes written. */
  fqStatsDump(addr: number, out: number): number;
  fqStatsBytes(cpus: number): number;
  /** The timer's due time (ms), or -1 while it is not armed. */
  fqTimerDueMs(addr: number): number;
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
  simQueueTagsLeft(addr: number): number;
  simQueueRebuild(addr: number): void;
  simMergeIos(addr: number, u: number, table: number): number;
  simHistAdd(addr: number, h: number, ns: number): void;
  simLive(addr: number): number;
  simWindow32(addr: number): number;
  simLowest32(addr: number): number;
  simLockStat(addr: number, i: number, which: number): number;
  simNextInterval(addr: number): void;
  simHist(addr: number, h: number): number;
  simLockIndex(kind: number, n: number): number;
  /** CPU c holds lock i for `work` ns from `at`, as the loop does: the release time (test/sim-lock-order). */
  simLockHold(addr: number, i: number, c: number, at: number, work: number): number;
  /** Sets the simulated present (the lock booking drops the holds ended by then): test/sim-lock-order. */
  simSetNow(addr: number, ns: number): void;
}

/** Every layoutField() value, by name. */
export function layoutOf(ex: IovaExports): Record<MemberOf<"LayoutField">, number> {
  const out = {} as Record<MemberOf<"LayoutField">, number>;
  for (const [k, v] of Object.entries(codes().LayoutField)) out[k as MemberOf<"LayoutField">] = ex.layoutField(v);
  return out;
}
