// The batch entry points (assembly/rcache/batch.ts: allocFastBatch,
// freeFastBatch) run the magazine work of allocFast / freeFast as
// cacheGetLocked / cacheInsertLocked under a held lock, while allocFast and
// freeFast (rcache.ts) write their hit case out beside those functions for
// speed. A change to one copy must not silently diverge from the other
// (reviewer LOW 8): here two domains run the same seeded stream, one call by
// one call and in batches, and every result and every counter must agree
// after every group: pfns handed out, the dump's domain, depot, per-CPU and
// per-cell counters, the tree's ranges. The stream reaches every path the
// two copies have: loaded-magazine hits and pushes, swaps with prev, depot
// pops and pushes, depot-full events, refused inserts (cpu-flush's flush of
// every CPU), tree misses with and without the flush-and-retry, failures,
// and sizes above the cached orders.
import { describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/domain/iova-domain.js";
import { POLICIES } from "../dist/src/domain/policy.js";
import { codes } from "../dist/src/wasm/codes.js";
import { splitmix32 } from "../dist/src/util/splitmix32.js";

const CPUS = 2;
/** 1..32 pages are cached (6 orders); 33 and 64 are not. 2^12 pfns with start 1: the space runs out and allocations fail. */
const SIZES = [1, 1, 1, 2, 2, 3, 4, 4, 8, 16, 32, 33, 64];
const LIMIT = 4095;
const GROUPS = 1500;

function make(policy: (typeof POLICIES)[number]): IovaDomain {
  return new IovaDomain(4096, 1, { cpus: CPUS, policy, magazineSize: 4, depotMax: 2, maxRanges: 1 << 13 });
}

/** Every counter of the dump and the tree's ranges, as one comparable object. */
function books(d: IovaDomain): Record<string, unknown> {
  const c = codes();
  const dump = d.statsDump();
  const names = (set: Record<string, number>) => Object.keys(set).filter((k) => k !== "COUNT" && Number.isNaN(Number(k)));
  const out: Record<string, unknown> = {};
  for (const k of names(c.Stat)) if (k !== "clockMs") out[`stat.${k}`] = dump.stat(k as never);
  for (let o = 0; o < c.ORDERS; o++) for (const k of names(c.DepotStat)) out[`depot${o}.${k}`] = dump.depot(o, k as never);
  for (let cpu = 0; cpu < CPUS; cpu++) {
    for (const k of names(c.CpuStat)) out[`cpu${cpu}.${k}`] = dump.cpu(cpu, k as never);
    for (let o = 0; o < c.ORDERS; o++) for (const k of names(c.CellStat)) out[`cell${cpu}.${o}.${k}`] = dump.cell(cpu, o, k as never);
  }
  out.ranges = d.ranges().map((r) => [r.lo, r.hi]);
  return out;
}

describe("batch and one-by-one rcache calls on the same stream agree on every result and counter", () => {
  for (const policy of POLICIES) {
    it(policy, () => {
      const one = make(policy);
      const batch = make(policy);
      const next = splitmix32(0xba7c4 ^ policy.length);
      const live: Array<{ pfn: number; size: number }> = [];
      const seen = { fails: 0, treeFrees: 0, depotFull: 0, insertFails: 0 };
      try {
        for (let g = 0; g < GROUPS; g++) {
          const cpu = next() % CPUS;
          const k = 1 + (next() % 24);
          if (live.length < 8 || next() % 2 === 0) {
            const sizes = Array.from({ length: k }, () => SIZES[next() % SIZES.length]!);
            const flush = next() % 4 !== 0;
            const got = sizes.map((s) => one.allocFast(s, LIMIT, flush, cpu) ?? 0);
            const gotBatch = Array.from(batch.allocFastBatch(sizes, LIMIT, flush, cpu));
            expect(gotBatch, `group ${g}: alloc ${sizes} on CPU ${cpu}`).toEqual(got);
            got.forEach((pfn, i) => { if (pfn !== 0) live.push({ pfn, size: sizes[i]! }); else seen.fails++; });
          } else {
            const picked: Array<{ pfn: number; size: number }> = [];
            for (let i = 0; i < k && live.length > 0; i++) picked.push(live.splice(next() % live.length, 1)[0]!);
            for (const r of picked) one.freeFast(r.pfn, r.size, cpu);
            batch.freeFastBatch(picked.map((r) => r.pfn), picked.map((r) => r.size), cpu);
          }
          // Every 50 groups (and at the end) the whole books; the pfns are compared after every group above.
          if (g % 50 === 49 || g === GROUPS - 1) expect(books(batch), `after group ${g}`).toEqual(books(one));
        }
        const b = books(one) as Record<string, number>;
        seen.depotFull = Array.from({ length: codes().ORDERS }, (_, o) => b[`depot${o}.fullEvents`]!).reduce((a, x) => a + x, 0);
        seen.insertFails = b["cpu0.insertFails"]! + b["cpu1.insertFails"]!;
        seen.treeFrees = b["stat.frees"]!;
        // The stream reached the paths it is meant to compare (figures per policy, seed fixed).
        expect(seen.fails, "allocations failed (tree full)").toBeGreaterThan(0);
        expect(seen.treeFrees, "frees reached the tree").toBeGreaterThan(0);
        expect(b["cpu0.hits"]! + b["cpu1.hits"]!, "cache hits").toBeGreaterThan(0);
        expect(b["cpu0.misses"]! + b["cpu1.misses"]!, "cache misses").toBeGreaterThan(0);
        const pushes = Array.from({ length: codes().ORDERS }, (_, o) => b[`depot${o}.pushes`]! + b[`depot${o}.pops`]!).reduce((a, x) => a + x, 0);
        expect(pushes, "depot pushes and pops").toBeGreaterThan(0);
        console.log(`${policy}: ${JSON.stringify({ ...seen, hits: b["cpu0.hits"]! + b["cpu1.hits"]!, depotPushesPops: pushes })}`);
        // Both free back to an empty tree.
        for (const r of live) { one.freeFast(r.pfn, r.size, 0); }
        batch.freeFastBatch(live.map((r) => r.pfn), live.map((r) => r.size), 0);
        one.flushAll();
        batch.flushAll();
        expect(books(batch)).toEqual(books(one));
        expect(one.ranges()).toEqual([]);
        one.check();
        batch.check();
      } finally {
        one.destroy();
        batch.destroy();
      }
    });
  }
});
