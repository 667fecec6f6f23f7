// Adaptive's working-set reclaim, returned to the tree in slices
// (docs/adaptive-policy.md).
//
// Every reclaim interval, per order (reclaimInterval):
//  - the depot's surplus is the fewest magazines it held during the interval
//    (lowWater): that many were never needed; they become its debt;
//  - a sweep of the CPU caches starts: a cache that saw no allocation or
//    free since the sweep last looked at it holds pfns nobody uses (a job
//    moved to another CPU and left its magazines behind).
// The pfns then go back a slice at a time (reclaimSlice): at most
// d.reclaimSlice pfns per hold of the tree lock, so that no map waits
// behind a whole reclaim, only behind one slice. The clock paces the slices
// (reclaimBudget): one per ms of the domain clock.
//
// Lock order: reclaimLock (outermost, only the clock's work takes it), then
// a CPU cache lock, then the depot lock, then the tree lock.

import { Domain, ORDERS, cpuCacheAt, cpuCacheLockAddr, depotAt, depotLockAddr, reclaimLockAddr } from "../layout";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { magFreeTop, magEmpty, magSize } from "./magazine";
import { depotPop, retireMagazine } from "./depot";

// @ts-ignore: decorator
@inline function magSlot(d: Domain, o: u32): usize {
  return changetype<usize>(d) + offsetof<Domain>("reclaimMag0") + (<usize>o << 2);
}
// @ts-ignore: decorator
@inline function cpuSlot(d: Domain, o: u32): usize {
  return changetype<usize>(d) + offsetof<Domain>("reclaimCpu0") + (<usize>o << 2);
}

/** Depot magazines this instance's slices emptied and retired (per thread: only for counting a call's work). */
export let slicesRetired: u32 = 0;

/** No slice pending at start: every order's sweep is done, no magazine in hand. */
export function initReclaim(d: Domain): void {
  d.reclaimSlice = d.magSize;  // the host sets the policy's slice (setReclaimSlice)
  for (let o: u32 = 0; o < ORDERS; o++) store<u32>(cpuSlot(d, o), d.cpus);
}

/** pfns of order o on their way back: the depot magazine being returned slice by slice. */
export function reclaimingPfns(d: Domain, o: u32): u32 {
  return magSize(d, atomic.load<u32>(magSlot(d, o)));
}

/** The interval's end for order o: the depot's surplus becomes its debt, and a CPU sweep starts. */
export function reclaimInterval(d: Domain, o: u32): void {
  lock(d, reclaimLockAddr(d), selfId);
  let dp = depotAt(d, o);
  lock(d, depotLockAddr(dp), selfId);
  // Replaces, not adds: magazines still owed sat in the depot all along, so lowWater counts them again.
  dp.reclaimDebt = dp.lowWater < dp.size ? dp.lowWater : dp.size;
  dp.lowWater = dp.size;   // the next interval starts from what is there
  unlock(depotLockAddr(dp));
  if (load<u32>(cpuSlot(d, o)) >= d.cpus) store<u32>(cpuSlot(d, o), 0);  // an unfinished sweep goes on
  unlock(reclaimLockAddr(d));
}

/** One slice from order o's depot debt. Callers hold reclaimLock. */
function depotSlice(d: Domain, o: u32): u32 {
  let dp = depotAt(d, o);
  let m = load<u32>(magSlot(d, o));
  if (m == 0) {
    lock(d, depotLockAddr(dp), selfId);
    if (dp.reclaimDebt > 0 && dp.size > 0) {
      m = depotPop(d, dp);
      dp.reclaimDebt--;
    } else {
      dp.reclaimDebt = 0;  // the load took what was owed
    }
    unlock(depotLockAddr(dp));
    if (m == 0) return 0;
    atomic.store<u32>(magSlot(d, o), m);
  }
  let n = magFreeTop(d, m, 0, d.reclaimSlice);
  if (magEmpty(d, m)) {
    atomic.store<u32>(magSlot(d, o), 0);
    retireMagazine(d, dp, m);  // empty now: only the magazine itself goes back
    slicesRetired++;
  }
  return n;
}

/** One slice from the CPU sweep of order o: the next idle cache's pfns. Callers hold reclaimLock. */
function cpuSlice(d: Domain, o: u32): u32 {
  let cpu = load<u32>(cpuSlot(d, o));
  let n: u32 = 0;
  while (cpu < d.cpus && n == 0) {
    let c = cpuCacheAt(d, cpu, o);
    let addr = cpuCacheLockAddr(c);
    lock(d, addr, selfId);
    let ops = c.hits + c.misses + c.inserts + c.insertFails;
    if (ops == c.seenOps) n = magFreeTop(d, c.loaded, c.prev, d.reclaimSlice);
    let empty = magEmpty(d, c.loaded) && magEmpty(d, c.prev);
    if (n == 0 || empty) {
      // Done with this cache until the next sweep: busy, or now empty.
      if (n > 0) c.idleReclaims++;
      c.seenOps = ops;
      cpu++;
    }
    unlock(addr);
  }
  store<u32>(cpuSlot(d, o), cpu);
  return n;
}

/**
 * One slice of reclaim: at most d.reclaimSlice pfns to the tree, in one hold
 * of the tree lock, from the next order (round robin) that has work.
 * Returns the pfns freed; 0 when nothing is left to reclaim.
 */
export function reclaimSlice(d: Domain): u32 {
  lock(d, reclaimLockAddr(d), selfId);
  let n: u32 = 0;
  for (let k: u32 = 0; k < ORDERS && n == 0; k++) {
    let o = (d.reclaimOrder + k) % ORDERS;
    n = depotSlice(d, o);
    if (n == 0) n = cpuSlice(d, o);
    if (n > 0) d.reclaimOrder = (o + 1) % ORDERS;
  }
  unlock(reclaimLockAddr(d));
  return n;
}

/**
 * How many slices the clock allows now: one per ms since the last call, at
 * most an interval's worth (a clock that jumps does not buy a burst).
 */
export function reclaimBudget(d: Domain, nowMs: u64, intervalMs: u64): u32 {
  lock(d, reclaimLockAddr(d), selfId);
  let last = d.reclaimLastMs;
  let n: u64 = 0;
  if (nowMs > last) {
    n = nowMs - last;
    d.reclaimLastMs = nowMs;
  }
  unlock(reclaimLockAddr(d));
  let cap = intervalMs < 1 ? <u64>1 : intervalMs;
  return <u32>(n < cap ? n : cap);
}

/** flushAll: the magazines in hand go back whole (the caller then empties the depots). */
export function reclaimFlush(d: Domain): void {
  lock(d, reclaimLockAddr(d), selfId);
  for (let o: u32 = 0; o < ORDERS; o++) {
    let m = load<u32>(magSlot(d, o));
    if (m == 0) continue;
    atomic.store<u32>(magSlot(d, o), 0);
    retireMagazine(d, depotAt(d, o), m);
  }
  unlock(reclaimLockAddr(d));
}
