// The core is the kernel; the API is the guard. Each story gives a call the
// kernel accepts but the public API refuses (or shapes), runs it on the core
// through KernelCalls (what `iova replay` drives), and checks that the core
// does what drivers/iommu/iova.c does with it, and the API what it promises.
// The expected values are worked out from the kernel C (v5.10.7 as
// FORMAT.md quotes it, and v6.x's alloc_iova_fast / free_iova_fast /
// iova_rcache_get / iova_magazine_pop), not recorded from a kernel run.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, IovaDomain, type KernelEra } from "../dist/src/index.js";
import { KernelCalls } from "../dist/src/replay/kernel-calls.js";

describe("alloc with a limit below start_pfn", () => {
  // start_pfn 100, limit 50: limit_pfn 51 <= dma_32bit_pfn, so it is a 32-bit
  // request. The walk starts at cached32_node (the anchor): high_pfn =
  // min(51, ~0) = 51, new_pfn = 51 - 4 = 47, no previous node, so the loop
  // ends; 47 < start_pfn fails it and sets max32_alloc_size = 4. From then a
  // 32-bit request of 4 pages or more fails at once, until a free resets it.
  for (const era of ["v5.10", "v6.x"] as KernelEra[]) {
    it(`${era}: the core fails it and arms the fast-fail; the API refuses it and changes nothing`, () => {
      const d = new IovaDomain(4096, 100, { policy: "tree-only", era, maxRanges: 64 });
      expect(() => d.alloc(4, 50)).toThrow(InvalidArgumentError);
      expect(() => d.alloc(4, 50)).toThrow(/limitPfn.*startPfn \(100\).*got 50/);
      expect(d.stats().max32AllocSize).toBe(d.dma32Pfn);
      expect(d.stats().allocFailures).toBe(0);

      expect(new KernelCalls(d).alloc(4, 50, false)).toBeNull();
      expect(d.stats().max32AllocSize).toBe(4);
      expect(d.stats().allocFailures).toBe(1);
      expect(d.alloc(4, 1000)).toBeNull();
      expect(d.lastFailure).toBe("fast-fail-32");
      expect(d.alloc(3, 1000)).toBe(998);   // a smaller size is still searched for
      expect(d.alloc(8, 2 ** 40)).toBe(2 ** 40 - 7);  // 64-bit requests never fast-fail
      d.check();
    });
  }
});

describe("free_iova_fast of a pfn no range holds", () => {
  // free_iova_fast(pfn, size): iova_rcache_insert() first, free_iova() only
  // if the cache refuses. The insert never looks the pfn up.
  const domain = () => new IovaDomain(4096, 1, { policy: "linux-6.4", maxRanges: 256 });

  it("a size the caches do not hold (order 6+) goes to free_iova, which finds nothing: a no-op", () => {
    const d = domain();
    const k = new KernelCalls(d);
    const keep = d.allocFast(64, 10_000)!;
    const before = { ranges: d.ranges(), cache: d.cacheStats() };
    k.freeFast(0, 5000, 64);
    expect(d.ranges()).toEqual(before.ranges);
    expect(d.cacheStats().loaded).toEqual(before.cache.loaded);
    expect(d.stats().freeMisses).toBe(1);
    expect(d.find(keep)).toEqual({ lo: keep, hi: keep + 63 });
  });

  it("a cacheable size is cached as it is, and alloc_iova_fast hands it out again", () => {
    const d = domain();
    const k = new KernelCalls(d);
    k.freeFast(0, 5000, 1);
    expect(d.cacheStats().loaded[0]![0]).toBe(1);
    expect(d.ranges()).toEqual([]);
    // iova_magazine_pop: the top pfn at or below limit_pfn + 1 - size fits.
    expect(k.allocFast(0, 1, 10_000, true)).toBe(5000);
    expect(d.ranges()).toEqual([]);  // handed out, and still no range holds it
  });

  it("pfn 0 cached is popped as 'nothing' (alloc_iova_fast's 0) and the tree serves the request", () => {
    const d = domain();
    const k = new KernelCalls(d);
    k.freeFast(0, 0, 1);
    expect(d.cacheStats().loaded[0]![0]).toBe(1);
    expect(k.allocFast(0, 1, 10_000, true)).toBe(10_000);
    expect(d.cacheStats().loaded[0]![0]).toBe(0);  // the pop took it out
    expect(d.ranges()).toEqual([{ lo: 10_000, hi: 10_000 }]);
  });

  it("flushing a magazine that holds it skips it (the kernel WARNs and continues)", () => {
    const d = domain();
    const k = new KernelCalls(d);
    const real = d.allocFast(1, 10_000)!;
    k.freeFast(0, 5000, 1);
    k.freeFast(0, real, 1);
    d.flushAll();
    expect(d.ranges()).toEqual([]);
    expect(d.cacheStats().total).toBe(0);
    d.check();
  });

  it("the API refuses a pfn below startPfn, and trusts any other (documented: as the kernel does)", () => {
    const d = domain();
    expect(() => d.freeFast(0, 1)).toThrow(InvalidArgumentError);
    expect(() => d.freeFast(0, 1)).toThrow(/pfn.*startPfn/);
    d.freeFast(5000, 1);
    expect(d.cacheStats().loaded[0]![0]).toBe(1);
  });
});

