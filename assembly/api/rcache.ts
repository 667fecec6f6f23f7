// Exported range-cache entry points: alloc_iova_fast / free_iova_fast on a
// given CPU, the flush paths, the policy clock, stats and fault injection.

import { checkDeadCpu as checkDeadCpuIn, checkDeadView as checkDeadViewIn, takeOverDeadHolder as takeOverDeadHolderIn } from "../dead-cpu";
import { treeError } from "../tree/domain";
import { Domain, CpuCache, LOCK_WAITERS, cpuStateAt, cpuCacheAt, cpuCacheLockAddr, domainAt, aliveAddr, attachedAddr, ORDERS } from "../layout";
import { lock, unlock, unlockHandingOver, waiterWaits, announce, parkUntilTaken } from "../lock";
import { selfId } from "../self";
import { allocFast as allocFastIn, freeFast as freeFastIn, freeCpuCached as freeCpuCachedIn,
  freeAllCpuCached, freeGlobalCached, orderOf } from "../rcache/rcache";
import { beginBatch, dropHold, batchCache, allocFastHeld, freeFastHeld } from "../rcache/batch";
import { depotWork as depotWorkIn } from "../rcache/depot";
import { depotTick as depotTickIn } from "../rcache/tick";
import { fastAllocRoundsSize } from "../era";
import { atomicCmpxchg, atomicLoad, atomicStore, atomicSub } from "../atomics";

/**
 * Cacheable sizes rounded up to a power of two, or orders would mix sizes.
 * dma-iommu's iommu_dma_alloc_iova() did it before calling alloc_iova_fast()
 * until 972bf252f860 moved it into alloc_iova_fast() itself; either way a
 * DMA mapping asks for the rounded size, so allocFast (the mapping's call)
 * rounds in every era. kernelAllocFast is alloc_iova_fast() alone.
 */
// @ts-ignore: decorator
@inline function cachedSize(size: u64): u64 {
  return orderOf(size) < ORDERS ? <u64>1 << orderOf(size) : size;
}

/** alloc_iova_fast as dma-iommu calls it: the size rounded as above. */
export function allocFast(base: usize, cpu: u32, size: f64, limit: f64, flush: bool): f64 {
  return <f64>allocFastIn(domainAt(base), cpu, cachedSize(<u64>size), <u64>limit, flush);
}

/** alloc_iova_fast of the domain's era, for replay: v5.10 and v5.11 take the size as given. */
export function kernelAllocFast(base: usize, cpu: u32, size: f64, limit: f64, flush: bool): f64 {
  let d = domainAt(base);
  let s = <u64>size;
  return <f64>allocFastIn(d, cpu, fastAllocRoundsSize(d) ? cachedSize(s) : s, <u64>limit, flush);
}

/** free_iova_fast: the size only picks the order (order_base_2), so it is passed as given. */
export function freeFast(base: usize, cpu: u32, pfn: f64, size: f64): void {
  freeFastIn(domainAt(base), cpu, <u64>pfn, <u64>size);
}

/**
 * Batched alloc: reads n sizes (f64) at ptr and overwrites each with its
 * pfn (0 where the allocation failed). Returns how many succeeded.
 */
export function allocFastBatch(base: usize, cpu: u32, ptr: usize, n: u32, limit: f64, flush: bool): u32 {
  let d = domainAt(base);
  let ok: u32 = 0;
  let lim = <u64>limit;
  beginBatch();
  for (let i: u32 = 0; i < n; i++) {
    let p = ptr + (<usize>i << 3);
    let size = cachedSize(<u64>load<f64>(p));
    let pfn = allocFastHeld(d, batchCache(d, cpu, size), size, lim, flush);
    store<f64>(p, <f64>pfn);
    if (pfn != 0) ok++;
  }
  dropHold();
  return ok;
}

