// adaptive's reclaim (assembly/rcache/reclaim.ts, docs/adaptive-policy.md):
// a depot magazine goes back to the tree only after two intervals unused
// (kmem's working-set reap), less a reserve of the last two intervals'
// demand; an idle CPU cache's magazines go to the depot after
// REAPTIMEOUT_AC, never straight to the tree, and from there back without
// the reserve; per hold of the tree lock the
// reclaim frees at most the policy's slice, and the books stay exact while a
// magazine is half returned or a part-filled one sits in the depot.
import { describe, expect, it } from "vitest";
import { IovaDomain, InvalidArgumentError } from "../dist/src/index.js";
import { ADAPTIVE_SLICE_PFNS, geometryOf } from "../dist/src/domain/policy.js";
import { codes } from "../dist/src/wasm/codes.js";
import { resolveSimOptions } from "../dist/src/sim/options.js";
import { simulate } from "../dist/src/sim/engine.js";

const LIMIT = 2 ** 32 - 1;
const INTERVAL = 100;
const MAG = 127;
/** CPU_IDLE_MS of reclaim.ts: mm/slab.c's REAPTIMEOUT_AC, 2 * HZ. */
const CPU_IDLE_MS = 2000;

/**
 * An adaptive domain whose CPU 0 allocated `pfns` size-1 pfns, freed them all
 * and went quiet. A range above them, allocated first and freed to the tree
 * last, lifts the tree's cached node above them (__cached_rbnode_delete_update),
 * as the study's too-big frees do: the reclaim returns only pfns whose free
 * leaves the walks' start where it is (magFreeKeepingStart), and with the
 * cached node at the lowest of them, none would be.
 */
function quietAfterBurst(pfns: number, options = {}): IovaDomain {
  const d = new IovaDomain(4096, 1, { cpus: 2, policy: "adaptive", maxRanges: 1 << 14, ...options });
  const lift = d.alloc(64, LIMIT, true)!;
  const got: number[] = [];
  for (let i = 0; i < pfns; i++) got.push(d.allocFast(1, LIMIT, true, 0)!);
  for (const p of got) d.freeFast(p, 1, 0);
  expect(d.free(lift)).toBe(true);
  return d;
}

/** Every range in the tree is a cached pfn or one of `live` allocated ones: the books, exact. */
function expectBooks(d: IovaDomain, live = 0): void {
  expect(d.stats().ranges).toBe(d.cacheStats().total + live);
}

/**
 * An adaptive domain whose CPU 0 freed 8 magazines' worth of size-1 pfns (6
 * full ones in the depot), with the lift above them still allocated: the
 * tree's cached node is the burst's lowest pfn, so none of them may go back
 * until the lift is freed.
 */
function burstBelowLift(): { d: IovaDomain; lift: number } {
  const d = new IovaDomain(4096, 1, { cpus: 2, policy: "adaptive", maxRanges: 1 << 14 });
  const lift = d.alloc(64, LIMIT, true)!;
  const got: number[] = [];
  for (let i = 0; i < 8 * MAG; i++) got.push(d.allocFast(1, LIMIT, true, 0)!);
  for (const p of got) d.freeFast(p, 1, 0);
  return { d, lift };
}

/** Ticks the domain clock 1 ms at a time over [from, to]. */
function tickEachMs(d: IovaDomain, from: number, to: number): void {
  for (let t = from; t <= to; t++) d.tick(t, INTERVAL);
}

const depotMags = (d: IovaDomain) => d.cacheStats().depot.reduce((a, b) => a + b, 0);

/** The interval ends at 100, 200 and 300 (the first tick arms the timer); the clock stops at 299. */
function twoIntervalsQuiet(d: IovaDomain): void {
  d.tick(0, INTERVAL);
  d.tick(INTERVAL, INTERVAL);
  d.tick(2 * INTERVAL, INTERVAL);
  d.tick(3 * INTERVAL - 1, INTERVAL);
}

