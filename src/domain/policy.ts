// Depot policies and the cache geometry each one implies.
import { InvalidArgumentError } from "../errors.js";
import { codes, type MemberOf } from "../wasm/codes.js";
import type { WasmModule } from "../wasm/types.js";

export const POLICIES = ["linux-5.10", "cpu-flush", "scaled-depot", "linux-6.4", "adaptive"] as const;
export type DepotPolicy = (typeof POLICIES)[number];

/** Each policy's member of the core's Policy enum (assembly/layout.ts), whose number the domain header stores. */
const POLICY_MEMBER: Record<DepotPolicy | "tree-only", MemberOf<"Policy">> = {
  "tree-only": "TREE_ONLY", "linux-5.10": "LINUX_510", "cpu-flush": "CPU_FLUSH", "scaled-depot": "SCALED_DEPOT",
  "linux-6.4": "LINUX_64", adaptive: "ADAPTIVE",
};

/** The number the domain header stores for a policy (as `module` numbers it; default: this thread's). */
export function policyCode(policy: DepotPolicy | "tree-only", module?: WasmModule): number {
  return codes(module).Policy[POLICY_MEMBER[policy]];
}

/** MAX_GLOBAL_MAGS of v5.10: the bounded depot's size per order. */
export const MAX_GLOBAL_MAGS = 32;

export interface CacheGeometry {
  /** pfns per magazine: IOVA_MAG_SIZE. */
  magazineSize: number;
  /** Bound on full magazines per order's depot (Infinity: unbounded). */
  depotMax: number;
  /**
   * Most pfns a reclaim frees per hold of the tree lock. The kernel's
   * policies free whole magazines (iova_magazine_free_pfns takes the lock
   * once per magazine): magazineSize. adaptive: ADAPTIVE_SLICE_PFNS.
   */
  reclaimSlicePfns: number;
}

/**
 * v5.10 and the 2020 series: 128-pfn magazines, 32 per depot. scaled-depot:
 * the review's remedy, the bound grown with the CPU count (32 per 8 CPUs,
 * never below 32) so that every CPU can park a few magazines. v6.7+ (called
 * linux-6.4 here, as in the traces): 127-pfn magazines (the struct fits a
 * 1 KiB slab), unbounded depot. adaptive: as v6.7 for the shape, and its
 * reclaim returns pfns in slices.
 */
export function geometryOf(policy: DepotPolicy, cpus: number): CacheGeometry {
  switch (policy) {
    case "linux-5.10":
    case "cpu-flush":
      return { magazineSize: 128, depotMax: MAX_GLOBAL_MAGS, reclaimSlicePfns: 128 };
    case "scaled-depot":
      return { magazineSize: 128, depotMax: Math.max(MAX_GLOBAL_MAGS, 4 * cpus), reclaimSlicePfns: 128 };
    case "linux-6.4":
      return { magazineSize: 127, depotMax: Infinity, reclaimSlicePfns: 127 };
    case "adaptive":
      return { magazineSize: 127, depotMax: Infinity, reclaimSlicePfns: ADAPTIVE_SLICE_PFNS };
  }
}

/**
 * Full magazines per order that a slab sized by default makes room for in
 * an unbounded depot (v6.7+: linux-6.4 and adaptive; the kernel bounds it
 * only by memory). 1024, because the thread's caches held 87,008 pfns after
 * 83,483 s (docs/aging.md, "thread vs this run"): as full 127-pfn magazines
 * in one order's depot that is 686 magazines, which 256 would not hold. The
 * slab grows with use (docs/architecture.md), so the bound costs address
 * space (1 KiB per magazine), not memory, until the depots really fill.
 */
export const UNBOUNDED_DEPOT_ROOM = 1024;

/**
 * The magazines of a domain's slab by default: every CPU's two per order
 * (loaded and prev), every order's depot full (the policy's bound, or a
 * smaller depotMax; UNBOUNDED_DEPOT_ROOM when unbounded) and a margin of
 * 16. The one sizing IovaDomain, the simulator and the fio runner share.
 */
export function magazineBound(geo: CacheGeometry, cpus: number, depotMax = geo.depotMax): number {
  const perOrder = Number.isFinite(geo.depotMax) ? Math.min(depotMax, 1 << 20) : UNBOUNDED_DEPOT_ROOM;
  const { ORDERS } = codes();
  return cpus * 2 * ORDERS + ORDERS * perOrder + 16;
}

export function policyArg(v: unknown): DepotPolicy {
  if (typeof v !== "string" || !(POLICIES as readonly string[]).includes(v)) {
    throw new InvalidArgumentError("policy", v, `must be one of ${POLICIES.join(", ")}`);
  }
  return v as DepotPolicy;
}

/**
 * adaptive: how often its working-set reclaim runs (ms of the domain clock).
 * Chosen by measurement on an earlier model of the aging study (250 ms held
 * peak cached pfns to about a third of linux-6.4's; 1000 ms to about 60%),
 * so a figure taken from a result; with the present rules (a depot magazine
 * goes after two intervals unused beyond the load's recent pops, an idle CPU
 * cache after mm/slab.c's 2 s) the study's default gives the same run at
 * 100, 250, 1000 and 2000 ms (docs/adaptive-policy.md).
 */
export const ADAPTIVE_RECLAIM_MS = 250;

/**
 * adaptive: most pfns its reclaim returns to the tree per hold of the tree
 * lock (one slice; the clock allows one slice per ms). SWAP_CLUSTER_MAX, the
 * kernel's own batch for reclaim under a hot lock: mm/vmscan.c's
 * shrink_lruvec() takes min(nr[lru], SWAP_CLUSTER_MAX) pages per round,
 * isolated under one hold of the LRU lock, and cond_resched()s between
 * rounds. At the study's cold-tree cost of a free (1.15 us per pfn,
 * src/study/costs.ts) a slice holds the lock for about 37 us, a quarter of
 * the whole-magazine hold (127 pfns, 146 us) that linux-6.4's depot work
 * and every kernel magazine free take; at one slice per ms the reclaim
 * takes at most 3.7% of the tree lock (docs/adaptive-policy.md).
 */
export const ADAPTIVE_SLICE_PFNS = 32;