/** Batched free: n (pfn, size) f64 pairs at ptr. */
export function freeFastBatch(base: usize, cpu: u32, ptr: usize, n: u32): void {
  let d = domainAt(base);
  beginBatch();
  for (let i: u32 = 0; i < n; i++) {
    let p = ptr + (<usize>i << 4);
    let size = <u64>load<f64>(p + 8);
    freeFastHeld(d, batchCache(d, cpu, size), <u64>load<f64>(p), size);
  }
  dropHold();
}

/**
 * `rounds` allocFast+freeFast pairs inside wasm (the hot-path benchmark), as
 * one batch: the CPU cache lock is held across up to HOLD_OPS operations
 * (rcache/batch.ts). Returns failures.
 */
export function fastLoop(base: usize, cpu: u32, size: f64, limit: f64, rounds: u32): u32 {
  return pairLoop(domainAt(base), cpu, cachedSize(<u64>size), <u64>limit, rounds, false);
}

/** fastLoop with the lock taken per operation, as single calls take it: the benchmark's reference. */
export function fastLoopLockPerOp(base: usize, cpu: u32, size: f64, limit: f64, rounds: u32): u32 {
  return pairLoop(domainAt(base), cpu, cachedSize(<u64>size), <u64>limit, rounds, true);
}

/**
 * The pair loop of fastLoop and fastLoopLockPerOp, written once. `perOp` is
 * a constant at both call sites, so after inlining each gets only its own
 * calls: allocFast/freeFast (a lock per operation), or the batch's held ones.
 */
// @ts-ignore: decorator
@inline function pairLoop(d: Domain, cpu: u32, s: u64, lim: u64, rounds: u32, perOp: bool): u32 {
  let fails: u32 = 0;
  let cache: usize = perOp ? 0 : batchCache(d, cpu, s);
  beginBatch();
  for (let i: u32 = 0; i < rounds; i++) {
    let pfn = perOp ? allocFastIn(d, cpu, s, lim, true) : allocFastHeld(d, cache, s, lim, true);
    if (pfn == 0) { fails++; continue; }
    if (perOp) freeFastIn(d, cpu, pfn, s);
    else freeFastHeld(d, cache, pfn, s);
  }
  dropHold();
  return fails;
}

/** Traps (poisoning the domain) if CPU cpu is marked dead and still holds a lock (dead-cpu.ts). */
export function checkDeadCpu(base: usize, fqBase: usize, cpu: u32): void {
  checkDeadCpuIn(domainAt(base), fqBase, cpu);
}

export function freeCpuCached(base: usize, cpu: u32): void {
  freeCpuCachedIn(domainAt(base), cpu);
}

/** Every CPU's magazines, then every depot, back to the tree. */
export function flushAll(base: usize): void {
  let d = domainAt(base);
  freeAllCpuCached(d);
  freeGlobalCached(d);
}

export function depotWork(base: usize, order: u32): bool {
  return depotWorkIn(domainAt(base), order);
}

/** Advances the domain clock and runs the policy work that fell due; returns magazines freed. */
export function depotTick(base: usize, nowMs: f64, intervalMs: f64): u32 {
  return depotTickIn(domainAt(base), <u64>nowMs, <u64>intervalMs);
}

/** adaptive: at most n pfns go back to the tree per hold of the tree lock (the policy's slice). */
export function setReclaimSlice(base: usize, n: u32): void {
  domainAt(base).reclaimSlice = n < 1 ? 1 : n;
}

/** Fault injection: at most n magazines may be out of the slab at once. */
export function setMagLimit(base: usize, n: u32): void {
  let d = domainAt(base);
  d.magLimit = n < d.magCap ? n : d.magCap;
}

export function setCpuAlive(base: usize, cpu: u32, alive: bool): void {
  let st = cpuStateAt(domainAt(base), cpu);
  atomicStore<u32>(aliveAddr(st), alive ? 1 : 0);
  if (!alive) atomicStore<u32>(attachedAddr(st), 0);  // dead: its scratch slot is free again
}

/** Where the host's view table is and how many shared views it has (assembly/holder.ts); once, at domain setup. */
export function setViewTable(base: usize, addr: usize, sharedViews: u32): void {
  let d = domainAt(base);
  d.viewTable = <u32>addr;
  d.sharedViews = sharedViews;
}

