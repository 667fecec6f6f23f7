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
}

/**
 * v5.10 and the 2020 series: 128-pfn magazines, 32 per depot. scaled-depot:
 * the review's remedy, the bound grown with the CPU count (32 per 8 CPUs,
 * never below 32) so that every CPU can park a few magazines. v6.7+ (called
 * linux-6.4 here, as in the traces): 127-pfn magazines (the struct fits a
 * 1 KiB slab), unbounded depot. adaptive: as v6.7 for the shape.
 */
export function geometryOf(policy: DepotPolicy, cpus: number): CacheGeometry {
  switch (policy) {
    case "linux-5.10":
    case "cpu-flush":
      return { magazineSize: 128, depotMax: MAX_GLOBAL_MAGS };
    case "scaled-depot":
      return { magazineSize: 128, depotMax: Math.max(MAX_GLOBAL_MAGS, 4 * cpus) };
    case "linux-6.4":
    case "adaptive":
      return { magazineSize: 127, depotMax: Infinity };
  }
}

export function policyArg(v: unknown): DepotPolicy {
  if (typeof v !== "string" || !(POLICIES as readonly string[]).includes(v)) {
    throw new InvalidArgumentError("policy", v, `must be one of ${POLICIES.join(", ")}`);
  }
  return v as DepotPolicy;
}

/**
 * adaptive: how often its working-set reclaim runs (ms of the domain clock).
 * Measured with the aging study (docs/adaptive-policy.md): 250 ms held peak
 * cached pfns to about a third of linux-6.4's at the same IOPS; 1000 ms to
 * about 60%.
 */
export const ADAPTIVE_RECLAIM_MS = 250;
