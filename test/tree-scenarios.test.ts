// Named stories in the manner of the kernel's IOVA KUnit tests. Every
// expected value is worked out by hand from drivers/iommu/iova.c (top-down
// placement from cached_node / cached32_node, max32_alloc_size, the retry
// from iova_find_limit, reserve_iova's widening); the comments show the
// working. Each story runs on the O(log n) descent and, where cheap, again
// on the kernel's node-by-node walk.
import { describe, expect, it } from "vitest";
import { AllocationError, InvalidArgumentError, IovaDomain, NodeSlabFullError } from "../dist/src/index.js";

const ANCHOR_PFN = null; // stats() reports the anchor (pfn ~0UL) as null

function domain(startPfn = 1, opts: { granule?: number; maxRanges?: number; oracle?: boolean } = {}): IovaDomain {
  const d = new IovaDomain(opts.granule ?? 4096, startPfn, { maxRanges: opts.maxRanges ?? 65536, policy: "tree-only" });
  if (opts.oracle) d.useOracleWalk(true);
  return d;
}

const rangesOf = (d: IovaDomain) => d.ranges().map((r) => [r.lo, r.hi]);

for (const oracle of [false, true]) {
  const how = oracle ? "kernel walk" : "descent";

  describe(`full 16 Ki space, then every other page free (${how})`, () => {
    it("fills top-down, fails, fast-fails, and recovers only after a free below 4 GiB", () => {
      const d = domain(1, { oracle });
      const N = 16384;
      for (let i = 0; i < N; i++) expect(d.alloc(1, N)).toBe(N - i);
      expect(d.stats().ranges).toBe(N);
      // Full: the search fails (retry included), and max32_alloc_size := 1.
      expect(d.alloc(1, N)).toBeNull();
      expect(d.lastFailure).toBe("no-space");
      expect(d.stats().max32AllocSize).toBe(1);
      expect(d.alloc(1, N)).toBeNull();
      expect(d.lastFailure).toBe("fast-fail-32");
      d.check();

      // Free the odd pages. Each free below 4 GiB resets max32_alloc_size, and
      // cached32_node steps past every freed range (all of them lie at or
      // above it), ending on the node just above the last one: 16384.
      for (let p = 1; p < N; p += 2) expect(d.free(p)).toBe(true);
      expect(d.stats().ranges).toBe(N / 2);
      expect(d.stats().max32AllocSize).toBe(d.dma32Pfn);
      expect(d.stats().cached32Pfn).toBe(N);
      d.check();

      // Only single pages are free: an aligned pair cannot fit anywhere.
      expect(d.alloc(2, N, true)).toBeNull();
      expect(d.lastFailure).toBe("no-space");
      expect(d.stats().max32AllocSize).toBe(2);
      // Now every 32-bit request of 2 pages or more fails at once, whatever
      // its alignment or limit, without a search.
      for (const [size, limit, aligned] of [[2, N, true], [2, N, false], [3, N, true], [64, 1000, false], [2, d.dma32Pfn - 1, true]] as const) {
        expect(d.alloc(size, limit, aligned)).toBeNull();
        expect(d.lastFailure).toBe("fast-fail-32");
      }
      expect(d.stats().max32AllocSize).toBe(2);
      // A smaller size is still searched for: the top free page below 16384.
      expect(d.alloc(1, N)).toBe(N - 1);
      expect(d.lastFailure).toBeNull();
      // A 64-bit request is never fast-failed, and its success resets nothing.
      expect(d.alloc(2, 2 ** 36, true)).toBe(2 ** 36 - 2);
      expect(d.stats().max32AllocSize).toBe(2);
      // Nor does freeing a range above 4 GiB.
      expect(d.free(2 ** 36 - 2)).toBe(true);
      expect(d.alloc(2, N, true)).toBeNull();
      expect(d.lastFailure).toBe("fast-fail-32");
      // A free below 4 GiB does: pfn 2 frees [2], so [2,3] is an aligned pair.
      expect(d.free(2)).toBe(true);
      expect(d.stats().max32AllocSize).toBe(d.dma32Pfn);
      expect(d.alloc(2, N, true)).toBe(2);
      expect(d.find(3)).toEqual({ lo: 2, hi: 3 });
      d.check();
    });
  });

  describe(`max32_alloc_size after a failure caused by a low limit (${how})`, () => {
    it("a later 32-bit request of that size fails at once; the 32-bit boundary is limit + 1 <= dma32Pfn", () => {
      const d = domain(1, { oracle });
      const dma32 = d.dma32Pfn;
      // Only [1, 5] lies under limit 5: 10 pages cannot fit.
      expect(d.alloc(10, 5)).toBeNull();
      expect(d.lastFailure).toBe("no-space");
      expect(d.stats().max32AllocSize).toBe(10);
      // Space is plentiful below 1000, yet the kernel refuses without looking.
      expect(d.alloc(10, 1000)).toBeNull();
      expect(d.lastFailure).toBe("fast-fail-32");
      expect(d.alloc(10, dma32 - 1)).toBeNull(); // limit + 1 == dma32Pfn: still 32-bit
      expect(d.lastFailure).toBe("fast-fail-32");
      // limit == dma32Pfn is a 64-bit request: searched from cached_node (the anchor).
      expect(d.alloc(10, dma32)).toBe(dma32 - 9);
      expect(d.stats().cachedPfn).toBe(dma32 - 9);
      expect(d.stats().cached32Pfn).toBe(ANCHOR_PFN);
      // Smaller 32-bit sizes are searched for: from cached32_node (the anchor) down.
      expect(d.alloc(9, 1000)).toBe(992);
      expect(d.stats().cached32Pfn).toBe(992);
      // Freeing [992, 1000] resets the fast-fail and moves cached32_node up to
      // the next node, [dma32 - 9, dma32].
      expect(d.free(995)).toBe(true);
      expect(d.stats().max32AllocSize).toBe(dma32);
      expect(d.stats().cached32Pfn).toBe(dma32 - 9);
      expect(d.alloc(10, 1000)).toBe(991);
      d.check();
    });
  });

  describe(`a 64-bit request that lands below 4 GiB moves cached32_node (${how})`, () => {
    it("the insert update looks at where the range ended up, not at the limit", () => {
      const d = domain(1, { granule: 65536, oracle }); // dma32Pfn = 65536
      expect(d.dma32Pfn).toBe(65536);
      d.reserve(65536, 2 ** 20); // everything above 4 GiB up to the limit is taken
      expect(d.alloc(1, 2 ** 20)).toBe(65535);
      const s = d.stats();
      expect(s.cached32Pfn).toBe(65535);
      expect(s.cachedPfn).toBe(ANCHOR_PFN);
      d.check();
    });
  });

  describe(`retry from the anchor (${how})`, () => {
    it("space above cached32_node is found only by the second pass", () => {
      const d = domain(1, { oracle });
      expect(d.alloc(100, 1000)).toBe(901); // [901, 1000]
      // A lower limit: from cached32 = [901,1000], high = min(201, 901).
      expect(d.alloc(100, 200)).toBe(101); // [101, 200], now cached32
      expect(d.stats().cached32Pfn).toBe(101);
      // 300 pages: below cached32 there are only [1, 100]. The first pass fails;
      // retry_pfn = 200 < 1001, so the kernel searches again above pfn 200,
      // from the top: [601, 900] fits under [901, 1000].
      expect(d.alloc(300, 1000)).toBe(601);
      expect(d.lastFailure).toBeNull();
      expect(d.stats().max32AllocSize).toBe(d.dma32Pfn); // a success: not touched
      expect(d.stats().cached32Pfn).toBe(601);
      // Below cached32 = [601, 900] the hole [201, 600] takes 400 pages.
      expect(d.alloc(400, 1000)).toBe(201);
      // 101 pages: below cached32 = [201, 600] only [1, 100] is free; the
      // retry searches above pfn 600 and finds nothing free there.
      expect(d.alloc(101, 1000)).toBeNull();
      expect(d.lastFailure).toBe("no-space");
      expect(rangesOf(d)).toEqual([[101, 200], [201, 600], [601, 900], [901, 1000]]);
      d.check();
    });

    it("no retry when the search started at the anchor", () => {
      const d = domain(1, { oracle });
      expect(d.alloc(1001, 1000)).toBeNull(); // [1, 1000] holds only 1000 pages
      expect(d.lastFailure).toBe("no-space");
      expect(d.stats().max32AllocSize).toBe(1001);
      expect(d.stats().allocFailures).toBe(1);
    });
  });
}

