// Kernel eras: one tree and one cache implementation, the era a field of the
// domain. Each story below is worked out by hand from the iova.c of the
// eras it compares (v5.10.7; v5.11 = v5.10 + 4e89dce72521 + 6fa3525b455a;
// v6.x = 6.1.y..6.12.y), and shows them placing the same calls differently.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERAS, InvalidArgumentError, IovaDomain, POLICIES, POLICY_ERA, type KernelEra } from "../dist/src/index.js";
import { describeResult, replayTrace } from "../dist/src/replay/run.js";
import { readTrace } from "../dist/src/replay/trace.js";
import { KernelCalls } from "../dist/src/replay/kernel-calls.js";

const tree = (era: KernelEra, oracle = false) => {
  const d = new IovaDomain(4096, 1, { policy: "tree-only", era, maxRanges: 1024 });
  if (oracle) d.useOracleWalk(true);
  return d;
};
const DMA32 = 2 ** 20; // dma_32bit_pfn for a 4 KiB granule

describe("era of a domain", () => {
  it("defaults to the policy's own kernel, and an option overrides it", () => {
    const want = { "linux-5.10": "v5.10", "scaled-depot": "v5.10", "cpu-flush": "v5.11", "linux-6.4": "v6.x", adaptive: "v6.x" };
    for (const policy of POLICIES) {
      expect(POLICY_ERA[policy]).toBe(want[policy]);
      const d = new IovaDomain(4096, 1, { policy, maxRanges: 64 });
      expect(d.era).toBe(want[policy]);
      expect(d.stats().era).toBe(want[policy]);  // read back from the domain header
      d.destroy();
    }
    for (const era of ERAS) {
      const d = new IovaDomain(4096, 1, { policy: "linux-5.10", era, maxRanges: 64 });
      expect(d.era).toBe(era);
      expect(d.stats().era).toBe(era);
      // A view attached from the handle reads the era from shared memory.
      expect(IovaDomain.attach(d.handle, 0).era).toBe(era);
      d.destroy();
    }
    expect(new IovaDomain(4096, 1, { policy: "tree-only", maxRanges: 8 }).era).toBe("v6.x");
  });

  it("refuses an unknown era with a typed error naming it", () => {
    expect(() => new IovaDomain(4096, 1, { era: "v4.19" as KernelEra })).toThrow(InvalidArgumentError);
    expect(() => new IovaDomain(4096, 1, { era: "v4.19" as KernelEra })).toThrow(/era.*v4\.19/);
  });
});

