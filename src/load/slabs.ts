// The slabs of a load's domain, sized once for both clocks (the simulator's
// resolveSimOptions and the fio runner's plan): room for every IOVA in
// flight, every flush queue full, and the most the caches can hold under the
// policy (magazineBound). Both are limits, not allocations: the slab grows
// with use (docs/architecture.md), and running out is reported by the books.
import { MAX_RANGES } from "../domain/iova-domain.js";
import { geometryOf, magazineBound, type DepotPolicy } from "../domain/policy.js";

export interface LoadSlabs {
  maxRanges: number;
  maxMagazines: number;
}

/**
 * Slabs for `inFlightIovas` IOVAs mapped at once on `cpus` CPUs with flush
 * queues of `fqSize` entries; `maxMagazines` when the caller chose it.
 */
export function loadSlabs(policy: DepotPolicy, cpus: number, inFlightIovas: number, fqSize: number,
  maxMagazines = magazineBound(geometryOf(policy, cpus), cpus)): LoadSlabs {
  const geo = geometryOf(policy, cpus);
  // 4096: the anchor, the reserved windows and a margin.
  const maxRanges = Math.min(MAX_RANGES, inFlightIovas + cpus * fqSize + maxMagazines * geo.magazineSize + 4096);
  return { maxRanges, maxMagazines };
}
