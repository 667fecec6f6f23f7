// The per-CPU range caches: alloc_iova_fast / free_iova_fast and the flush
// paths, over shared memory. Lock order, as in the kernel: CPU cache lock,
// then depot lock, then tree lock; the magazine slab lock is innermost.
//
// Why every single call takes its CPU cache lock, as the kernel does (issue 15
// measured the alternatives on the warm size-1 pair): other threads flush a
// CPU's magazines at any time (free_cpu_cached_iovas from the host, the
// flush-and-retry of a failed allocFast on any CPU, cpu-flush's refused
// insert, adaptive's reclaim of an idle CPU's cache, the CPU-dead path), and
// an idle or dead owner cannot be asked to help. Wasm atomics are all
// sequentially consistent, so an owner that publishes its magazines after
// each operation and announces the next one pays two seq-cst accesses per
// operation whatever the protocol (a Dekker-style owner flag measured no
// cheaper than the lock). Only holding across operations saves them: the
// calls that group operations (the batch entry points and the benchmark's
// loop in wasm) do, in batch.ts, up to 16 operations per hold, stepping
// aside (handing the lock over, lock.ts) at the next operation once someone
// waits (14.2 -> 10.7 ns a pair, bench/hot-path.ts's figures in the commit
// that added the hold). The cost of a hold: a worker terminated with
// kill({now:true}) during such a call (fastLoop, a LocalCache refill or
// spill) is nearly always inside the hold, so it leaves the CPU cache lock
// held and the domain is poisoned (LockHolderDeadError) where single calls
// are killed between locks most of the time. The common case of a single
// call is inline: allocFast and freeFast down to the magazine's top.

import { Domain, CpuCache, ORDERS, cpuCacheAt, cpuCacheLockAddr, depotAt, depotLockAddr, magAt, treeLockAddr } from "../layout";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { allocRange, freePfn } from "../tree/domain";
import { flushEmptiesDepots } from "../era";
import { cachesRanges, refusesWhenFull, arrayDepot } from "./policy";
import { magAlloc, magFree, magFull, magEmpty, magPush, magPop, magPopTop, magPushRoom, magFreePfns } from "./magazine";
import { depotPush, depotPop, depotFull, depotArm, retireMagazine } from "./depot";
import { initReclaim, reclaimFlush } from "./reclaim";

/** order_base_2(size): the cache a size belongs to (>= ORDERS: not cached). */
// @ts-ignore: decorator
@inline export function orderOf(size: u64): u32 {
  return size <= 1 ? 0 : <u32>(64 - clz<u64>(size - 1));
}

/** Sets up every CPU's loaded and prev magazines, as init_iova_rcaches does. */
export function initRcaches(d: Domain): void {
  initReclaim(d);
  if (!cachesRanges(d)) return;
  for (let cpu: u32 = 0; cpu < d.cpus; cpu++) {
    for (let o: u32 = 0; o < ORDERS; o++) {
      let c = cpuCacheAt(d, cpu, o);
      c.loaded = magAlloc(d);
      c.prev = magAlloc(d);
    }
  }
}

/** __iova_rcache_get under c's lock, held by the caller (a batch's hold: batch.ts); allocFast writes it out. */
// @ts-ignore: decorator
@inline export function cacheGetLocked(d: Domain, c: CpuCache, order: u32, limit: u64): u64 {
  let pfn = magPopTop(d, c.loaded, limit);
  if (pfn != 0) c.hits++;
  else pfn = cacheTake(d, c, order, limit);
  return pfn;
}

/** The body of __iova_rcache_get. Callers hold c's lock. */
function cacheTake(d: Domain, c: CpuCache, order: u32, limit: u64): u64 {
  let has = false;
  if (!magEmpty(d, c.loaded)) {
    has = true;
  } else if (!magEmpty(d, c.prev)) {
    let t = c.loaded; c.loaded = c.prev; c.prev = t;
    has = true;
  } else {
    let dp = depotAt(d, order);
    lock(d, depotLockAddr(dp), selfId);
    if (dp.size > 0) {
      magFree(d, c.loaded);
      c.loaded = depotPop(d, dp);
      has = true;
    }
    unlock(depotLockAddr(dp));
  }
  let pfn: u64 = has ? magPop(d, c.loaded, limit) : 0;
  if (pfn != 0) c.hits++; else c.misses++;
  return pfn;
}

