// The books of a load's domain once its I/Os are done, as both clocks check
// them (the simulator's drain, the real-clock fio run's end): the core's
// verdict (assembly/iommu/books.ts, through DmaPath.books: every tree range
// reserved, mapped by one of the `live` IOVAs or cached; no flush-queue
// entry left; the tree sound) and a node slab that never ran out. Each clock
// adds what only it can see (rings, in-flight counts) to the same list.
import type { DmaPath } from "../domain/dma.js";
import type { IovaDomain } from "../domain/iova-domain.js";

/** The problems, in words ([] when the books balance); `slabFullBefore`: the slab's count at the load's start. */
export function loadBooksProblems(domain: IovaDomain, dma: DmaPath, live: number, slabFullBefore = 0): string[] {
  const problems: string[] = [];
  const core = dma.books(live);
  if (!core.ok) problems.push(`books: ${core.problem}`);
  const slabFull = domain.stats().slabFull - slabFullBefore;
  if (slabFull > 0) problems.push(`the node slab ran out ${slabFull} times (raise maxRanges)`);
  return problems;
}
