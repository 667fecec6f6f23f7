// Adaptive's working-set reclaim, returned to the tree in slices
// (docs/adaptive-policy.md).
//
// Every reclaim interval, per order (reclaimInterval):
//  - the depot's surplus is what it kept unused through the interval that
//    just ended and the one before: the lesser of the two intervals' fewest
//    magazines (lowWater). That is Solaris kmem's working-set reap
//    (kmem_depot_ws_reap: MIN(ml_reaplimit, ml_min)). Less a reserve of the
//    load's recent pops it becomes the debt; but up to as many magazines as
//    the CPU sweep handed in over the two intervals go back without a
//    reserve (what idle caches brought in is not the load's draw);
//  - a sweep of the CPU caches starts: a cache that saw no allocation or
//    free for CPU_IDLE_MS (mm/slab.c's REAPTIMEOUT_AC) hands its magazines to the depot
//    (cpuSlice), where the depot's rule sees them like any other. Only the
//    2 s period is slab's: its drain_array frees at most (limit + 4) / 5 of
//    an untouched array per reap (half, if it holds fewer); handing over
//    both whole magazines at once is our choice.
// The depot's debt then goes back a slice at a time (reclaimSlice): at most
// d.reclaimSlice pfns per hold of the tree lock, so that no map waits
// behind a whole reclaim, only behind one slice. The clock paces the slices
// (reclaimBudget): one per ms of the domain clock.
//
// Lock order: reclaimLock (outermost, only the clock's work takes it). The
// sweep nests in it a CPU cache lock, then the slab lock (the empties it
// swaps in), let go before the depot lock (the pushes). A slice takes the
// depot lock, lets it go, then takes the tree lock (and the slab lock to
// free a magazine it emptied).

import { Domain, CpuCache, ORDERS, cpuCacheAt, cpuCacheLockAddr, depotAt, depotLockAddr, depotShortAddr, orderSlotAddr, reclaimLockAddr } from "../layout";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { magAlloc, magFreeKeepingStart, magEmpty, magSize } from "./magazine";
import { depotPop, depotPush, retireMagazine } from "./depot";
import { atomicLoad, atomicStore } from "../atomics";

// @ts-ignore: decorator
@inline function magSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimMag0"), o);
}
// @ts-ignore: decorator
@inline function cpuSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimCpu0"), o);
}

// @ts-ignore: decorator
@inline function markSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimMark0"), o);
}
// @ts-ignore: decorator
@inline function popsSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimPops0"), o);
}
// @ts-ignore: decorator
@inline function lowSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimLow0"), o);
}
// @ts-ignore: decorator
@inline function givenSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimGiven0"), o);
}
// @ts-ignore: decorator
@inline function givenBeforeSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimGivenBefore0"), o);
}
// @ts-ignore: decorator
@inline function heldLowSlot(d: Domain, o: u32): usize {
  return orderSlotAddr(d, offsetof<Domain>("reclaimHeldLow0"), o);
}

/**
 * How long a CPU cache must see no allocation or free before the sweep
 * hands its magazines to the depot: REAPTIMEOUT_AC (2 * HZ), the period
 * after which mm/slab.c's cache_reap drains a per-CPU array cache that was
 * not touched since it last looked ("fewer reaps means less probability
 * for unnecessary cpucache drain/refill cycles").
 */
// @ts-ignore: decorator
@inline const CPU_IDLE_MS: u64 = 2000;

/** Depot magazines this instance's slices emptied and retired (per thread: only for counting a call's work). */
export let slicesRetired: u32 = 0;

/** No slice pending at start: every order's sweep is done, no magazine in hand. */
export function initReclaim(d: Domain): void {
  d.reclaimSlice = d.magSize;  // the host sets the policy's slice (setReclaimSlice)
  d.reclaimHandoffs = 0;
  for (let o: u32 = 0; o < ORDERS; o++) {
    store<u32>(cpuSlot(d, o), d.cpus);
    store<u32>(lowSlot(d, o), 0);  // no interval before the first: nothing is surplus at its end
    store<u32>(markSlot(d, o), 0);
    store<u32>(popsSlot(d, o), 0);
    store<u32>(givenSlot(d, o), 0);
    store<u32>(givenBeforeSlot(d, o), 0);
    store<u32>(heldLowSlot(d, o), 0);
    store<u32>(depotShortAddr(d, depotAt(d, o)), 0);
  }
}

