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

import { Domain, CpuCache, ORDERS, cpuCacheAt, cpuCacheLockAddr, depotAt, depotLockAddr, reclaimLockAddr } from "../layout";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { magAlloc, magFreeTop, magEmpty, magSize } from "./magazine";
import { depotPop, depotPush, retireMagazine } from "./depot";

// @ts-ignore: decorator
@inline function magSlot(d: Domain, o: u32): usize {
  return changetype<usize>(d) + offsetof<Domain>("reclaimMag0") + (<usize>o << 2);
}
// @ts-ignore: decorator
@inline function cpuSlot(d: Domain, o: u32): usize {
  return changetype<usize>(d) + offsetof<Domain>("reclaimCpu0") + (<usize>o << 2);
}

/**
 * The horizon of the depot's demand, in reclaim intervals (the slots
 * reclaimPops* hold the 3 before the last). See reclaimInterval.
 */
// @ts-ignore: decorator
@inline const RECLAIM_HORIZON: u32 = 4;
// @ts-ignore: decorator
@inline const CPU_IDLE_SWEEPS: u64 = 2;

// @ts-ignore: decorator
@inline function popsSlot(d: Domain, o: u32, k: u32): usize {
  return changetype<usize>(d) + offsetof<Domain>("reclaimPops0") + ((<usize>o * (RECLAIM_HORIZON - 1) + <usize>k) << 2);
}
// @ts-ignore: decorator
@inline function markSlot(d: Domain, o: u32): usize {
  return changetype<usize>(d) + offsetof<Domain>("reclaimMark0") + (<usize>o << 2);
}

/** Depot magazines this instance's slices emptied and retired (per thread: only for counting a call's work). */
export let slicesRetired: u32 = 0;

/** No slice pending at start: every order's sweep is done, no magazine in hand. */
export function initReclaim(d: Domain): void {
  d.reclaimSlice = d.magSize;  // the host sets the policy's slice (setReclaimSlice)
  for (let o: u32 = 0; o < ORDERS; o++) {
    store<u32>(cpuSlot(d, o), d.cpus);
    store<u32>(markSlot(d, o), 0);
    for (let k: u32 = 0; k + 1 < RECLAIM_HORIZON; k++) store<u32>(popsSlot(d, o, k), 0);
  }
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
  let low = dp.lowWater < dp.size ? dp.lowWater : dp.size;
  // A reserve for the load's recent peak demand: the most magazines it took
  // from the depot in one interval over the horizon. Only what the depot
  // kept beyond that reserve all interval long is surplus.
  let pops = <u32>dp.pops - load<u32>(markSlot(d, o));  // wraps as the counter's low bits do
  store<u32>(markSlot(d, o), <u32>dp.pops);
  let peak = pops;
  for (let k: u32 = 0; k + 1 < RECLAIM_HORIZON; k++) {
    let past = load<u32>(popsSlot(d, o, k));
    if (past > peak) peak = past;
  }
  for (let k: u32 = RECLAIM_HORIZON - 2; k > 0; k--) store<u32>(popsSlot(d, o, k), load<u32>(popsSlot(d, o, k - 1)));
  store<u32>(popsSlot(d, o, 0), pops);
  let surplus = low > peak ? low - peak : 0;
  dp.reclaimDebt = surplus;
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

/**
 * The idle cache's magazines go to its order's depot, each replaced by an
 * empty one (the CPU keeps its two slots). Callers hold reclaimLock and c's lock.
 */
function cacheToDepot(d: Domain, c: CpuCache, o: u32): void {
  let dp = depotAt(d, o);
  let loaded = magEmpty(d, c.loaded) ? 0 : c.loaded;
  let prev = magEmpty(d, c.prev) ? 0 : c.prev;
  lock(d, depotLockAddr(dp), selfId);
  if (loaded != 0) depotPush(d, dp, loaded);
  if (prev != 0) depotPush(d, dp, prev);  // on top: the fuller one is popped first
  unlock(depotLockAddr(dp));
  // An exhausted slab leaves the slot 0: the fast path refills such a slot (cacheGive).
  if (loaded != 0) c.loaded = magAlloc(d);
  if (prev != 0) c.prev = magAlloc(d);
}

/**
 * The CPU sweep of order o: every cache that saw no allocation or free since
 * the sweep last looked at it hands its magazines to the depot
 * (cacheToDepot). They do not go to the tree from here: on a load whose
 * frees land on CPUs that are busy only now and then (the study's merged
 * default: the completion CPUs), such a cache idles for an interval or more
 * and its pfns are soon wanted again by the CPUs that allocate, which take
 * full magazines from the depot. Freed to the tree, they came back as tree
 * allocations, and each free above the tree's cached node sent the next
 * too-big map's walk through every cached pfn's node (4.7 ms against
 * linux-6.4's 460 us, docs/adaptive-policy.md). In the depot they are
 * surplus only if the load leaves them there for a whole interval: then
 * the depot's working-set rule returns them in slices like any other
 * magazine, so a cache stranded by a migration still goes back, one
 * interval later. Moving a magazine takes no tree lock, so the sweep is
 * not sliced: it returns 0. Callers hold reclaimLock.
 */
function cpuSlice(d: Domain, o: u32): u32 {
  let cpu = load<u32>(cpuSlot(d, o));
  for (; cpu < d.cpus; cpu++) {
    let c = cpuCacheAt(d, cpu, o);
    let addr = cpuCacheLockAddr(c);
    lock(d, addr, selfId);
    let ops = c.hits + c.misses + c.inserts + c.insertFails;
    // Idle over the same horizon as the depot's demand: RECLAIM_HORIZON sweeps running.
    c.idleSweeps = ops == c.seenOps ? c.idleSweeps + 1 : 0;
    if (c.idleSweeps >= <u64>CPU_IDLE_SWEEPS && !(magEmpty(d, c.loaded) && magEmpty(d, c.prev))) cacheToDepot(d, c, o);
    c.seenOps = ops;
    unlock(addr);
  }
  store<u32>(cpuSlot(d, o), cpu);
  return 0;
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