describe("adaptive: working-set reclaim in slices", () => {
  it("a depot magazine goes back only after two intervals unused, one slice per tick 1 ms later", () => {
    const d = quietAfterBurst(8 * MAG);  // 6 full magazines in the depot, 2 in CPU 0's slots
    const slice = d.statsDump().stat("reclaimSlice");
    expect(slice).toBe(ADAPTIVE_SLICE_PFNS);
    const start = d.stats().ranges;
    expect(start).toBe(8 * MAG);
    expect(depotMags(d)).toBe(6);
    expectBooks(d);
    twoIntervalsQuiet(d);
    // Unused through one whole interval (100-200) is not surplus yet: kmem reaps the lesser of two.
    expect(d.stats().ranges).toBe(start);
    let ranges = start;
    let calls = 0;
    let sawPartial = false;
    for (let t = 3 * INTERVAL; ranges > 2 * MAG && calls < 1000; t++, calls++) {
      d.tick(t, INTERVAL);
      const now = d.stats().ranges;
      expect(ranges - now).toBeLessThanOrEqual(slice);
      expectBooks(d);
      const st = d.statsDump();
      for (let o = 0; o < codes().ORDERS; o++) if (st.depot(o, "reclaimingPfns") > 0) sawPartial = true;
      ranges = now;
    }
    expect(sawPartial).toBe(true);  // a magazine was half returned and still counted as cached
    // The depot's 6 went back, one slice a call; CPU 0's own two magazines stay (idle < CPU_IDLE_MS).
    expect(ranges).toBe(2 * MAG);
    expect(d.cacheStats().cpuTotal).toBe(2 * MAG);
    expect(calls).toBeGreaterThanOrEqual(Math.ceil((6 * MAG) / slice));
    expect(calls).toBeLessThanOrEqual(Math.ceil((6 * MAG) / slice) + 6);
  });

  it("an idle CPU cache's magazines, a part-filled one too, go to the depot after REAPTIMEOUT_AC, and to the tree from there", () => {
    const d = quietAfterBurst(8 * MAG + 40);  // CPU 0 ends with a full prev and a loaded holding 40
    const cpu0 = d.cacheStats().cpuTotal;
    expect(cpu0).toBe(MAG + 40);
    twoIntervalsQuiet(d);
    // CPU 0's last operation was before the first sweep (at 100 ms): idle from then on.
    tickEachMs(d, 3 * INTERVAL, INTERVAL + CPU_IDLE_MS - 1);
    expect(d.cacheStats().cpuTotal).toBe(cpu0);
    expect(d.stats().ranges).toBe(cpu0);  // the depot's surplus is back; the CPU's magazines are not
    expect(d.statsDump().stat("reclaimHandoffs")).toBe(0);
    // The interval's end at 2,100 ms: 2 s idle, so both magazines go to the depot, not the tree.
    tickEachMs(d, INTERVAL + CPU_IDLE_MS, INTERVAL + CPU_IDLE_MS + 1);
    expect(d.statsDump().stat("reclaimHandoffs")).toBe(2);
    expect(d.cacheStats().cpuTotal).toBe(0);
    expect(depotMags(d)).toBe(2);
    expect(d.stats().ranges).toBe(cpu0);
    // The part-filled magazine counts its 40 pfns, not a full magazine's.
    expect(d.cacheStats().depotTotal).toBe(MAG + 40);
    expectBooks(d);
    // In the depot they are like any other magazine: back two intervals later.
    tickEachMs(d, INTERVAL + CPU_IDLE_MS + 2, INTERVAL + CPU_IDLE_MS + 3 * INTERVAL + 20);
    expect(d.stats().ranges).toBe(0);
    expect(d.cacheStats().total).toBe(0);
  });

  it("a reserve of the last two intervals' demand stays in the depot", () => {
    const d = quietAfterBurst(8 * MAG);  // 6 full magazines in the depot
    d.tick(0, INTERVAL);
    d.tick(INTERVAL, INTERVAL);
    // CPU 1 takes two magazines from the depot in the second interval, and keeps its pfns.
    const live: number[] = [];
    for (let i = 0; i < 2 * MAG; i++) live.push(d.allocFast(1, LIMIT, true, 1)!);
    expect(depotMags(d)).toBe(4);
    expect(d.cacheStats().misses).toBe(8 * MAG);  // the burst's own; CPU 1's came from the depot
    // End 200: 4 unused since 150, but the interval before held none. End 300: 4 unused through both,
    // less the 2 CPU 1 took in the interval before: 2 go back, 2 stay.
    tickEachMs(d, 2 * INTERVAL, 4 * INTERVAL - 1);
    expect(depotMags(d)).toBe(2);
    expectBooks(d, live.length);
    // End 400: that demand is two intervals old now, and nobody took a magazine since: all go back.
    tickEachMs(d, 4 * INTERVAL, 4 * INTERVAL + 20);
    expect(depotMags(d)).toBe(0);
    expectBooks(d, live.length);
  });

  it("what an idle cache handed in goes back without the reserve, each magazine once", () => {
    // CPU 1 takes two magazines from the depot every interval and CPU 2 frees
    // their pfns, so the reserve (the load's pops) keeps the depot at 4. CPU 0's
    // two magazines, idle since the first sweep, come in at 2,100 ms: the
    // reserve would keep them for good; of the two magazines unused through
    // 2,000-2,200, as many as the sweep brought in go back at 2,200, and at
    // 2,300 nothing more (they were counted once).
    const d = quietAfterBurst(8 * MAG + 40, { cpus: 3 });
    const cpu0 = d.cacheStats().cpuTotal;
    expect(cpu0).toBe(MAG + 40);
    const flow = (): void => {
      const got: number[] = [];
      for (let i = 0; i < 2 * MAG; i++) got.push(d.allocFast(1, LIMIT, true, 1)!);
      for (const p of got) d.freeFast(p, 1, 2);
    };
    const before = new Map<number, number>();  // depot magazines just before each interval's flow
    const cached = new Map<number, number>();  // and pfns cached in all
    for (let t = 0; t <= 2500; t++) {
      d.tick(t, INTERVAL);
      if (t % INTERVAL === INTERVAL / 2 - 1) {
        before.set(t, depotMags(d));
        cached.set(t, d.cacheStats().total);
      }
      if (t % INTERVAL === INTERVAL / 2) flow();
    }
    expect(d.cacheStats().misses).toBe(8 * MAG + 40);  // CPU 1 took every pfn from the depot
    // The load's own surplus went back in the first intervals; from 349 ms the reserve holds the rest.
    const steady = cached.get(349)!;
    for (let t = 349; t <= 2049; t += INTERVAL) {
      expect(before.get(t), `at ${t} ms`).toBe(4);
      expect(cached.get(t), `at ${t} ms`).toBe(steady);
    }
    // 2,100 ms: CPU 0's two magazines move to the depot (nothing freed yet).
    expect(d.statsDump().stat("reclaimHandoffs")).toBe(2);
    expect(before.get(2149)).toBe(6);
    expect(cached.get(2149)).toBe(steady);
    // 2,200 ms: two magazines' pfns go back to the tree, and no more after.
    for (const t of [2249, 2349, 2449]) expect(cached.get(t), `at ${t} ms`).toBe(steady - 2 * MAG);
    expect(before.get(2349)).toBe(before.get(2249));
    expect(before.get(2449)).toBe(before.get(2249));
    expectBooks(d);
  });

  it("returns only pfns whose free leaves the walks' start: above the tree's cached node they stay cached", () => {
    // The lift (a range above the burst) stays allocated at first, so the
    // cached node is the burst's lowest pfn and every cached pfn is at or
    // above it: freeing one would step the node up and send the next map
    // that the hole cannot take through every node in between.
    const { d, lift } = burstBelowLift();
    const start = d.stats().ranges;
    expect(depotMags(d)).toBe(6);
    twoIntervalsQuiet(d);
    tickEachMs(d, 3 * INTERVAL, 5 * INTERVAL);
    expect(d.stats().ranges).toBe(start);  // surplus, but nothing went back
    expect(depotMags(d)).toBe(6);          // the magazine it looked at is back in the depot, whole
    expect(d.cacheStats().total).toBe(8 * MAG);
    expectBooks(d, 1);
    // Freed to the tree, the lift steps the cached node above the burst: now they go back, in slices.
    expect(d.free(lift)).toBe(true);
    let ranges = d.stats().ranges;
    for (let t = 5 * INTERVAL + 1; t <= 8 * INTERVAL; t++) {
      d.tick(t, INTERVAL);
      const now = d.stats().ranges;
      expect(ranges - now).toBeLessThanOrEqual(ADAPTIVE_SLICE_PFNS);
      ranges = now;
    }
    expect(ranges).toBe(2 * MAG);  // the depot's 6; CPU 0's own two stay (idle < CPU_IDLE_MS)
    expectBooks(d);
  });

  it("a magazine the reclaim pushed back whole leaves the depot's low water as it was: the next interval's surplus is all of it", () => {
    // As above, with the lift allocated at the end of 300 ms: the depot's 6
    // are surplus, the slice pops one, can free none of its pfns and pushes
    // it back whole, and the rest of the debt is dropped. Its pop lowered the
    // low water to 5; pushed back, the depot held 6 all along, so the
    // restore (reclaimHeldLow) puts the low water back to 6. Freed at 350 ms,
    // the lift lets everything go: at 400 ms the surplus is all 6
    // magazines, returned in slices by 420 ms. Without the restore the
    // surplus at 400 ms is 5 and the sixth magazine stays in the depot until
    // the interval's end at 500 ms.
    const { d, lift } = burstBelowLift();
    expect(depotMags(d)).toBe(6);
    twoIntervalsQuiet(d);
    const start = d.stats().ranges;
    tickEachMs(d, 3 * INTERVAL, 3 * INTERVAL + 49);
    expect(d.stats().ranges).toBe(start);  // nothing could go back
    expect(depotMags(d)).toBe(6);          // the magazine it looked at is back, whole
    const st = d.statsDump();
    for (let o = 0; o < codes().ORDERS; o++) {
      expect(st.depot(o, "reclaimDebt"), `order ${o}`).toBe(0);  // the debt was dropped with it
      expect(st.depot(o, "reclaimingPfns"), `order ${o}`).toBe(0);
    }
    expect(d.free(lift)).toBe(true);
    tickEachMs(d, 3 * INTERVAL + 50, 4 * INTERVAL + 20);
    expect(depotMags(d)).toBe(0);          // all 6 back by 420 ms; without the restore: 1, until 500 ms
    tickEachMs(d, 4 * INTERVAL + 21, 4 * INTERVAL + 99);
    expect(depotMags(d)).toBe(0);
    expect(d.stats().ranges).toBe(2 * MAG);  // CPU 0's own two stay (idle < CPU_IDLE_MS)
    expectBooks(d);
  });

  it("tests a cached range's own node: a 3-page one ending at the dma32 boundary stays, as it would lift cached32_node", () => {
    // Order 2 holds sizes 3 and 4 (order_base_2), so the 3-page node at the
    // top of the 32-bit space is [p, p + 2], 2^20 - 1 its hi: a 32-bit range
    // at or above cached32_node (the lowest of the 4-page ones below it), so
    // its free would step that node up. Taken as [p, p + 3], its hi would be
    // the boundary itself and the range a 64-bit one, freed by mistake.
    const DMA32_LIMIT = 2 ** 20 - 1;  // the last 32-bit pfn at 4 KiB
    const d = new IovaDomain(4096, 1, { cpus: 2, policy: "adaptive", maxRanges: 1 << 14 });
    const top = d.alloc(3, DMA32_LIMIT)!;
    expect(top + 2).toBe(DMA32_LIMIT);
    const got: number[] = [];
    for (let i = 0; i < 2 * MAG; i++) got.push(d.allocFast(4, DMA32_LIMIT, true, 0)!);
    // The 3-page one fills the loaded magazine last, so it is in the one
    // the next free pushes to the depot: the one the reclaim looks at.
    for (let i = 0; i < 2 * MAG - 1; i++) d.freeFast(got[i], 4, 0);
    d.freeFast(top, 3, 0);
    d.freeFast(got[2 * MAG - 1], 4, 0);
    expect(depotMags(d)).toBe(1);
    const start = d.stats().ranges;
    twoIntervalsQuiet(d);
    tickEachMs(d, 3 * INTERVAL, 5 * INTERVAL);
    expect(d.stats().ranges).toBe(start);  // every one would lift cached32_node: none went back
    expect(d.cacheStats().total).toBe(2 * MAG + 1);
    expectBooks(d);
  });

  it("a tick after a long gap runs one slice per ms of it, each its own hold, at most an interval's worth", () => {
    const d = quietAfterBurst(8 * MAG);
    twoIntervalsQuiet(d);
    const start = d.stats().ranges;
    d.tick(3 * INTERVAL + 9, INTERVAL);  // the interval's end and 10 ms of slices
    // A slice stays within one magazine (127 = 32 + 32 + 32 + 31), so 10 slices free 10 x 32 less the short ones.
    const freed = start - d.stats().ranges;
    expect(freed).toBeLessThanOrEqual(10 * ADAPTIVE_SLICE_PFNS);
    expect(freed).toBeGreaterThanOrEqual(10 * (ADAPTIVE_SLICE_PFNS - 1));
    expectBooks(d);
  });

  it("the slice is the policy's, and an option: a whole magazine per hold when asked", () => {
    expect(geometryOf("adaptive", 96).reclaimSlicePfns).toBe(ADAPTIVE_SLICE_PFNS);
    expect(geometryOf("linux-6.4", 96).reclaimSlicePfns).toBe(MAG);
    const d = quietAfterBurst(4 * MAG, { reclaimSlicePfns: MAG });
    twoIntervalsQuiet(d);
    const start = d.stats().ranges;
    d.tick(3 * INTERVAL, INTERVAL);
    expect(start - d.stats().ranges).toBe(MAG);
    expect(() => new IovaDomain(4096, 1, { policy: "adaptive", reclaimSlicePfns: 0 })).toThrow(InvalidArgumentError);
    expect(() => new IovaDomain(4096, 1, { policy: "adaptive", reclaimSlicePfns: 0 })).toThrow(/reclaimSlicePfns/);
  });

  it("flushAll mid-reclaim also returns the magazine being returned", () => {
    const d = quietAfterBurst(4 * MAG);
    twoIntervalsQuiet(d);
    d.tick(3 * INTERVAL, INTERVAL);
    let inHand = 0;
    const st = d.statsDump();
    for (let o = 0; o < codes().ORDERS; o++) inHand += st.depot(o, "reclaimingPfns");
    expect(inHand).toBe(MAG - ADAPTIVE_SLICE_PFNS);
    d.flushAll();
    expect(d.cacheStats().total).toBe(0);
    expect(d.stats().ranges).toBe(0);
  });
});