/** pfns of order o on their way back: the depot magazine being returned slice by slice. */
export function reclaimingPfns(d: Domain, o: u32): u32 {
  return magSize(d, atomicLoad<u32>(magSlot(d, o)));
}

/** The interval's end for order o: the depot's surplus becomes its debt, and a CPU sweep starts. */
export function reclaimInterval(d: Domain, o: u32): void {
  lock(d, reclaimLockAddr(d), selfId);
  let dp = depotAt(d, o);
  lock(d, depotLockAddr(dp), selfId);
  // kmem_depot_ws_update and kmem_depot_ws_reap at once: reaplimit is the
  // interval before's low water, min this one's; only the lesser was never
  // needed across both. Replaces, not adds: magazines still owed sat in the
  // depot all along, so the low waters count them again.
  let low = dp.lowWater < dp.size ? dp.lowWater : dp.size;
  let before = load<u32>(lowSlot(d, o));
  let unused = low < before ? low : before;
  store<u32>(lowSlot(d, o), low);
  // Of those, a reserve stays: the most magazines the load took from the
  // depot in one of the same two intervals (chosen among the variants
  // tried, by measurement: docs/adaptive-policy.md). kmem reaps only under memory
  // pressure; this reaps every interval, so it keeps what one interval's
  // demand takes. Gross demand (pops), not the net draw: the pushes come in
  // bursts (a completion CPU frees only when it runs the flush queue's
  // timer), so between two bursts the depot alone serves the CPUs that
  // allocate. Returned, those magazines would come back as tree
  // allocations, and every cached pfn freed above the tree's cached node
  // sends the next too-big walk through the cached nodes
  // (docs/adaptive-policy.md).
  let pops = <u32>dp.pops - load<u32>(markSlot(d, o));  // wraps as the counter's low bits do
  store<u32>(markSlot(d, o), <u32>dp.pops);
  let popsBefore = load<u32>(popsSlot(d, o));
  store<u32>(popsSlot(d, o), pops);
  let reserve = pops > popsBefore ? pops : popsBefore;
  let debt = unused > reserve ? unused - reserve : 0;
  // No reserve for what the CPU sweep handed in over the same two intervals:
  // those magazines come from caches the load left for REAPTIMEOUT_AC, not
  // from its own frees, so kmem's rule alone decides (of the magazines
  // unused through both intervals, up to as many as the sweep brought in go
  // back, each counted once, the oldest first). The load's pops cover any
  // depot of the migrating study (each job CPU pops a magazine every 127
  // maps), so without this nothing a migration stranded ever went back:
  // every time the stranded caches left the depot empty, the jobs' new CPUs
  // allocated from the tree, and the depot kept those pfns for good once
  // the sweep returned the stranded ones (docs/adaptive-policy.md). Where
  // no CPU idles 2 s, this is 0.
  let givenNow = load<u32>(givenSlot(d, o));
  let givenBefore = load<u32>(givenBeforeSlot(d, o));
  let given = givenNow + givenBefore;
  let idle = unused < given ? unused : given;
  let fromBefore = idle < givenBefore ? idle : givenBefore;
  store<u32>(givenBeforeSlot(d, o), givenNow - (idle - fromBefore));  // what stays countable at the next end
  store<u32>(givenSlot(d, o), 0);
  dp.reclaimDebt = debt > idle ? debt : idle;
  dp.lowWater = dp.size;   // the next interval starts from what is there
  store<u32>(heldLowSlot(d, o), dp.size + 1);  // and a magazine in hand, if one is, with it
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
      store<u32>(heldLowSlot(d, o), dp.lowWater);  // depotPop lowers it for this one
      m = depotPop(d, dp);
      dp.reclaimDebt--;
      // Not the load's demand: the interval's pops are counted from past this one.
      store<u32>(markSlot(d, o), load<u32>(markSlot(d, o)) + 1);
    } else {
      dp.reclaimDebt = 0;  // the load took what was owed
    }
    unlock(depotLockAddr(dp));
    if (m == 0) return 0;
    atomicStore<u32>(magSlot(d, o), m);
  }
  // Only pfns whose free leaves the tree's walks where they start
  // (magFreeKeepingStart): a cached pfn freed above the cached node sent the
  // next too-big map through every node in between (docs/adaptive-policy.md).
  let n = magFreeKeepingStart(d, m, d.reclaimSlice);
  if (magEmpty(d, m)) {
    atomicStore<u32>(magSlot(d, o), 0);
    retireMagazine(d, dp, m);  // empty now: only the magazine itself goes back
    slicesRetired++;
  } else if (n < d.reclaimSlice) {
    // What is left would move the walks' start: it stays cached, back in the
    // depot, and so does the rest of this order's debt (the next interval's
    // end looks again; popping the same magazine again would find the same).
    atomicStore<u32>(magSlot(d, o), 0);
    lock(d, depotLockAddr(dp), selfId);
    // Back whole: the load's low water is what it was with this magazine
    // there all along, the fewest before the pop or one more than since;
    // else the next interval's surplus would be one magazine short.
    let since = dp.lowWater + 1;
    let before = load<u32>(heldLowSlot(d, o));
    dp.lowWater = before < since ? before : since;
    depotPush(d, dp, m);
    dp.reclaimDebt = 0;
    unlock(depotLockAddr(dp));
  }
  return n;
}

