// Kernel eras: which drivers/iommu/iova.c this domain behaves as. One tree
// and one cache implementation serve every era; the era is a Domain field,
// and each place where the kernels differ asks one of the predicates below.
// Each predicate names the upstream commit that made the difference, so an
// era is "every change up to that release" and the codes are ordered.
//
//   v5.10  Linux v5.10.7 (the v5.10 profiles of the conformance traces)
//   v5.11  the base of the 2020 "Solve longterm IOVA issue" series:
//          v5.10 plus 4e89dce72521 and 6fa3525b455a (merged for v5.11)
//   v6.x   today's rbtree allocator (6.1.y .. 6.12.y)

import { Domain } from "./layout";

/** Era codes, stored in Domain.era; ordered by release. */
export enum Era {
  V5_10 = 1, V5_11, V6_X,
}

/** Is `era` one of the codes above? */
export function eraValid(era: u32): bool {
  return <i32>era >= Era.V5_10 && <i32>era <= Era.V6_X;
}

/** The domain's era, as the signed type enums have (the header stores a u32). */
// @ts-ignore: decorator
@inline function eraOf(d: Domain): i32 {
  return <i32>d.era;
}

/**
 * 4e89dce72521 "iommu/iova: Retry from last rb tree node if iova search
 * fails" (v5.11): when the walk below the cached node fails, walk again from
 * the top over the space above it. v5.10 fails there.
 */
// @ts-ignore: decorator
@inline export function retriesFromTop(d: Domain): bool {
  return eraOf(d) >= Era.V5_11;
}

/**
 * dcdb3ba7e2a8 "iommu/iova: Fix alloc iova overflows issue" (v6.2): before
 * it, the retry's lower bound was cached->pfn_hi + 1, which wraps to 0 when
 * the cached node is the anchor, so the retry may place a range below
 * start_pfn. From v6.2 the bound is pfn_hi, and the retry adds 1 itself.
 */
// @ts-ignore: decorator
@inline export function retryBoundWraps(d: Domain): bool {
  return eraOf(d) < Era.V6_X;
}

/**
 * 5b61343b5059 "iommu/iova: Improve 32-bit free space estimate" (v5.18):
 * any free of a range with pfn_lo below dma_32bit_pfn resets
 * max32_alloc_size. Before it, only a free that moves cached32_node does.
 */
// @ts-ignore: decorator
@inline export function resetsOnAnyFree32(d: Domain): bool {
  return eraOf(d) >= Era.V6_X;
}

/**
 * 972bf252f860 "iommu/iova: Move fast alloc size roundup into
 * alloc_iova_fast()" (2022): alloc_iova_fast() rounds sizes below 32 pages
 * up to a power of two. Before it, its callers did (dma-iommu), and
 * alloc_iova_fast(3, ...) took a 3-page range.
 */
// @ts-ignore: decorator
@inline export function fastAllocRoundsSize(d: Domain): bool {
  return eraOf(d) >= Era.V6_X;
}

/**
 * 6fa3525b455a "iommu/iova: Free global iova rcache on iova alloc failure"
 * (v5.11): alloc_iova_fast's flush-and-retry also empties every depot
 * (free_global_cached_iovas). v5.10 frees only the CPUs' magazines.
 */
// @ts-ignore: decorator
@inline export function flushEmptiesDepots(d: Domain): bool {
  return eraOf(d) >= Era.V5_11;
}
