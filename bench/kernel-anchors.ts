// The kernel's own C code (drivers/iommu/iova.c with lib/rbtree.c, v6.12,
// unchanged), built in userspace with gcc -O2 and timed on thread CPU time
// on this machine kind: the figures of ../shared/anchors.md ("The kernel's
// own code, built in userspace"), copied here with their rows so that
// `npm run bench` can print each ratio next to our figure. v6.12 unless
// the field says otherwise.

export const KERNEL_ANCHORS = {
  source: '../shared/anchors.md, "The kernel\'s own code, built in userspace" (v6.12, gcc 12.2 -O2, 2026-12-01)',
  /** alloc_iova_fast + free_iova_fast, size 1, warm magazines. */
  hotPairNs: { inlineCas: 9.8, pthreadSpin: 13.6, plainStores: 6.7 },
  /** Tree pair alloc_iova(1) + __free_iova on bench/tree's fragmented tree, by live ranges. */
  treePairNs: { 1e3: 40, 1e4: 48, 1e5: 51, 1e6: 59 } as Record<number, number>,
  /** bench/tree's churn stream replayed op for op (aligned 1..64 pages), µs per step, by live ranges. */
  churnUs: { 1e3: 0.89, 1e4: 21.3 } as Record<number, number>,
  /**
   * The kernel's own churn (free a random live range, alloc_iova of 1..64
   * pages aligned; at 1e5 after a short warm-up of 0.2 N steps), µs per step:
   * a stream of its own, not bench/tree's, so not op for op. Issue 15's
   * table sets ours against it at 1e3 / 1e4 / 1e5.
   */
  ownChurnUs: { 1e3: 0.88, 1e4: 11.0, 1e5: 89 } as Record<number, number>,
  /** Failing size-2 aligned alloc: [1, 16384] packed, first call (µs) and the fast-fail repeat (ns). */
  failPacked16kFirstUs: 57,
  failPacked16kRepeatNs: 19,
  /** The same, [2^20, 2^21) packed above 4 GiB (no fast-fail), first call, µs. */
  failPacked1MiFirstUs: 14_400,
  /** The same with every hole 2 pages at an odd pfn, first call, µs. */
  failPacked1MiOddHolesFirstUs: 8_100,
} as const;

/**
 * ../shared/anchors.md, "JavaScript peers" (npm, same machine, Node 20.20):
 * the peers' figures of an earlier run, ns per alloc+free pair, by case id
 * of bench/peers/run.ts. Ratios always use the peer re-measured in the same
 * run as ours; these are printed beside it as a check on that run.
 */
export const JS_PEER_ANCHORS: Record<string, number> = {
  'number-allocator/idChurn': 181,
  'thi.ng-malloc/emptyPool': 21.5,
  'thi.ng-malloc/mixedSizes-1k': 7_700,
  'thi.ng-malloc/mixedSizes-10k': 75_500,
};

/** "0.42x" style: ours / kernel's (below 1 means faster than the kernel's C). */
export function vsKernel(oursNs: number, kernelNs: number | undefined): string {
  return kernelNs === undefined ? '-' : `${(oursNs / kernelNs).toFixed(2)}x`;
}
