// The CPU-dead path's first question: does the dead CPU still hold a lock?
//
// A worker terminated inside a critical section leaves the lock word holding
// its id and the structure behind it possibly half updated. Waiters would
// notice after about 200 ms (lock.ts), but only if they need that lock;
// the CPU-dead path knows the CPU is gone, so it looks at every lock the
// domain has and, if one is held by the dead CPU, fails at once: the domain
// is poisoned and the host reports LockHolderDeadError naming that CPU.
//
// Except where the holder said the state is consistent: a batch (batch.ts)
// keeps its CPU cache lock across operations and marks the lock word
// (lock.ts, BOUNDARY) while it is between two of them. A lock word that
// reads the dead holder's id with that mark is not a half-done update, but
// the holder may not be gone yet: kill({ now: true }) marks a worker dead
// before it terminates it, and a still-running holder's next operation
// clears the mark with a plain store (batch.ts holdFor) without re-reading
// the word. So only takeOverDeadHolder frees a marked word, and the host
// calls it only where the holder's thread is known to have ended (CpuPool's
// exit handler: endView, and its CPU-dead path); see "Boundary mark" in
// docs/architecture.md. checkDeadCpu / checkDeadView run from any
// freeCpuCached on a CPU marked dead, perhaps while its worker still runs,
// so for them a marked word is held by the dead id, as a plain one is: the
// domain is poisoned. After a take-over the dead worker's ranges are booked
// as for a worker killed outside any lock.

import {
  Domain, ORDERS, cpuCacheAt, cpuStateAt, depotAt, aliveAddr, treeLockAddr, slabLockAddr, reclaimLockAddr, depotLockAddr,
  cpuCacheLockAddr, LOCK_WAITERS,
} from "./layout";
import { failOnDeadHolder, holderOf, BOUNDARY, WAITER_COUNT } from "./lock";
import { holderCpuId } from "./holder";
import { FlushQueue, ringAt, ringLockAddr } from "./iommu/flush-queue";
import { atomicCmpxchg, atomicLoad, atomicNotify } from "./atomics";

/** Whether the lock word at `addr` is held by id `who`, boundary-marked or not (a handed-over word is not held). */
// @ts-ignore: decorator
@inline function heldBy(addr: usize, who: u32): bool {
  return holderOf(atomicLoad<u32>(addr)) == who;
}

/** The address of a lock word held by id `who` (CPU + 1), marked or not, or 0. `fqBase` 0: the domain has no flush queue. */
export function lockHeldBy(d: Domain, fqBase: usize, who: u32): usize {
  if (heldBy(treeLockAddr(d), who)) return treeLockAddr(d);
  if (heldBy(slabLockAddr(d), who)) return slabLockAddr(d);
  if (heldBy(reclaimLockAddr(d), who)) return reclaimLockAddr(d);
  for (let o: u32 = 0; o < ORDERS; o++) {
    let dp = depotLockAddr(depotAt(d, o));
    if (heldBy(dp, who)) return dp;
    for (let cpu: u32 = 0; cpu < d.cpus; cpu++) {
      let c = cpuCacheLockAddr(cpuCacheAt(d, cpu, o));
      if (heldBy(c, who)) return c;
    }
  }
  if (fqBase != 0) {
    let fq = changetype<FlushQueue>(fqBase);
    for (let q: u32 = 0; q < fq.cpus; q++) {
      let r = ringLockAddr(ringAt(fq, q));
      if (heldBy(r, who)) return r;
    }
  }
  return 0;
}

/** CPU cache locks taken over from dead holders at an operation boundary, by this instance (the host's). */
let boundaryTakeovers: u32 = 0;

/** How many boundary take-overs this instance made (the kill tests count both outcomes). */
export function boundaryTakeoverCount(): u32 {
  return boundaryTakeovers;
}

/**
 * Frees every CPU cache lock word that reads `who | BOUNDARY` (its holder
 * was between two operations of a batch) and wakes a waiter on it; returns
 * how many. Only CPU cache locks: nothing else is held across operations.
 * The caller must know that every thread that writes id `who` has ended
 * (the host's exit handler, after the worker's exit event): a holder that
 * still runs would store its plain id over the new owner's.
 */
export function takeOverDeadHolder(d: Domain, who: u32): u32 {
  let marked = who | BOUNDARY;
  let freed: u32 = 0;
  for (let o: u32 = 0; o < ORDERS; o++) {
    for (let cpu: u32 = 0; cpu < d.cpus; cpu++) {
      let c = cpuCacheLockAddr(cpuCacheAt(d, cpu, o));
      if (atomicLoad<u32>(c) != marked || atomicCmpxchg<u32>(c, marked, 0) != marked) continue;
      boundaryTakeovers++;
      freed++;
      if ((atomicLoad<u32>(c + LOCK_WAITERS) & WAITER_COUNT) != 0) atomicNotify(c, 1);
    }
  }
  return freed;
}

/**
 * Traps (poisoning the domain) if CPU `cpu` is marked dead and still holds a
 * lock, boundary-marked or not (its worker may still run: see above).
 */
export function checkDeadCpu(d: Domain, fqBase: usize, cpu: u32): void {
  if (atomicLoad<u32>(aliveAddr(cpuStateAt(d, cpu))) != 0) return;
  let word = lockHeldBy(d, fqBase, cpu + 1);
  if (word != 0) failOnDeadHolder(d, word, cpu + 1);
}

/**
 * Traps (poisoning the domain) if shared view k, whose worker is gone,
 * still holds a lock (marked or not); the poison names the view's CPU. The
 * host runs it at each sharer's exit, after takeOverDeadHolder, before it
 * frees the view's word.
 */
export function checkDeadView(d: Domain, fqBase: usize, k: u32): void {
  let id = d.cpus + 1 + k;
  let word = lockHeldBy(d, fqBase, id);
  if (word != 0) failOnDeadHolder(d, word, holderCpuId(d, id));
}