/**
 * The idle cache's magazines go to its order's depot, each replaced by an
 * empty one, so the CPU keeps its two slots. The empties are taken first
 * (the slab has its own lock); the pushes and the swaps then happen under
 * the depot lock with no lock event between them, so no magazine is ever
 * both in the depot and in a slot (rcache.ts's cacheGive does the same). A
 * magazine whose empty the slab cannot give stays where it is. Callers hold
 * reclaimLock and c's lock.
 */
function cacheToDepot(d: Domain, c: CpuCache, o: u32): void {
  let dp = depotAt(d, o);
  let forLoaded = magEmpty(d, c.loaded) ? 0 : magAlloc(d);
  let forPrev = magEmpty(d, c.prev) ? 0 : magAlloc(d);
  lock(d, depotLockAddr(dp), selfId);
  let given: u32 = 0;
  if (forLoaded != 0) { depotPush(d, dp, c.loaded); c.loaded = forLoaded; given++; }
  if (forPrev != 0) { depotPush(d, dp, c.prev); c.prev = forPrev; given++; }  // on top: the fuller one is popped first
  unlock(depotLockAddr(dp));
  d.reclaimHandoffs += given;
  store<u32>(givenSlot(d, o), load<u32>(givenSlot(d, o)) + given);  // reclaimLock guards it
}

/**
 * The CPU sweep of order o: every cache that saw no allocation or free over
 * CPU_IDLE_MS hands its magazines to the depot
 * (cacheToDepot). They do not go to the tree from here: on a load whose
 * frees land on CPUs that are busy only now and then (the study's merged
 * default: a completion CPU frees only when it runs the flush queue's timer),
 * such a cache idles for an interval or more and its pfns are soon wanted
 * again by the CPUs that allocate. Freed to the tree, they came back as tree
 * allocations, and each free above the tree's cached node sent the next
 * too-big map's walk through every cached pfn's node (4.7 ms against
 * linux-6.4's 460 us, docs/adaptive-policy.md). In the depot they are
 * surplus only if the load leaves them there through two intervals: then
 * the depot's working-set rule returns them in slices like any other
 * magazine, so a cache stranded by a migration still goes back. Moving a
 * magazine takes no tree lock, so the sweep is not sliced: it returns 0.
 * Callers hold reclaimLock.
 */
function cpuSlice(d: Domain, o: u32): u32 {
  let cpu = load<u32>(cpuSlot(d, o));
  for (; cpu < d.cpus; cpu++) {
    let c = cpuCacheAt(d, cpu, o);
    let addr = cpuCacheLockAddr(c);
    lock(d, addr, selfId);
    let ops = c.hits + c.misses + c.inserts + c.insertFails;
    if (ops != c.seenOps) {
      c.seenOps = ops;
      c.busyMs = d.clockMs;
    } else if (d.clockMs - c.busyMs >= CPU_IDLE_MS && !(magEmpty(d, c.loaded) && magEmpty(d, c.prev))) {
      cacheToDepot(d, c, o);
    }
    unlock(addr);
  }
  store<u32>(cpuSlot(d, o), cpu);
  return 0;
}

/**
 * One slice of reclaim: at most d.reclaimSlice pfns to the tree, in one hold
 * of the tree lock, from the next order (round robin) whose depot owes
 * some. An order with no debt runs its CPU sweep instead (cpuSlice), which
 * frees nothing to the tree. Returns the pfns freed: 0 when no depot owes
 * anything, though the sweeps may have handed magazines to the depots.
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
    atomicStore<u32>(magSlot(d, o), 0);
    retireMagazine(d, depotAt(d, o), m);
  }
  unlock(reclaimLockAddr(d));
}