describe("adaptive in the simulator: the reclaim's holds of the tree lock are a slice's", () => {
  // No steady study load leaves adaptive a surplus (docs/adaptive-policy.md),
  // so this one is made to: a small machine whose load's draw from the depot
  // varies from one 10 ms reclaim interval to the next, so that magazines sit
  // unused through two intervals and go to the tree in slices. 1% of its
  // I/Os are too big to cache (256 KiB): their frees lift the tree's cached
  // node, below which the reclaim's frees lengthen no walk (magFreeKeepingStart).
  // 4 s: with the lock holds in time order (2026-12-02) the first 2 s of this
  // load leave no surplus (the old lock model's 2 s gave 6 reclaim holds); 4 s give 2.
  it("frees to the tree, each hold within one slice's frees", () => {
    const cfg = resolveSimOptions({ policy: "adaptive", cpus: 8, jobs: 4, durationMs: 4000, bs: "4k/50:64k/49:256k/1", reclaimIntervalMs: 10 });
    const r = simulate(cfg);
    expect(r.books.ok, r.books.problems.join("; ")).toBe(true);
    expect(r.counters.policyTreeHolds).toBeGreaterThan(0);
    const c = cfg.costs;
    // The slice's frees, the lock, one hand-off; + 1 ns: a hold is the difference of two simulated times in f64.
    const bound = cfg.reclaimSlicePfns * c.treeFreeNs + c.lockNs + Math.max(c.lockHandoffNs, c.lockHandoffRemoteNs) + 1;
    expect(cfg.reclaimSlicePfns).toBeLessThan(MAG);  // a whole magazine would be more than a slice
    expect(r.counters.policyTreeMaxHoldNs).toBeGreaterThan(0);
    expect(r.counters.policyTreeMaxHoldNs).toBeLessThanOrEqual(bound);
  }, 60_000);
});