describe("reserve", () => {
  it("in a gap: a new range of exactly [lo, hi], skipped by later allocations", () => {
    const d = domain(1);
    d.reserve(100, 199);
    expect(rangesOf(d)).toEqual([[100, 199]]);
    expect(d.stats().reserves).toBe(1);
    // reserve_iova does not touch the cached nodes.
    expect(d.stats().cached32Pfn).toBe(ANCHOR_PFN);
    // Limit 199: the top free page under the reservation.
    expect(d.alloc(1, 199)).toBe(99);
    // cached32 is now [99]: every later 32-bit search starts there and goes
    // down, 98 .. 1, even though [200, 250] is free.
    const got: number[] = [];
    for (;;) {
      const p = d.alloc(1, 250);
      if (p === null) break;
      got.push(p);
    }
    // Below [99] the walk finds 98 .. 1. Then, from cached32 = [1], the first
    // pass fails and the retry searches above pfn 1 from the top: 250, and
    // from there down to 200, where the next page down would be inside the
    // reservation. Then both passes fail.
    const want = [...Array.from({ length: 98 }, (_, i) => 98 - i), ...Array.from({ length: 51 }, (_, i) => 250 - i)];
    expect(got).toEqual(want);
    expect(d.lastFailure).toBe("no-space");
    for (const p of got) expect(p < 100 || p > 199).toBe(true);
    expect(d.stats().ranges).toBe(1 + 1 + want.length);
    expect(d.find(150)).toEqual({ lo: 100, hi: 199 });
    d.check();
  });

  it("overlapping several ranges widens them to absorb the gaps and adds the rest above", () => {
    const d = domain(1);
    // Allocated top-down so that each lands right under its limit.
    expect(d.alloc(10, 149)).toBe(140);
    expect(d.alloc(10, 129)).toBe(120);
    expect(d.alloc(10, 109)).toBe(100);
    expect(rangesOf(d)).toEqual([[100, 109], [120, 129], [140, 149]]);
    // reserve_iova(105, 160), node by node:
    //   [100,109]: lo 105 not below it; hi 160 above it -> lo := 110
    //   [120,129]: 110 < 120 -> pfn_lo := 110; lo := 130
    //   [140,149]: 130 < 140 -> pfn_lo := 130; lo := 150
    //   then [150, 160] is inserted. Nothing is merged.
    d.reserve(105, 160);
    expect(rangesOf(d)).toEqual([[100, 109], [110, 129], [130, 149], [150, 160]]);
    expect(d.stats().ranges).toBe(4);
    // Widening below: [100,109] absorbs [95, 99]; the request then lies inside it.
    d.reserve(95, 105);
    expect(rangesOf(d)).toEqual([[95, 109], [110, 129], [130, 149], [150, 160]]);
    // Entirely inside one range: nothing changes at all.
    d.reserve(131, 140);
    expect(rangesOf(d)).toEqual([[95, 109], [110, 129], [130, 149], [150, 160]]);
    expect(d.stats().reserves).toBe(3);
    d.check();
    // A widened range is one range: freeing any pfn of it frees all of it.
    expect(d.find(112)).toEqual({ lo: 110, hi: 129 });
    expect(d.free(110)).toBe(true);
    expect(d.find(125)).toBeNull();
    expect(rangesOf(d)).toEqual([[95, 109], [130, 149], [150, 160]]);
    d.check();
  });

  it("reaching from a gap into the next range widens that range down and adds nothing", () => {
    const d = domain(1);
    expect(d.alloc(10, 109)).toBe(100);
    d.reserve(90, 100);
    expect(rangesOf(d)).toEqual([[90, 109]]);
    d.reserve(80, 85);
    d.reserve(70, 95); // [80,85] -> [70,85]; then [90,109] -> [86,109]
    expect(rangesOf(d)).toEqual([[70, 85], [86, 109]]);
    d.check();
  });
});

