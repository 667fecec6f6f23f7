// Kernel eras: which drivers/iommu/iova.c a domain behaves as (the tree's
// retry and max32_alloc_size reset, the flush path of alloc_iova_fast).
// The behaviour lives in the core (assembly/era.ts); here are the names,
// the codes stored in the domain header, and each policy's own era.
import { InvalidArgumentError } from "../errors.js";
import { codes, type MemberOf } from "../wasm/codes.js";
import type { DepotPolicy } from "./policy.js";

export const ERAS = ["v5.10", "v5.11", "v6.x"] as const;
export type KernelEra = (typeof ERAS)[number];

/** Each era's member of the core's Era enum (assembly/era.ts), whose number the domain header stores. */
const ERA_MEMBER: Record<KernelEra, MemberOf<"Era">> = { "v5.10": "V5_10", "v5.11": "V5_11", "v6.x": "V6_X" };

/** The number the domain header stores for an era. */
export function eraCode(era: KernelEra): number {
  return codes().Era[ERA_MEMBER[era]];
}

/**
 * The kernel each policy comes from: linux-5.10 is v5.10's iova.c, and
 * scaled-depot is a remedy proposed against it; cpu-flush is the 2020
 * series, posted against v5.11-rc; linux-6.4 (the v6.7+ depot) and adaptive
 * (built on it) run on today's tree. A domain without caches: v6.x.
 */
export const POLICY_ERA: Record<DepotPolicy | "tree-only", KernelEra> = {
  "linux-5.10": "v5.10", "scaled-depot": "v5.10", "cpu-flush": "v5.11",
  "linux-6.4": "v6.x", adaptive: "v6.x", "tree-only": "v6.x",
};

export function eraArg(v: unknown): KernelEra {
  if (typeof v !== "string" || !(ERAS as readonly string[]).includes(v)) {
    throw new InvalidArgumentError("era", v, `must be one of ${ERAS.join(", ")}`);
  }
  return v as KernelEra;
}

/** The era a code read back from the domain header stands for. */
export function eraOfCode(code: number): KernelEra {
  const era = ERAS.find((e) => eraCode(e) === code);
  if (!era) throw new Error(`iova-wasm: the domain header holds unknown era code ${code}`);
  return era;
}