for (const oracle of [false, true]) {
  const how = oracle ? "kernel walk" : "descent";

  describe(`the tree's retry: v5.10 has none (${how})`, () => {
    // [1, 2^20 - 1] taken by one 32-bit range; a 64-bit request with limit
    // 2^20 + 3 puts cached_node on [2^20, 2^20 + 3]. A 4-page request under
    // 2^21 - 1 then walks down from cached_node and finds nothing below it.
    // v5.10 fails there (and sets max32_alloc_size = 4); v5.11 and v6.x
    // retry from the top over the space above cached_node: 2^21 - 4.
    const setup = (era: KernelEra) => {
      const d = tree(era, oracle);
      expect(d.alloc(DMA32 - 1, DMA32 - 1)).toBe(1);
      expect(d.alloc(4, DMA32 + 3)).toBe(DMA32);
      expect(d.stats().cachedPfn).toBe(DMA32);
      return d;
    };
    it("v5.10 fails and arms the 32-bit fast-fail", () => {
      const d = setup("v5.10");
      expect(d.alloc(4, 2 ** 21 - 1)).toBeNull();
      expect(d.lastFailure).toBe("no-space");
      expect(d.stats().max32AllocSize).toBe(4);
      d.check();
    });
    for (const era of ["v5.11", "v6.x"] as const) {
      it(`${era} retries from the top and places it at 2^21 - 4`, () => {
        const d = setup(era);
        expect(d.alloc(4, 2 ** 21 - 1)).toBe(2 ** 21 - 4);
        expect(d.stats().max32AllocSize).toBe(DMA32);
        d.check();
      });
    }
  });

  describe(`the max32_alloc_size reset: before v5.18 only a free that moves cached32_node resets it (${how})`, () => {
    // Fill [1, 15] with single pages under limit 15 (top-down: 15 .. 1;
    // cached32_node ends on [1]). Free 10: at or above cached32_node, so
    // cached32_node steps to [11] (and every era resets). The next page goes
    // to 10 (the walk from [11]), cached32_node := [10]. The one after finds
    // nothing: max32_alloc_size := 1. Now free 3, below cached32_node: it
    // does not move. v6.x (5b61343b5059) resets on any 32-bit free, so the
    // next request searches and gets 3; v5.10 and v5.11 keep
    // max32_alloc_size = 1 and fast-fail it.
    const setup = (era: KernelEra) => {
      const d = tree(era, oracle);
      for (let i = 0; i < 15; i++) expect(d.alloc(1, 15)).toBe(15 - i);
      expect(d.free(10)).toBe(true);
      expect(d.stats().cached32Pfn).toBe(11);
      expect(d.alloc(1, 15)).toBe(10);
      expect(d.alloc(1, 15)).toBeNull();
      expect(d.stats().max32AllocSize).toBe(1);
      expect(d.free(3)).toBe(true);
      expect(d.stats().cached32Pfn).toBe(10);
      return d;
    };
    for (const era of ["v5.10", "v5.11"] as const) {
      it(`${era} keeps the fast-fail armed`, () => {
        const d = setup(era);
        expect(d.stats().max32AllocSize).toBe(1);
        expect(d.alloc(1, 15)).toBeNull();
        expect(d.lastFailure).toBe("fast-fail-32");
        d.check();
      });
    }
    it("v6.x resets it and finds 3", () => {
      const d = setup("v6.x");
      expect(d.stats().max32AllocSize).toBe(DMA32);
      expect(d.alloc(1, 15)).toBe(3);
      d.check();
    });
  });
}

describe("alloc_iova_fast's flush: v5.10 leaves the depot alone", () => {
  // linux-5.10 caches with 2-pfn magazines, one CPU. Six single pages under
  // limit 6 fill [1, 6] (6 .. 1). Freed in that order they fill loaded
  // ([6, 5]), swap it to prev, fill loaded again ([4, 3]), push [4, 3] to
  // the depot and start a new loaded ([2, 1]). A 2-page request (order 1,
  // whose caches are empty) goes to the tree, which is full, so it flushes:
  // every CPU's loaded and prev go back (1, 2, 5, 6 free), and the retry
  // needs an aligned pair in [1, 6]: [2, 3] and [4, 5] hold a depot pfn, [6, 7]
  // passes the limit. v5.10 keeps the depot: 0. v5.11 and v6.x also empty
  // it (free_global_cached_iovas): [4, 5] is free, found from the top.
  const run = (era: KernelEra) => {
    const d = new IovaDomain(4096, 1, { policy: "linux-5.10", era, magazineSize: 2, maxRanges: 64 });
    const pfns: number[] = [];
    for (let i = 0; i < 6; i++) pfns.push(d.allocFast(1, 6)!);
    expect(pfns).toEqual([6, 5, 4, 3, 2, 1]);
    for (const p of pfns) d.freeFast(p, 1);
    const s = d.cacheStats();
    expect([s.loaded[0][0], s.prev[0][0], s.depot[0]]).toEqual([2, 2, 1]);
    return d;
  };
  it("v5.10: the flush frees the CPU magazines only, and the retry fails", () => {
    const d = run("v5.10");
    expect(d.allocFast(2, 6)).toBeNull();
    expect(d.cacheStats().depot[0]).toBe(1);
    expect(d.ranges()).toEqual([{ lo: 3, hi: 3 }, { lo: 4, hi: 4 }]);
  });
  for (const era of ["v5.11", "v6.x"] as const) {
    it(`${era}: the flush also empties the depot, and the retry gets 4`, () => {
      const d = run(era);
      expect(d.allocFast(2, 6)).toBe(4);
      expect(d.cacheStats().depot[0]).toBe(0);
      expect(d.ranges()).toEqual([{ lo: 4, hi: 5 }]);
    });
  }
});