describe("node slab exhaustion (maxRanges 4)", () => {
  it("alloc fails with node-slab-full, reserve throws, and the domain stays usable", () => {
    const d = domain(1, { maxRanges: 4 });
    for (let i = 0; i < 4; i++) expect(d.alloc(1, 1000)).toBe(1000 - i);
    const before = d.stats();
    expect(d.alloc(1, 1000)).toBeNull();
    expect(d.lastFailure).toBe("node-slab-full");
    const after = d.stats();
    expect(after.slabFull).toBe(before.slabFull + 1);
    expect(after.allocFailures).toBe(before.allocFailures + 1);
    // A slab failure is not a search failure: no fast-fail armed, no cached node moved.
    expect(after.max32AllocSize).toBe(d.dma32Pfn);
    expect(after.cached32Pfn).toBe(before.cached32Pfn);
    expect(after.ranges).toBe(4);

    let thrown: unknown;
    try {
      d.allocOrThrow(2, 500, true);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AllocationError);
    expect((thrown as AllocationError).reason).toBe("node-slab-full");
    expect((thrown as AllocationError).size).toBe(2);
    expect((thrown as AllocationError).limitPfn).toBe(500);

    // A reserve that needs a node throws...
    expect(() => d.reserve(10, 20)).toThrow(NodeSlabFullError);
    try {
      d.reserve(10, 20);
    } catch (e) {
      expect((e as NodeSlabFullError).capacity).toBe(4);
      expect((e as Error).message).toContain("4");
    }
    expect(d.find(15)).toBeNull();
    // ...one that needs none succeeds: [995, 998] widens [997] and ends inside [998].
    d.reserve(995, 998);
    expect(rangesOf(d)).toEqual([[995, 997], [998, 998], [999, 999], [1000, 1000]]);
    // One that widens and then needs a node for its top part: the widening
    // stays, as in the kernel (reserve_iova adjusts before it allocates).
    expect(() => d.reserve(990, 2000)).toThrow(NodeSlabFullError);
    expect(rangesOf(d)).toEqual([[990, 997], [998, 998], [999, 999], [1000, 1000]]);
    d.check();

    // Frees give nodes back; they are used again, and the limit holds again.
    expect(d.free(1000)).toBe(true);
    expect(d.free(999)).toBe(true);
    expect(d.stats().ranges).toBe(2);
    expect(d.alloc(1, 1000)).toBe(1000);
    d.reserve(10, 20);
    expect(d.alloc(1, 1000)).toBeNull();
    expect(d.lastFailure).toBe("node-slab-full");
    expect(rangesOf(d)).toEqual([[10, 20], [990, 997], [998, 998], [1000, 1000]]);
    d.check();
    // Nothing is lost over many rounds at the limit.
    const slabFull0 = d.stats().slabFull;
    for (let i = 0; i < 1000; i++) {
      expect(d.free(1000)).toBe(true);
      expect(d.alloc(1, 1000)).toBe(1000);
      expect(d.alloc(1, 1000)).toBeNull();
    }
    expect(d.stats().slabFull).toBe(slabFull0 + 1000);
    d.check();
  });

  it("a failed alloc hands its node back (nothing leaks on no-space either)", () => {
    const d = domain(1, { maxRanges: 3 });
    expect(d.alloc(5, 5)).toBe(1); // [1, 5] is all there is below 5
    for (let i = 0; i < 100; i++) {
      expect(d.alloc(1, 5)).toBeNull();
      expect(["no-space", "fast-fail-32"]).toContain(d.lastFailure);
    }
    expect(d.alloc(1, 10)).toBeNull(); // fast-fail: max32_alloc_size is 1
    expect(d.alloc(1, 2 ** 40)).toBe(2 ** 40);
    expect(d.alloc(1, 2 ** 40)).toBe(2 ** 40 - 1);
    expect(d.alloc(1, 2 ** 40)).toBeNull();
    expect(d.lastFailure).toBe("node-slab-full");
    d.check();
  });
});

describe("in-wasm alloc/free loop", () => {
  it("leaves the tree as it found it and counts every pair", () => {
    const d = domain(1);
    for (let i = 0; i < 100; i++) d.alloc(1 + (i % 7), d.dma32Pfn - 1, i % 2 === 0);
    for (let i = 0; i < 100; i += 3) d.free(d.ranges()[i % d.stats().ranges].lo);
    const ranges = rangesOf(d);
    const s0 = d.stats();
    expect(d.allocFreeLoop(4, d.dma32Pfn - 1, true, 5000)).toBe(0);
    const s1 = d.stats();
    expect(rangesOf(d)).toEqual(ranges);
    expect(s1.allocs - s0.allocs).toBe(5000);
    expect(s1.frees - s0.frees).toBe(5000);
    d.check();
    // Failing rounds are counted and change nothing.
    expect(d.allocFreeLoop(4, 2, false, 10)).toBe(10);
    expect(rangesOf(d)).toEqual(ranges);
  });

  it("refuses a limit below startPfn like alloc does", () => {
    const d = domain(100);
    expect(() => d.allocFreeLoop(1, 99, false, 1)).toThrow(InvalidArgumentError);
  });
});