/**
 * What follows a refused insert, with no CPU cache lock held (freeFast,
 * a batch's freeFastHeld): under cpu-flush (the 2020 series) it flushes
 * every CPU's magazines; other policies do nothing.
 */
// @ts-ignore: decorator
@inline export function insertRefused(d: Domain): void {
  if (refusesWhenFull(d)) freeAllCpuCached(d);
}

/** __iova_rcache_insert up to the flush under c's lock, held by the caller (a batch's hold); freeFast writes it out. */
// @ts-ignore: decorator
@inline export function cacheInsertLocked(d: Domain, c: CpuCache, order: u32, pfn: u64): bool {
  if (magPushRoom(d, c.loaded, pfn)) { c.inserts++; return true; }
  return cacheGive(d, c, order, pfn);
}

/**
 * The body of __iova_rcache_insert once the loaded magazine has no room
 * (missing or full: the written-out case took every other one).
 * Callers hold c's lock; on false they drop it, flush every CPU's cache
 * under the cpu-flush policy, and free pfn to the tree.
 */
function cacheGive(d: Domain, c: CpuCache, order: u32, pfn: u64): bool {
  let dp = depotAt(d, order);
  let can = false;
  let toRetire: u32 = 0;
  if (c.prev != 0 && !magFull(d, c.prev)) {
    let t = c.loaded; c.loaded = c.prev; c.prev = t;
    can = true;
  } else {
    let fresh = magAlloc(d);
    if (fresh != 0) {
      if (c.loaded == 0) {
        // The slot lost its magazine to an exhausted slab earlier: refill it.
        c.loaded = fresh;
        can = true;
      } else {
        lock(d, depotLockAddr(dp), selfId);
        if (!depotFull(d, dp)) {
          depotPush(d, dp, c.loaded);
          depotArm(d, dp);
          c.loaded = fresh;
          can = true;
        } else {
          dp.fullEvents++;
          if (!refusesWhenFull(d)) {
            // v5.10 (and scaled-depot): the full loaded magazine goes back to the tree.
            toRetire = c.loaded;
            c.loaded = fresh;
            can = true;
          }
        }
        unlock(depotLockAddr(dp));
        if (!can) magFree(d, fresh);
      }
    }
  }
  if (can) { magPush(d, c.loaded, pfn); c.inserts++; } else c.insertFails++;
  // The kernel frees mag_to_free after dropping the CPU lock. Here a worker
  // can be terminated between any two statements, and a magazine that is in
  // no cache and under no lock would then be lost with its pfns; retired
  // under the lock, a kill either leaves the lock held (the CPU-dead path
  // reports it) or finds the magazine freed. Placements are the same.
  if (toRetire != 0) retireMagazine(d, dp, toRetire);
  return can;
}

/** free_cpu_cached_iovas: a CPU's loaded and prev magazines, every order, to the tree. */
export function freeCpuCached(d: Domain, cpu: u32): void {
  for (let o: u32 = 0; o < ORDERS; o++) {
    let c = cpuCacheAt(d, cpu, o);
    lock(d, cpuCacheLockAddr(c), selfId);
    magFreePfns(d, c.loaded);
    magFreePfns(d, c.prev);
    unlock(cpuCacheLockAddr(c));
  }
}

export function freeAllCpuCached(d: Domain): void {
  for (let cpu: u32 = 0; cpu < d.cpus; cpu++) freeCpuCached(d, cpu);
}

/**
 * free_global_cached_iovas: every depot magazine to the tree (and those
 * adaptive's reclaim holds). v5.10's array
 * depot frees depot[0..n), oldest first; the v6.7 list pops newest first.
 * The order matters: each free moves the cached nodes.
 */
