// The domain clock: what each policy does as time passes, off the hot path,
// on whichever CPU advances the clock (a kworker in the simulator).
//  - linux-6.4: each order's delayed work (depotWork) runs IOVA_DEPOT_DELAY
//    after a push armed it and re-queues itself while it frees;
//  - adaptive: every reclaim interval, each order's surplus is found
//    (reclaimInterval), then returned to the tree in slices (reclaimSlice),
//    one per ms of the clock (reclaimBudget).

import { Domain, Depot, ORDERS, depotAt, depotLockAddr } from "../layout";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { DEPOT_DELAY_MS, depotWork } from "./depot";
import { reclaimInterval, reclaimBudget, reclaimSlice, slicesRetired } from "./reclaim";
import { hasDelayedWork, reclaimsWorkingSet } from "./policy";

/** Claims the depot's timer if it is due: clears it and returns true. */
function claimDue(d: Domain, dp: Depot, nowMs: u64): bool {
  lock(d, depotLockAddr(dp), selfId);
  let due = dp.workDue;
  let claimed = due != 0 && nowMs >= due;
  if (claimed) dp.workDue = 0;
  unlock(depotLockAddr(dp));
  return claimed;
}

/** Re-arms the depot's timer unless someone armed it meanwhile. */
function rearm(d: Domain, dp: Depot, at: u64): void {
  lock(d, depotLockAddr(dp), selfId);
  if (dp.workDue == 0) dp.workDue = at;
  unlock(depotLockAddr(dp));
}

/**
 * Advances the domain clock to nowMs and runs the timers that fell due
 * (linux-6.4's depot work; adaptive's interval ends), but none of
 * adaptive's slices. Returns magazines freed to the tree.
 */
export function depotTimers(d: Domain, nowMs: u64, intervalMs: u64): u32 {
  if (nowMs > d.clockMs) d.clockMs = nowMs;
  let freed: u32 = 0;
  for (let o: u32 = 0; o < ORDERS; o++) {
    let dp = depotAt(d, o);
    if (hasDelayedWork(d)) {
      if (claimDue(d, dp, nowMs) && depotWork(d, o)) {
        freed++;
        rearm(d, dp, nowMs + DEPOT_DELAY_MS);  // the work re-queues itself after freeing one
      }
    } else if (reclaimsWorkingSet(d)) {
      if (claimDue(d, dp, nowMs)) reclaimInterval(d, o);
      rearm(d, dp, nowMs + intervalMs);
    }
  }
  return freed;
}

/** Slices the clock allows now (adaptive; 0 under other policies). */
export function depotSlicesDue(d: Domain, nowMs: u64, intervalMs: u64): u32 {
  return reclaimsWorkingSet(d) ? reclaimBudget(d, nowMs, intervalMs) : 0;
}

/** The timers, then the slices that are due, each its own hold of the tree lock. Returns depot magazines freed to the tree. */
export function depotTick(d: Domain, nowMs: u64, intervalMs: u64): u32 {
  let freed = depotTimers(d, nowMs, intervalMs);
  let retired0 = slicesRetired;
  let n = depotSlicesDue(d, nowMs, intervalMs);
  for (let i: u32 = 0; i < n; i++) if (reclaimSlice(d) == 0) break;
  return freed + (slicesRetired - retired0);
}
