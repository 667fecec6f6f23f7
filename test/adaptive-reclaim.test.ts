// adaptive's reclaim, returned in slices (assembly/rcache/reclaim.ts,
// docs/adaptive-policy.md): per hold of the tree lock it frees at most the
// policy's slice, the books stay exact while a magazine is half returned,
// and everything the working-set rule calls surplus does go back.
import { describe, expect, it } from "vitest";
import { IovaDomain, InvalidArgumentError } from "../dist/src/index.js";
import { ADAPTIVE_SLICE_PFNS, geometryOf } from "../dist/src/domain/policy.js";
import { simulate } from "../dist/src/sim/engine.js";
import { codes } from "../dist/src/wasm/codes.js";

const LIMIT = 2 ** 32 - 1;
const INTERVAL = 100;

/** An adaptive domain whose CPU 0 cached `mags` full magazines of size-1 pfns and then went quiet. */
function quietAfterBurst(mags: number, options = {}): IovaDomain {
  const d = new IovaDomain(4096, 1, { cpus: 2, policy: "adaptive", maxRanges: 1 << 14, ...options });
  const n = mags * d.cacheStats().magazines.size;
  const pfns: number[] = [];
  for (let i = 0; i < n; i++) pfns.push(d.allocFast(1, LIMIT, true, 0)!);
  for (const p of pfns) d.freeFast(p, 1, 0);
  return d;
}

/** Every range in the tree is a cached pfn (nothing is allocated): the books, exact. */
function expectBooks(d: IovaDomain): void {
  expect(d.stats().ranges).toBe(d.cacheStats().total);
}

describe("adaptive: reclaim in slices", () => {
  it("each tick 1 ms later frees at most one slice to the tree, and the idle surplus all goes back", () => {
    const d = quietAfterBurst(8);
    const slice = d.statsDump().stat("reclaimSlice");
    expect(slice).toBe(ADAPTIVE_SLICE_PFNS);
    const start = d.stats().ranges;
    expect(start).toBeGreaterThan(6 * 127);  // most in the depot, the rest in CPU 0's magazines
    expectBooks(d);
    // Two interval ends: the first sees CPU 0 busy (ops since init), the second idle; the depot's
    // low water is its whole size then. The clock runs 1 ms a call from there: one slice each.
    d.tick(0, INTERVAL);
    d.tick(INTERVAL, INTERVAL);
    d.tick(2 * INTERVAL - 1, INTERVAL);
    let ranges = d.stats().ranges;
    expect(ranges).toBe(start);  // nothing surplus yet
    let calls = 0;
    let sawPartial = false;
    for (let t = 2 * INTERVAL; ranges > 0 && calls < 1000; t++, calls++) {
      d.tick(t, INTERVAL);
      const now = d.stats().ranges;
      expect(ranges - now).toBeLessThanOrEqual(slice);
      expectBooks(d);
      const st = d.statsDump();
      for (let o = 0; o < codes().ORDERS; o++) if (st.depot(o, "reclaimingPfns") > 0) sawPartial = true;
      ranges = now;
    }
    expect(ranges).toBe(0);
    expect(sawPartial).toBe(true);  // a magazine was half returned and still counted as cached
    // It took about as many calls as slices: every call did its one slice.
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(start / slice));
    expect(calls).toBeLessThanOrEqual(Math.ceil(start / slice) + 3);
  });

  it("a tick after a long gap runs one slice per ms of it, each its own hold, at most an interval's worth", () => {
    const d = quietAfterBurst(8);
    d.tick(0, INTERVAL);
    d.tick(INTERVAL, INTERVAL);
    d.tick(2 * INTERVAL - 1, INTERVAL);
    const start = d.stats().ranges;
    d.tick(2 * INTERVAL + 9, INTERVAL);  // the interval's end and 10 ms of slices
    // A slice stays within one magazine (127 = 32 + 32 + 32 + 31), so 10 slices free 10 x 32 less the short ones.
    const freed = start - d.stats().ranges;
    expect(freed).toBeLessThanOrEqual(10 * ADAPTIVE_SLICE_PFNS);
    expect(freed).toBeGreaterThanOrEqual(10 * (ADAPTIVE_SLICE_PFNS - 1));
    expectBooks(d);
  });

  it("the slice is the policy's, and an option: a whole magazine per hold when asked", () => {
    expect(geometryOf("adaptive", 96).reclaimSlicePfns).toBe(ADAPTIVE_SLICE_PFNS);
    expect(geometryOf("linux-6.4", 96).reclaimSlicePfns).toBe(127);
    const d = quietAfterBurst(4, { reclaimSlicePfns: 127 });
    d.tick(0, INTERVAL);
    d.tick(INTERVAL, INTERVAL);
    d.tick(2 * INTERVAL - 1, INTERVAL);
    const start = d.stats().ranges;
    d.tick(2 * INTERVAL, INTERVAL);
    expect(start - d.stats().ranges).toBe(127);
    expect(() => new IovaDomain(4096, 1, { policy: "adaptive", reclaimSlicePfns: 0 })).toThrow(InvalidArgumentError);
    expect(() => new IovaDomain(4096, 1, { policy: "adaptive", reclaimSlicePfns: 0 })).toThrow(/reclaimSlicePfns/);
  });

  it("flushAll mid-reclaim also returns the magazine being returned", () => {
    const d = quietAfterBurst(4);
    d.tick(0, INTERVAL);
    d.tick(INTERVAL, INTERVAL);
    d.tick(2 * INTERVAL - 1, INTERVAL);
    d.tick(2 * INTERVAL, INTERVAL);
    let inHand = 0;
    const st = d.statsDump();
    for (let o = 0; o < codes().ORDERS; o++) inHand += st.depot(o, "reclaimingPfns");
    expect(inHand).toBe(127 - ADAPTIVE_SLICE_PFNS);
    d.flushAll();
    expect(d.cacheStats().total).toBe(0);
    expect(d.stats().ranges).toBe(0);
  });

  it("in the simulator no hold of the tree lock by the reclaim is longer than a slice's frees", () => {
    // A small load whose jobs migrate every 20 ms: caches left behind, reclaimed while the others map.
    const base = {
      policy: "adaptive" as const, cpus: 8, jobs: 2, iodepth: 8, bs: "4k", migrateMs: 20, durationMs: 600, intervalMs: 200,
      reclaimIntervalMs: 50, seed: 3, costs: { treeFreeNs: 1_000, lockNs: 5, lockHandoffNs: 50, lockHandoffRemoteNs: 50 },
    };
    // The frees, the lock, one hand-off; + 1 ns: a hold is the difference of two simulated times in f64.
    const bound = (slice: number) => slice * 1_000 + 5 + 50 + 1;
    const sliced = simulate(base);
    expect(sliced.books.ok, sliced.books.problems.join("; ")).toBe(true);
    expect(sliced.counters.policyTreeHolds).toBeGreaterThan(10);
    expect(sliced.counters.policyTreeMaxHoldNs).toBeLessThanOrEqual(bound(ADAPTIVE_SLICE_PFNS));
    // The same load with whole magazines per hold: the bound above is the slicing's doing.
    const whole = simulate({ ...base, reclaimSlicePfns: 254 });
    expect(whole.books.ok).toBe(true);
    expect(whole.counters.policyTreeMaxHoldNs).toBeGreaterThan(bound(ADAPTIVE_SLICE_PFNS));
  });
});
