// The tree benchmark runs (quick mode) and reports figures that make sense.
// Times are only compared where the gap is orders of magnitude; the walk
// lengths are exact and worked out by hand.
import { describe, expect, it } from "vitest";
import { formatTreeBench, runTreeBench, type TreeBenchResult } from "../dist/bench/tree/tree-bench.js";

describe("runTreeBench (quick)", () => {
  let r: TreeBenchResult;

  it("runs and returns every table", () => {
    r = runTreeBench({ quick: true });
    expect(r.quick).toBe(true);
    expect(r.pairs.map((p) => p.live)).toEqual([1e3, 1e4, 1e5]);
    for (const p of r.pairs) {
      for (const v of [p.wasmLoop1, p.wasmLoop8a, p.js1, p.js8a, p.jsRandom]) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThan(0);
      }
      expect(p.walkPerAlloc).toBeGreaterThanOrEqual(1);
      expect(p.jsRandomOracle === null).toBe(p.live > 1e4);
    }
    expect(r.pairRatio.from).toBe(1e3);
    expect(r.pairRatio.to).toBe(1e5);
    expect(r.pairRatio.wasmLoop1).toBeCloseTo(r.pairs[2].wasmLoop1 / r.pairs[0].wasmLoop1, 10);
    expect(r.churn.map((c) => c.live)).toEqual([1e3, 1e4]);
    expect(r.churn[0].ratioToSmallest).toBe(1);
    expect(r.churn[1].ratioToSmallest).toBeCloseTo(r.churn[1].ours / r.churn[0].ours, 10);
    expect(r.churnRatio.aligned).toBeCloseTo(r.churn[1].ours / r.churn[0].ours, 10);
    for (const c of r.churn) {
      expect(c.walkPerAlloc).toBeGreaterThan(1);
      expect(c.findRandom).toBeGreaterThan(0);
      expect(c.oursLessFind).toBeCloseTo(c.ours - c.findRandom, 10);
    }
    expect(r.churn[0].lessFindRatio).toBe(1);
    expect(r.churnRatio.find).toBeCloseTo(r.churn[1].findRandom / r.churn[0].findRandom, 10);
    expect(r.churnRatio.lessFind).toBeCloseTo(r.churn[1].oursLessFind / r.churn[0].oursLessFind, 10);
    expect(r.failing.length).toBe(3);
  });

  it("the churn's placements are the ones the tree made before its layout work", () => {
    // FNV-1a over every pfn the quick churn's allocs returned (bench/tree,
    // placementHash), recorded at integ 2b06dde before the tree's memory
    // layout changed. A change of the tree's code or layout must keep them;
    // only a change of the bench's op stream may move them (record anew then).
    expect(r.churn.map((c) => [c.live, c.placements, c.placementsUnaligned])).toEqual([
      [1e3, "61e5fb1a", "c97804bd"],
      [1e4, "ac43f0a8", "6c7a05c1"],
    ]);
  });

  it("the failing searches visit the node counts the kernel's loop gives", () => {
    const [small, big, holes] = r.failing;
    // [1, 16384] packed, cached32 on the reset page 8193: the first pass walks
    // 8193 down to 3 (8191 rounds), the retry the anchor and 16384 down to
    // 8195 (8191 rounds).
    expect(small.ranges).toBe(16384);
    expect(small.walkNodes).toBe(16382);
    expect(small.fastFail).toBe(true);
    // 64 Ki pages from 2^20, cached_node on the lowest: 1 round, then the
    // anchor and every node down to start + 3: 1 + (2^16 - 3).
    expect(big.ranges).toBe(65536);
    expect(big.walkNodes).toBe(65535);
    expect(big.fastFail).toBe(false);
    expect(holes.ranges).toBe(32768);
    expect(holes.fastFail).toBe(false);
  });

  it("where the kernel walks tens of thousands of nodes, the descent is far faster", () => {
    const [small, big] = r.failing;
    expect(small.oursFirstUs * 20).toBeLessThan(small.oracleFirstUs);
    expect(big.oursFirstUs * 20).toBeLessThan(big.oracleFirstUs);
    expect(big.oursRepeatUs * 20).toBeLessThan(big.oracleRepeatUs);
    const c = r.churn[1];
    expect(c.walkPerAlloc).toBeGreaterThan(1000);
    expect(c.ours * 3).toBeLessThan(c.oracle!);
  });

  it("formats a table with every section", () => {
    const text = formatTreeBench(r);
    expect(text).toContain("tree benchmark (quick)");
    expect(text).toContain("(a) alloc+free");
    expect(text).toContain("(a') churn");
    expect(text).toContain("(b) size-2 aligned");
    expect(text).toMatch(/ratio 100,000 \/ 1,000: wasm loop 1p \d+\.\d\dx/);
    expect(text).toMatch(/aligned churn ratio 10,000 \/ 1,000: \d+\.\d\dx/);
    expect(text).toMatch(/the free's find of a random range grows \d+\.\d\dx, the rest \(search, link, unlink\) -?\d+\.\d\dx/);
    // The kernel's figures sit next to ours: 40 ns at 1e3 (../shared/anchors.md).
    expect(text).toMatch(/1,000 +\d+ +40 +\d+\.\d\dx/);
    for (const f of r.failing) expect(text).toContain(f.name);
  });
});
