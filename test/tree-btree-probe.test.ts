// The B+-tree probe (bench/tree/btree-probe.ts) places every allocation of
// the tree bench's aligned churn where the wasm tree does, and keeps its
// summaries exact; its timings are the probe's job, not the test's.
import { describe, expect, it } from "vitest";
import { BTreeIova, alignKey, runProbe } from "../dist/bench/tree/btree-probe.js";
import { prng, treeDomain } from "../dist/bench/tree/util.js";

describe("B+-tree probe", () => {
  it("places the churn as the wasm tree does at 1e3 and 1e4 live ranges (it throws at the first pfn that differs)", () => {
    const rows = runProbe([1e3, 1e4], 500, 1);
    expect(rows.map((r) => r.live)).toEqual([1e3, 1e4]);
    for (const r of rows) {
      expect(r.hash).toMatch(/^[0-9a-f]{8}$/);
      expect(r.levels).toBeGreaterThanOrEqual(2);
      expect(r.perLeaf).toBeGreaterThan(1);
    }
  });

  it("agrees with the wasm tree on mixed 32/64-bit, aligned/unaligned calls, and keeps its gaps, keys and slot summaries exact", () => {
    // 2^16 pages below 4 GiB at this granule: the 32-bit space fills, so
    // failures, max32_alloc_size and the retry from the top all take part.
    const granule = 2 ** 16;
    const t = new BTreeIova(granule, 1, 8192);
    const w = treeDomain(granule, 1, 8192);
    const r = prng(7);
    const live: number[] = [];
    let failed = 0;
    for (let i = 0; i < 6000; i++) {
      if (live.length && r.int(5) === 0) {
        const k = r.int(live.length);
        expect(t.free(live[k])).toBe(w.free(live[k]));
        live[k] = live[live.length - 1];
        live.pop();
      } else {
        const size = 1 + r.int(64), limit = r.int(4) === 0 ? 2 ** 17 - 1 : 2 ** 16 - 1, aligned = r.int(2) === 0;
        const p = t.alloc(size, limit, aligned);
        expect(p, `call ${i}: alloc(${size}, ${limit}, ${aligned})`).toBe(w.alloc(size, limit, aligned));
        if (p !== null) live.push(p);
        else failed++;
      }
      if (i % 97 === 0) t.check();
    }
    t.check();
    w.check();
    w.destroy();
    expect(failed).toBeGreaterThan(0);
    expect(t.free(2 ** 30)).toBe(false);
  });

  it("alignKey orders aligned requests as gap.ts proves: [5, 16) holds 8 pages at 8 but not 9 pages at 16", () => {
    expect(alignKey(5, 16)).toBeGreaterThanOrEqual(8 + 8);
    expect(alignKey(5, 16)).toBeLessThan(16 + 9);
    expect(alignKey(7, 7)).toBe(0);
  });
});