describe("the v5.10 traces need the v5.10 era", () => {
  // FORMAT.md names where the v6.x rules first leave each file.
  const fixture = (f: string) => readTrace(fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url)));
  it("v510-rbtree-random under v6.x: line 25 (the retry finds 2097148)", () => {
    const r = replayTrace(fixture("v510-rbtree-random.jsonl"), { era: "v6.x" });
    expect([r.status, r.line, r.expected, r.actual]).toEqual(["failed", 25, null, 2097148]);
  });
  it("v510-random under v6.x: line 406 (the flush's frees reset max32_alloc_size)", () => {
    const r = replayTrace(fixture("v510-random.jsonl"), { era: "v6.x" });
    expect([r.status, r.line, r.expected, r.actual]).toEqual(["failed", 406, 0, 288]);
  });
  it("v510-random under v5.11: the depot's case at line 1580 (a flush that empties the depot finds 270)", () => {
    const r = replayTrace(fixture("v510-random.jsonl"), { era: "v5.11" });
    expect([r.status, r.line, r.expected, r.actual]).toEqual(["failed", 1580, 0, 270]);
  });
  it("both pass under their own profile's era", () => {
    for (const f of ["v510-rbtree-random.jsonl", "v510-random.jsonl"]) {
      const r = replayTrace(fixture(f));
      expect(r.status, describeResult(r)).toBe("passed");
    }
  });
});

describe("v5.11's retry bound wraps for the anchor (fixed by dcdb3ba7e2a8 in v6.2)", () => {
  // Single pages at 15, 14, 13, aligned quads at [8, 11] and [4, 7] (12 and
  // 1..3 stay free), then 15 freed: cached32_node steps past it to the anchor.
  // An aligned quad under limit 15 walks from the anchor down to [4, 7]
  // (candidates 12, 8, 8, 4, 0) and fails: 0 is below start_pfn. v6.x and
  // v5.10 stop there. v5.11 computed retry_pfn = ~0UL + 1 = 0, which is
  // below the limit, so it walks again with low_pfn 0 and takes [0, 3].
  const setup = (era: KernelEra) => {
    const d = tree(era);
    for (const want of [15, 14, 13]) expect(d.alloc(1, 15)).toBe(want);
    expect(d.alloc(4, 15, true)).toBe(8);
    expect(d.alloc(4, 15, true)).toBe(4);
    expect(d.free(15)).toBe(true);
    expect(d.stats().cached32Pfn).toBe(2 ** 64);  // the anchor
    return d;
  };
  for (const era of ["v5.10", "v6.x"] as const) {
    it(`${era}: no space, max32_alloc_size := 4`, () => {
      const d = setup(era);
      expect(d.alloc(4, 15, true)).toBeNull();
      expect(d.stats().max32AllocSize).toBe(4);
      expect(d.find(0)).toBeNull();
    });
  }
  it("v5.11: the core places [0, 3] as the kernel did; the API reports no-space and leaves it allocated", () => {
    const d = setup("v5.11");
    expect(new KernelCalls(d).alloc(4, 15, true)).toBe(0);
    expect(d.find(1)).toEqual({ lo: 0, hi: 3 });
    const e = setup("v5.11");
    expect(e.alloc(4, 15, true)).toBeNull();
    expect(e.lastFailure).toBe("no-space");
    expect(e.find(0)).toEqual({ lo: 0, hi: 3 });
    expect(e.stats().cached32Pfn).toBe(0);
    e.check();
  });
});