describe("iova_rcache_get's unsigned limit arithmetic", () => {
  // alloc_iova_fast(size 4, limit 2): iova_rcache_get(.., limit_pfn + 1 = 3)
  // pops a pfn at or below 3 - 4, which wraps to 2^64 - 1: any cached pfn
  // fits, above the caller's limit.
  it("the core hands out a cached pfn above the limit; the API refuses the call", () => {
    const d = new IovaDomain(4096, 1, { policy: "linux-6.4", maxRanges: 64 });
    const p = d.allocFast(4, 1000)!;
    expect(p).toBe(996);
    d.freeFast(p, 4);
    expect(() => d.allocFast(4, 2)).toThrow(InvalidArgumentError);
    expect(() => d.allocFast(3, 2)).toThrow(/limitPfn leaves no room for 4 pages \(size 3 rounded up/);
    expect(() => d.allocFastBatch([1, 4], 2)).toThrow(InvalidArgumentError);
    expect(() => d.fastLoop(4, 2, 1)).toThrow(InvalidArgumentError);
    expect(d.cacheStats().loaded[0]![2]).toBe(1);  // nothing was taken
    expect(new KernelCalls(d).allocFast(0, 4, 2, true)).toBe(996);
    // A request that fits under the limit is served, within it.
    expect(d.allocFast(1, 2)).toBe(2);
  });

  it("with the limit one short of the size, the tree answers (no wrap): the request fails", () => {
    const d = new IovaDomain(4096, 1, { policy: "linux-6.4", maxRanges: 64 });
    d.freeFast(d.allocFast(4, 1000)!, 4);
    // limit_pfn + 1 - size = 4 - 4 = 0: no cached pfn is at or below 0, so
    // the tree is asked for 4 aligned pages under 3, and has none.
    expect(d.allocFast(4, 3)).toBeNull();
    expect(d.lastFailure).toBe("no-space");
  });
});

describe("alloc_iova_fast's size rounding moved into it in 972bf252f860", () => {
  // v5.10's alloc_iova_fast(3) asks the tree for 3 pages aligned to 4:
  // new_pfn = (1001 - 3) & ~3 = 996, so [996, 998]. v6.x rounds 3 up to 4
  // first: [996, 999]. The API rounds in every era, as dma-iommu's caller did.
  for (const [era, hi] of [["v5.10", 998], ["v5.11", 998], ["v6.x", 999]] as const) {
    it(`${era}: the core's range is [996, ${hi}]; the API's [996, 999]`, () => {
      const d = new IovaDomain(4096, 1, { policy: "linux-5.10", era, maxRanges: 64 });
      expect(new KernelCalls(d).allocFast(0, 3, 1000, true)).toBe(996);
      expect(d.find(996)).toEqual({ lo: 996, hi });
      const e = new IovaDomain(4096, 1, { policy: "linux-5.10", era, maxRanges: 64 });
      expect(e.allocFast(3, 1000)).toBe(996);
      expect(e.find(996)).toEqual({ lo: 996, hi: 999 });
    });
  }
});