/** Traps (LockHolderDeadError on the host) if shared view k, whose worker is gone, holds a lock. */
export function checkDeadView(base: usize, fqBase: usize, k: u32): void {
  checkDeadViewIn(domainAt(base), fqBase, k);
}

/**
 * Frees the CPU cache locks that holder id `who` left boundary-marked (dead-cpu.ts); returns how many. Only
 * once every thread writing `who` has ended: the host's exit handler.
 */
export function takeOverDeadHolder(base: usize, who: u32): u32 {
  return takeOverDeadHolderIn(domainAt(base), who);
}

/** Claims CPU cpu's scratch slot for one view; returns 0, or 1 if a live view holds it. */
export function claimCpu(base: usize, cpu: u32): u32 {
  return atomicCmpxchg<u32>(attachedAddr(cpuStateAt(domainAt(base), cpu)), 0, 1);
}

/** Err.* of the last failed tree allocation of this instance (allocFast's failures end in the tree). */
export function lastTreeError(): u32 { return treeError; }

/**
 * Lock test: `iters` times, take the lock word at lockAddr and bump a plain
 * (non-atomic) counter at counterAddr. Exact totals prove mutual exclusion.
 */
export function lockedCount(base: usize, lockAddr: usize, counterAddr: usize, iters: u32): void {
  countUnderLock(domainAt(base), lockAddr, counterAddr, iters, false);
}

/**
 * lockedCount releasing with unlockHandingOver (lock.ts) whenever a waiter
 * is announced: the hand-over under contention. Returns how many unlocks
 * handed over.
 */
export function lockedCountHandingOver(base: usize, lockAddr: usize, counterAddr: usize, iters: u32): u32 {
  return countUnderLock(domainAt(base), lockAddr, counterAddr, iters, true);
}

// @ts-ignore: decorator
@inline function countUnderLock(d: Domain, lockAddr: usize, counterAddr: usize, iters: u32, handOver: bool): u32 {
  let handed: u32 = 0;
  for (let i: u32 = 0; i < iters; i++) {
    lock(d, lockAddr, selfId);
    store<u32>(counterAddr, load<u32>(counterAddr) + 1);
    if (handOver && waiterWaits(lockAddr)) {
      unlockHandingOver(lockAddr);
      handed++;
    } else unlock(lockAddr);
  }
  return handed;
}

/** Operations a CPU cache has completed: hits + misses + inserts + insertFails (read while its holder runs). */
function cacheOps(c: CpuCache): u64 {
  let a = changetype<usize>(c);
  return atomicLoad<u64>(a + offsetof<CpuCache>("hits")) + atomicLoad<u64>(a + offsetof<CpuCache>("misses"))
    + atomicLoad<u64>(a + offsetof<CpuCache>("inserts")) + atomicLoad<u64>(a + offsetof<CpuCache>("insertFails"));
}

/**
 * Lock test of the hand-over (lock.ts): announces this thread as a waiter
 * on CPU cpu's order-0 cache lock, then parks until it holds it, and returns
 * how many operations that cache completed in between (its holder's, a batch
 * on that CPU). The announcement comes first, so the count is the holder's
 * operations after it could see a waiter, plus those whose counter stores
 * (plain, still in the holder's store buffer) the first read missed: at most
 * HOLD_OPS + 1 when the lock hands over (test/lock-handover.test.ts's header
 * gives the accounting).
 */
export function lockWaitOps(base: usize, cpu: u32): u32 {
  let d = domainAt(base);
  let c = cpuCacheAt(d, cpu, 0);
  let w = cpuCacheLockAddr(c);
  announce(w);
  let before = cacheOps(c);
  parkUntilTaken(d, w, selfId);
  atomicSub<u32>(w + LOCK_WAITERS, 1);
  let after = cacheOps(c);
  unlock(w);
  return <u32>(after - before);
}
