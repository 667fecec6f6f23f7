// The per-order depot of full magazines, and what each policy does with it.
//
// One representation serves every policy: a LIFO list linked through
// Magazine.next. The v5.10 bounded array pushed and popped at its end, the
// v6.7+ list at its head; both are LIFO, so the order of pops is the same.
//
// What each policy does differently is the table of policy.ts; here it
// shows in two places:
//  - depotFull(): whether a full magazine may be pushed (bounded depots say no);
//  - depotArm() and the clock (tick.ts): v6.4's delayed work returns one
//    magazine per 100 ms while the depot holds more than one per CPU
//    (depotWork here); adaptive's working-set reclaim is reclaim.ts
//    (docs/adaptive-policy.md).

import { Domain, Depot, depotAt, depotLockAddr, depotShortAddr, magAt, magsToTreeAddr } from "../layout";
import { lock, unlock, holds } from "../lock";
import { DEBUG } from "../debug";
import { selfId } from "../self";
import { magFree, magFreePfns } from "./magazine";
import { boundedDepot, hasDelayedWork } from "./policy";
import { atomicAdd, atomicSub } from "../atomics";

/** IOVA_DEPOT_DELAY: 100 ms between runs of the v6.4 depot work. */
// @ts-ignore: decorator
@inline export const DEPOT_DELAY_MS: u64 = 100;

/** Callers hold the depot lock. */
export function depotPush(d: Domain, dp: Depot, m: u32): void {
  if (DEBUG) assert(holds(depotLockAddr(dp)) && m != 0, "depotPush: a real magazine, under the depot lock");
  let M = magAt(d, m);
  M.next = dp.head;
  dp.head = m;
  dp.size++;
  dp.pushes++;
  if (M.size != d.magSize) atomicAdd<u32>(depotShortAddr(d, dp), d.magSize - M.size);
}

/** Callers hold the depot lock; the depot is not empty. */
export function depotPop(d: Domain, dp: Depot): u32 {
  if (DEBUG) assert(holds(depotLockAddr(dp)) && dp.size > 0, "depotPop: a non-empty depot, under its lock");
  let m = dp.head;
  let M = magAt(d, m);
  dp.head = M.next;
  M.next = 0;
  dp.size--;
  dp.pops++;
  if (M.size != d.magSize) atomicSub<u32>(depotShortAddr(d, dp), d.magSize - M.size);
  if (dp.size < dp.lowWater) dp.lowWater = dp.size;
  return m;
}

/** Does this policy refuse a push now? (Callers hold the depot lock.) */
// @ts-ignore: decorator
@inline export function depotFull(d: Domain, dp: Depot): bool {
  return boundedDepot(d) && dp.size >= d.depotMax;
}

/** After a push: arm the policy's timer if it has one and it is idle. */
// @ts-ignore: decorator
@inline export function depotArm(d: Domain, dp: Depot): void {
  if (hasDelayedWork(d) && dp.workDue == 0) dp.workDue = d.clockMs + DEPOT_DELAY_MS;
}

/** Frees a magazine that left the depot: its pfns to the tree, itself to the slab. */
export function retireMagazine(d: Domain, dp: Depot, m: u32): void {
  magFreePfns(d, m);
  magFree(d, m);
  atomicAdd<u64>(magsToTreeAddr(dp), 1);
}

/** One run of iova_depot_work_func for an order. True if it freed a magazine. */
export function depotWork(d: Domain, order: u32): bool {
  let dp = depotAt(d, order);
  lock(d, depotLockAddr(dp), selfId);
  let m: u32 = 0;
  if (dp.size > d.cpus) m = depotPop(d, dp);
  // The kernel frees the magazine after unlocking; here it is freed under the
  // depot lock, so that a worker terminated mid-work cannot lose it (see
  // cacheGive in rcache.ts).
  if (m != 0) retireMagazine(d, dp, m);
  unlock(depotLockAddr(dp));
  return m != 0;
}
