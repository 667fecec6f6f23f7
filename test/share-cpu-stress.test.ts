// Two views of one CPU (attach's shareCpu), in two worker threads, running
// the batch APIs at the same moment: allocFastBatch, freeFastBatch,
// iterRanges and a LocalCache (whose refills and spills are batches). Each
// view has its own scratch slot, so neither reads the other's pfns: every
// page handed out is marked in a shared array and must go 0 -> 1, and at
// the end, everything freed and flushed, the tree is empty and sound.
// (With one scratch slot per CPU this handed hundreds of pfns out twice.)
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { IovaDomain, ViewClosedError } from "../dist/src/index.js";

const ENTRY = new URL("../dist/src/index.js", import.meta.url).href;
/** The pfns the workers allocate below (4 KiB pages: 128 MiB of IOVA space). */
const LIMIT = 1 << 15;
const ROUNDS = 400;

/** The worker: CommonJS text (eval), importing the built package. */
const WORKER = `
const { workerData, parentPort } = require("node:worker_threads");
import(${JSON.stringify(ENTRY)}).then(({ IovaDomain, LocalCache }) => {
  const { handle, cpu, owners, seed, rounds, limit, go } = workerData;
  const own = new Int32Array(owners);
  const d = IovaDomain.attach(handle, cpu, { shareCpu: true });
  const cache = new LocalCache(d, { limitPfn: limit, batch: 48 });
  let s = seed >>> 0;
  const rnd = (n) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
  let dup = 0, handed = 0, badRanges = 0;
  const take = (pfn, size) => { handed++; for (let p = pfn; p < pfn + size; p++) if (Atomics.add(own, p, 1) !== 0) dup++; };
  const give = (pfn, size) => { for (let p = pfn; p < pfn + size; p++) Atomics.sub(own, p, 1); };
  const held = [];
  const gate = new Int32Array(go);
  Atomics.add(gate, 0, 1);
  while (Atomics.load(gate, 0) < 2) {}  // both start together
  for (let r = 0; r < rounds; r++) {
    const n = 1 + rnd(200);
    const sizes = Array.from({ length: n }, () => 1 << rnd(4));
    const got = d.allocFastBatch(sizes, limit);
    for (let i = 0; i < n; i++) if (got[i] !== 0) { take(got[i], sizes[i]); held.push([got[i], sizes[i]]); }
    for (let k = 0; k < 20; k++) {
      const size = 1 << rnd(3);
      const p = cache.alloc(size);
      if (p !== null) { take(p, size); held.push([p, -size]); }
    }
    if (r % 16 === 0) {
      let last = -1;
      for (const x of d.iterRanges()) { if (!(x.lo <= x.hi && x.lo > last)) badRanges++; last = x.hi; }
    }
    // Free about half of what is held, shuffled: batches through freeFastBatch, cache ranges one by one.
    const keep = [], pfns = [], fsizes = [];
    for (const h of held) {
      if (rnd(2) === 0) { keep.push(h); continue; }
      const size = Math.abs(h[1]);
      give(h[0], size);
      if (h[1] < 0) cache.free(h[0], size); else { pfns.push(h[0]); fsizes.push(size); }
    }
    if (pfns.length > 0) d.freeFastBatch(pfns, fsizes);
    held.length = 0;
    held.push(...keep);
  }
  for (const h of held) { const size = Math.abs(h[1]); give(h[0], size); if (h[1] < 0) cache.free(h[0], size); else d.freeFast(h[0], size); }
  cache.close();
  d[Symbol.dispose]();
  parentPort.postMessage({ dup, handed, badRanges });
}).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

interface Result { dup: number; handed: number; badRanges: number; error?: string }

function run(domain: IovaDomain, cpu: number, owners: SharedArrayBuffer, seed: number, go: SharedArrayBuffer): Promise<Result> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { handle: domain.handle, cpu, owners, seed, rounds: ROUNDS, limit: LIMIT, go } });
    const timer = setTimeout(() => { void w.terminate(); reject(new Error(`worker ${seed} did not finish in 60 s`)); }, 60_000);
    w.once("message", (m: Result) => { clearTimeout(timer); resolve(m); void w.terminate(); });
    w.once("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

describe("two sharers of one CPU run the batch APIs at once", () => {
  for (const policy of ["linux-6.4", "adaptive"] as const) {
    it(`${policy}: ${ROUNDS} rounds each of allocFastBatch, LocalCache, iterRanges, freeFastBatch; exact books`, async () => {
      const d = new IovaDomain(4096, 1, { cpus: 2, policy, maxRanges: 1 << 16, sharedViews: 2 });
      const owners = new SharedArrayBuffer(4 * (LIMIT + 1));
      const go = new SharedArrayBuffer(4);
      const rs = await Promise.all([run(d, 0, owners, 11, go), run(d, 0, owners, 29, go)]);
      for (const r of rs) expect(r.error).toBeUndefined();
      expect(rs.map((r) => r.dup)).toEqual([0, 0]);
      expect(rs.map((r) => r.badRanges)).toEqual([0, 0]);
      expect(Math.min(...rs.map((r) => r.handed))).toBeGreaterThan(ROUNDS * 50);
      // Every page was given back by its holder; nothing is left allocated.
      expect(new Int32Array(owners).every((x) => x === 0)).toBe(true);
      d.flushAll();
      expect(d.ranges()).toEqual([]);
      d.check();
      // Both views gave their slots back (dispose): two more sharers fit, a third does not.
      const a = IovaDomain.attach(d.handle, 1, { shareCpu: true });
      const b = IovaDomain.attach(d.handle, 0, { shareCpu: true });
      expect(() => IovaDomain.attach(d.handle, 0, { shareCpu: true })).toThrow(/sharedViews/);
      a[Symbol.dispose]();
      expect(() => a.allocFastBatch([1], LIMIT)).toThrow(ViewClosedError);
      expect(b.allocFastBatch([1], LIMIT)[0]).toBeGreaterThan(0);
    }, 90_000);
  }
});