export function freeGlobalCached(d: Domain): void {
  reclaimFlush(d);  // adaptive: magazines its reclaim took from the depots but has not emptied yet
  let oldestFirst = arrayDepot(d);
  for (let o: u32 = 0; o < ORDERS; o++) {
    let dp = depotAt(d, o);
    if (!oldestFirst) {
      // v6.7: pop and free every magazine under the depot lock.
      lock(d, depotLockAddr(dp), selfId);
      while (dp.size > 0) retireMagazine(d, dp, depotPop(d, dp));
      unlock(depotLockAddr(dp));
      continue;
    }
    // Empty the depot under its lock (as the kernel holds it throughout),
    // reversing the LIFO list so the oldest magazine comes first.
    lock(d, depotLockAddr(dp), selfId);
    let chain: u32 = 0;
    while (dp.size > 0) {
      let m = depotPop(d, dp);
      magAt(d, m).next = chain;
      chain = m;
    }
    while (chain != 0) {
      let m = chain;
      chain = magAt(d, m).next;
      retireMagazine(d, dp, m);
    }
    unlock(depotLockAddr(dp));
  }
}

/** Do this domain's CPU caches take ranges of this order? (Sizes above the largest cached order go to the tree.) */
// @ts-ignore: decorator
@inline export function cachesOrder(d: Domain, order: u32): bool {
  return order < ORDERS && cachesRanges(d);
}

/**
 * alloc_iova_fast. Returns pfn_lo, or 0 on failure (pfn 0 is never handed out: start_pfn >= 1).
 * Inline, so that a caller's loop pays no call for the cached case.
 *
 * __iova_rcache_get's common case (the loaded magazine's top pfn fits: what
 * iova_magazine_pop does when its loop stops at the top entry) is written
 * out here with its own unlock and return, so that a hit runs straight
 * through; the rest is cacheTake. Written as a call of cacheGetLocked
 * between one lock and one unlock, V8 (Node 20) tested the pfn again after
 * the unlock and spilled more: 182 -> 170 x86 instructions a pair with the
 * same change in freeFast (valgrind, fastLoopLockPerOp).
 */
// @ts-ignore: decorator
@inline export function allocFast(d: Domain, cpu: u32, size: u64, limit: u64, flush: bool): u64 {
  let order = orderOf(size);
  if (cachesOrder(d, order)) {
    let c = cpuCacheAt(d, cpu, order);
    lock(d, cpuCacheLockAddr(c), selfId);
    let pfn = magPopTop(d, c.loaded, limit + 1 - size);
    if (pfn != 0) {
      c.hits++;
      unlock(cpuCacheLockAddr(c));
      return pfn;
    }
    pfn = cacheTake(d, c, order, limit + 1 - size);
    unlock(cpuCacheLockAddr(c));
    if (pfn != 0) return pfn;
  }
  return allocFromTree(d, size, limit, flush);
}

/** alloc_iova_fast's tree part: alloc_iova, and with flush, the flush of every cache and one retry. */
export function allocFromTree(d: Domain, size: u64, limit: u64, flush: bool): u64 {
  while (true) {
    lock(d, treeLockAddr(d), selfId);
    let r = allocRange(d, size, limit, true);
    unlock(treeLockAddr(d));
    if (r >= 0) return <u64>r;
    if (!flush) return 0;
    flush = false;
    freeAllCpuCached(d);
    if (flushEmptiesDepots(d)) freeGlobalCached(d);
  }
}

/**
 * free_iova_fast: into this CPU's cache if it takes it, else to the tree.
 * Inline, as allocFast, and written out as it is: __iova_rcache_insert's
 * common case (room in the loaded magazine) returns from inside the lock;
 * the rest is cacheGive, then the refused insert's flush (insertRefused)
 * with no CPU cache lock held.
 */
// @ts-ignore: decorator
@inline export function freeFast(d: Domain, cpu: u32, pfn: u64, size: u64): void {
  let order = orderOf(size);
  if (cachesOrder(d, order)) {
    let c = cpuCacheAt(d, cpu, order);
    lock(d, cpuCacheLockAddr(c), selfId);
    if (magPushRoom(d, c.loaded, pfn)) {
      c.inserts++;
      unlock(cpuCacheLockAddr(c));
      return;
    }
    let can = cacheGive(d, c, order, pfn);
    unlock(cpuCacheLockAddr(c));
    if (can) return;
    insertRefused(d);
  }
  freeToTree(d, pfn);
}

export function freeToTree(d: Domain, pfn: u64): void {
  lock(d, treeLockAddr(d), selfId);
  freePfn(d, pfn);
  unlock(treeLockAddr(d));
}
