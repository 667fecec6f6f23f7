// Depot policies: what each one does differently. One cache implementation
// serves every policy; the policy is a Domain field (Policy.* of layout.ts,
// written once by domainInit), and each place where the policies differ
// asks one of the predicates below, as the kernel eras do (era.ts). So the
// differences between the policies stand in this one table:
//
// | predicate          | tree-only | linux-5.10 | cpu-flush | scaled-depot | linux-6.4 | adaptive |
// | ------------------ | --------- | ---------- | --------- | ------------ | --------- | -------- |
// | cachesRanges       | no        | yes        | yes       | yes          | yes       | yes      |
// | boundedDepot       | -         | yes        | yes       | yes          | no        | no       |
// | refusesWhenFull    | -         | no         | yes       | no           | no        | no       |
// | hasDelayedWork     | -         | no         | no        | no           | yes       | no       |
// | reclaimsWorkingSet | -         | no         | no        | no           | no        | yes      |
// | arrayDepot         | -         | yes        | yes       | yes          | no        | no       |
//
// The geometry (magazine size, the depot's bound) is the host's, per policy:
// src/domain/policy.ts.

import { Domain, Policy } from "../layout";

/** Per-CPU magazines and depots at all: tree-only has none. */
// @ts-ignore: decorator
@inline export function cachesRanges(d: Domain): bool {
  return d.policy != Policy.TREE_ONLY;
}

/** A push finds the depot full at depotMax magazines (v5.10's array); v6.7's list depot is unbounded. */
// @ts-ignore: decorator
@inline export function boundedDepot(d: Domain): bool {
  return d.policy != Policy.LINUX_64 && d.policy != Policy.ADAPTIVE;
}

/**
 * The 2020 "Solve longterm IOVA issue" series (cpu-flush): with the depot
 * full, the insert is refused (the pfn goes to the tree) instead of sending
 * the full loaded magazine to the tree, and a refused insert flushes every
 * CPU's magazines.
 */
// @ts-ignore: decorator
@inline export function refusesWhenFull(d: Domain): bool {
  return d.policy == Policy.CPU_FLUSH;
}

/** v6.4+ iova_depot_work_func: a push arms a delayed work that returns a magazine every IOVA_DEPOT_DELAY. */
// @ts-ignore: decorator
@inline export function hasDelayedWork(d: Domain): bool {
  return d.policy == Policy.LINUX_64;
}

/** adaptive's working-set reclaim (reclaim.ts, docs/adaptive-policy.md) on the domain clock. */
// @ts-ignore: decorator
@inline export function reclaimsWorkingSet(d: Domain): bool {
  return d.policy == Policy.ADAPTIVE;
}

/**
 * The v5.10 depot is an array: free_global_cached_iovas frees depot[0..n),
 * oldest first. The v6.7 list pops newest first. (Pushes and pops are LIFO
 * in both, depot.ts.)
 */
// @ts-ignore: decorator
@inline export function arrayDepot(d: Domain): bool {
  return boundedDepot(d);
}
