// alloc_iova_fast / free_iova_fast's single calls (the hot pair's path, and
// the one a lock-free pop would replace: docs/architecture.md, "One atomic
// per operation") against every other holder of the CPU cache lock, with
// exact books: more sharers of one CPU than this machine has cores (so they
// are preempted inside their operations and park on the lock), each making
// single allocFast / freeFast calls and holding a varying
// number of ranges, so that the loaded magazine fills and empties and is
// swapped with prev and the depot under the lock while others pop. The IOVA
// space is small: allocations run out and their flush-and-retry empties
// every CPU's magazines (free_cpu_cached_iovas from a remote thread) under
// the poppers; a flusher view on another CPU also flushes CPU 0 by hand, and
// under adaptive runs its reclaim (depotTick: the idle-CPU sweep moves a
// CPU's magazines to the depot). Every page handed out is marked in a shared
// array and must go 0 -> 1 (nothing handed out twice); at the end, all freed
// and flushed, the tree is empty (nothing lost: a pfn dropped from a
// magazine would stay allocated in the tree) and sound.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/index.js";

const ENTRY = new URL("../dist/src/index.js", import.meta.url).href;
/** Pfns below this: 900 pages, fewer than the poppers want to hold (up to 200 ranges each), so allocations run out. */
const LIMIT = 900;
const POPPERS = Math.max(6, availableParallelism() * 3);
const CALLS = 60_000;

/** The worker: CommonJS text (eval), importing the built package. */
const WORKER = `
const { workerData, parentPort } = require("node:worker_threads");
import(${JSON.stringify(ENTRY)}).then(({ IovaDomain }) => {
  const { handle, cpu, share, owners, seed, calls, limit, go, parties, flusher, adaptive } = workerData;
  const own = new Int32Array(owners);
  const d = IovaDomain.attach(handle, cpu, { shareCpu: share });
  let s = seed >>> 0;
  const rnd = (n) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
  let dup = 0, handed = 0, failed = 0, flushes = 0;
  const gate = new Int32Array(go);
  // Everyone starts together; the waiters sleep (more threads than cores: a spin would steal the CPU).
  if (Atomics.add(gate, 0, 1) + 1 === parties) Atomics.notify(gate, 0);
  else for (let v; (v = Atomics.load(gate, 0)) < parties;) Atomics.wait(gate, 0, v);
  const held = [];
  let want = 2 * rnd(200);
  for (let i = 0; i < calls; i++) {
    if (flusher && i % 64 === 0) {
      d.freeCpuCached(0);  // a remote free_cpu_cached_iovas of the poppers' CPU
      if (adaptive) d.tick(i >> 6, 1);  // one ms a step: adaptive's reclaim and idle-CPU sweep
      flushes++;
    }
    if (i % 1000 === 0) want = 2 * rnd(200);
    if (held.length < want || (held.length === want && rnd(2) === 0)) {
      const size = rnd(8) === 0 ? 2 : 1;
      const pfn = d.allocFast(size, limit);
      if (pfn === null) { failed++; continue; }
      handed++;
      for (let p = pfn; p < pfn + size; p++) if (Atomics.add(own, p, 1) !== 0) dup++;
      held.push(pfn, size);
    } else if (held.length > 0) {
      const k = rnd(held.length >> 1) << 1;
      const pfn = held[k], size = held[k + 1];
      held[k] = held[held.length - 2]; held[k + 1] = held[held.length - 1];
      held.length -= 2;
      for (let p = pfn; p < pfn + size; p++) Atomics.sub(own, p, 1);
      d.freeFast(pfn, size);
    }
  }
  for (let k = 0; k < held.length; k += 2) {
    for (let p = held[k]; p < held[k] + held[k + 1]; p++) Atomics.sub(own, p, 1);
    d.freeFast(held[k], held[k + 1]);
  }
  d[Symbol.dispose]();
  parentPort.postMessage({ dup, handed, failed, flushes });
}).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

interface Result { dup: number; handed: number; failed: number; flushes: number; error?: string }

describe("single-call pops racing remote flushes, magazine swaps and parked sharers", () => {
  for (const policy of ["linux-6.4", "linux-5.10", "adaptive"] as const) {
    it(`${policy}: ${POPPERS} sharers of CPU 0 x ${CALLS} single calls, a flusher on CPU 1; nothing handed out twice or lost`, async () => {
      const d = new IovaDomain(4096, 1, { cpus: 2, policy, maxRanges: 1 << 14, sharedViews: POPPERS + 2 });
      const owners = new SharedArrayBuffer(4 * (LIMIT + 2));
      const go = new SharedArrayBuffer(4);
      const parties = POPPERS + 1;
      const before = d.cacheStats();
      const results = await Promise.all(Array.from({ length: parties }, (_, i) => new Promise<Result>((resolve, reject) => {
        const flusher = i === POPPERS;
        const w = new Worker(WORKER, {
          eval: true,
          workerData: {
            handle: d.handle, cpu: flusher ? 1 : 0, share: !flusher, owners, seed: 7919 * (i + 1), calls: flusher ? CALLS / 4 : CALLS,
            limit: LIMIT, go, parties, flusher, adaptive: policy === "adaptive",
          },
        });
        const timer = setTimeout(() => { void w.terminate(); reject(new Error(`worker ${i} did not finish in 180 s`)); }, 180_000);
        w.once("message", (m: Result) => { clearTimeout(timer); resolve(m); void w.terminate(); });
        w.once("error", (e) => { clearTimeout(timer); reject(e); });
      })));
      for (const r of results) expect(r.error).toBeUndefined();
      const dup = results.reduce((a, r) => a + r.dup, 0);
      const handed = results.reduce((a, r) => a + r.handed, 0);
      const failed = results.reduce((a, r) => a + r.failed, 0);
      const stats = d.cacheStats();
      console.log(`${policy}: ${handed} handed out, ${failed} failed allocations (each flushed every CPU's cache), `
        + `${results[POPPERS]!.flushes} hand flushes of CPU 0, ${stats.hits - before.hits} cache hits`);
      expect(dup, "pages handed out twice").toBe(0);
      expect(handed).toBeGreaterThan(POPPERS * CALLS / 4);
      // The space ran out while others popped: the flush-and-retry ran remotely under the poppers.
      expect(failed, "allocations that found the space exhausted").toBeGreaterThan(0);
      expect(new Int32Array(owners).every((x) => x === 0), "every page given back").toBe(true);
      d.flushAll();
      expect(d.stats().ranges, "ranges left in the tree after everything was freed and flushed").toBe(0);
      d.check();
      d.destroy();
    }, 400_000);
  }
});
