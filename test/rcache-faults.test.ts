// Faults in the range caches: a magazine slab that runs dry (fault
// injection), CPUs that die mid-run, the CPU-dead path racing with live
// CPUs, and a lock whose holder died.
//
// Accounting of a dead worker: what it had cached in its magazines comes
// back through the CPU-dead path (CpuPool runs setCpuAlive(cpu, false) +
// freeCpuCached(cpu) when its thread exits). What it held *allocated* is the
// caller's, as a driver's mapped ranges are: the pool stops the worker at a
// safe point, between two domain calls, and the worker posts its live set
// there (CpuDeath.partial) before it is terminated; the test frees those
// ranges from the host on its behalf and counts them. Nothing may be lost.
import { afterEach, describe, expect, it } from "vitest";
import { IovaDomain, LockHolderDeadError, POLICIES, type DomainOptions } from "../dist/src/index.js";
import { assertDisjoint, auditBooks, treeLockOffset } from "../dist/src/workers/audit.js";
import {
  CpuPool, Mailboxes, WorkerExitedError, type WorkloadResult, type WorkloadSpec,
} from "../dist/src/workers/pool.js";
import { runWorkload } from "../dist/src/workers/workload.js";

const LIMIT32 = 2 ** 20 - 1;
const LIMIT44 = 2 ** 32 - 1;
const LIMITS = [LIMIT32, LIMIT44];

let pool: CpuPool | null = null;
afterEach(async () => {
  await pool?.terminateAll();
  pool = null;
});

const sum = (rs: WorkloadResult[], k: keyof WorkloadResult) => rs.reduce((a, r) => a + (r[k] as number), 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Free `live` ([pfn, size, ...]) through the tree, as the owner of those mappings would; every one must exist. */
function freeOnBehalf(d: IovaDomain, live: number[]): number {
  let n = 0;
  for (let i = 0; i < live.length; i += 2) {
    expect(d.free(live[i]), `pfn ${live[i]}`).toBe(true);
    n++;
  }
  return n;
}

/** The end of every fault test: everything freed and flushed, the tree is empty and sound. */
function expectEmptyAfterFlush(d: IovaDomain) {
  d.flushAll();
  expect(d.stats().ranges).toBe(0);
  expect(d.ranges()).toEqual([]);
  expect(d.cacheStats().total).toBe(0);
  const st = d.stats();
  expect(st.allocs).toBe(st.frees);
  expect(st.freeMisses).toBe(0);
  d.check();
}

function expectCountsMatch(d: IovaDomain, rs: WorkloadResult[]) {
  const cs = d.cacheStats();
  expect(cs.hits + cs.misses).toBe(sum(rs, "cachedAllocCalls"));
  expect(cs.inserts + cs.insertFails).toBe(sum(rs, "cachedFreeCalls"));
  expect(sum(rs, "allocs")).toBe(cs.hits + d.stats().allocs);
}

interface Slab {
  name: string;
  options: Partial<DomainOptions>;
  /** limitMagazines(n) right after construction. */
  limit?: number;
}

const SLABS: Slab[] = [
  { name: "maxMagazines 0 (no CPU gets a magazine)", options: { maxMagazines: 0 } },
  { name: "maxMagazines 1", options: { maxMagazines: 1 } },
  { name: "maxMagazines 5", options: { maxMagazines: 5 } },
  { name: "limitMagazines(0)", options: {}, limit: 0 },
  { name: "limitMagazines(1)", options: {}, limit: 1 },
  { name: "limitMagazines(3)", options: {}, limit: 3 },
];

function spec(seed: number, ops: number, extra: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return { seed, ops, sizes: [1, 64], limits: LIMITS, maxLive: 300, phase: 700, allocBias: 0.8, ...extra };
}

describe("tiny magazine slab, one thread", () => {
  for (const policy of POLICIES) {
    for (const slab of SLABS) {
      it(`${policy}: ${slab.name}`, () => {
        const d = new IovaDomain(4096, 1, { cpus: 2, policy, magazineSize: 4, depotMax: 2, maxRanges: 1 << 16, ...slab.options });
        if (slab.limit !== undefined) d.limitMagazines(slab.limit);
        const before = d.cacheStats().magazines.used;
        // The host thread acts as CPU 0 then CPU 1; then the limit drops to 0 mid-run and comes back.
        const rs = [runWorkload(d, 0, spec(1, 6000), () => false), runWorkload(d, 1, spec(2, 6000), () => false)];
        d.limitMagazines(0);
        rs.push(runWorkload(d, 0, spec(3, 3000), () => false));
        d.limitMagazines(slab.limit ?? 2);
        rs.push(runWorkload(d, 1, spec(4, 3000), () => false));
        const cs = d.cacheStats();
        expect(cs.magazines.used).toBeLessThanOrEqual(Math.max(before, slab.limit ?? 2, slab.options.maxMagazines ?? 0));
        expect(cs.magazines.allocFailures).toBeGreaterThan(0);
        for (const r of rs) expect(r.ops).toBe(r.allocs + r.allocFails + r.frees);
        expectCountsMatch(d, rs);
        const live = rs.flatMap((r) => r.live);
        assertDisjoint(live);
        auditBooks(d, live);
        for (let i = 0; i < rs.length; i++) {
          const l = rs[i].live;
          for (let k = 0; k < l.length; k += 2) d.freeFast(l[k], l[k + 1], (i + 1) % 2);  // freed on the other CPU
        }
        auditBooks(d, []);
        expectEmptyAfterFlush(d);
      });
    }
  }
});

/** Runs `workers` workers with cross-CPU mailboxes; frees everything at the end; returns the results. */
async function runPool(d: IovaDomain, workers: number, make: (cpu: number) => WorkloadSpec) {
  pool = await CpuPool.start(d, { workers });
  const cap = 64;
  const ring = Mailboxes.create(workers, cap);
  const rs = await pool.all((cpu) => ({ kind: "workload", spec: { ...make(cpu), mailbox: Mailboxes.spec(ring, workers, cap, cpu, 0.2) } }), { gate: true });
  const live = [...rs.flatMap((r) => r.live), ...Mailboxes.pending(ring, workers, cap)];
  assertDisjoint(live);
  auditBooks(d, live);
  expectCountsMatch(d, rs);
  const per = rs.map((r) => [...r.live]);
  Mailboxes.drainAll(ring, workers, cap).forEach((x, k) => per[(k + 1) % workers].push(...x));
  await pool.all((cpu) => ({ kind: "freeRanges", ranges: per[cpu] }));
  auditBooks(d, []);
  await pool.close();
  pool = null;
  return rs;
}

describe("tiny magazine slab, 4 workers", () => {
  for (const policy of POLICIES) {
    for (const slab of SLABS) {
      it(`${policy}: ${slab.name}`, async () => {
        const d = new IovaDomain(4096, 1, { cpus: 4, policy, magazineSize: 4, depotMax: 2, maxRanges: 1 << 16, ...slab.options });
        if (slab.limit !== undefined) d.limitMagazines(slab.limit);
        const rs = await runPool(d, 4, (cpu) => spec(10 + cpu, 20_000));
        expect(sum(rs, "allocs")).toBeGreaterThan(0);
        expect(d.cacheStats().magazines.allocFailures).toBeGreaterThan(0);
        expectEmptyAfterFlush(d);
      });
    }
  }
});

describe("a CPU dies mid-run", () => {
  for (const policy of POLICIES) {
    it(`${policy}: its magazines return through the CPU-dead path, its live ranges are freed on its behalf`, async () => {
      const workers = 3;
      const OPS = 3_000_000;
      const d = new IovaDomain(4096, 1, { cpus: workers, policy, magazineSize: 8, depotMax: 4, maxRanges: 1 << 17 });
      pool = await CpuPool.start(d);
      const cap = 64;
      const ring = Mailboxes.create(workers, cap);
      // Workers 0 and 2 run a bounded workload; worker 1 runs until it is killed.
      const runs = pool.allSettled((cpu) => ({
        kind: "workload",
        spec: { ...spec(20 + cpu, cpu === 1 ? OPS : 150_000), mailbox: Mailboxes.spec(ring, workers, cap, cpu, 0.2) },
      }), { gate: true });
      await sleep(150);
      const death = await pool.kill(1);
      expect(pool.isAlive(1)).toBe(false);
      expect(death.cpuDeadPath).toBe(true);
      expect(death.cpuDeadPathError).toBeUndefined();
      const partial = death.partial as WorkloadResult;
      expect(partial.stopped).toBe(true);
      expect(partial.ops).toBeGreaterThan(0);
      expect(partial.ops + partial.sent).toBeLessThan(OPS);
      expect(partial.ops).toBe(partial.allocs + partial.allocFails + partial.frees);
      // Its magazines are empty (nothing else uses CPU 1's caches), while the others still run.
      const cs = d.cacheStats();
      expect(cs.loaded[1].every((n) => n === 0) && cs.prev[1].every((n) => n === 0)).toBe(true);
      // Its allocated ranges: freed from the host on its behalf, while the others run.
      const freedOnBehalf = freeOnBehalf(d, partial.live);
      expect(freedOnBehalf).toBe(partial.live.length / 2);

      const settled = await runs;
      expect(settled[1].status).toBe("rejected");
      const err = (settled[1] as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(WorkerExitedError);
      expect((err as WorkerExitedError).partial).toEqual(partial);
      const others = [settled[0], settled[2]].map((s) => (s as PromiseFulfilledResult<WorkloadResult>).value);
      for (const r of others) expect(r.ops + r.sent).toBe(150_000);
      const all = [...others, partial];
      expectCountsMatch(d, all);
      expect(sum(all, "sent")).toBe(sum(all, "received") + Mailboxes.pending(ring, workers, cap).length / 2);

      // Books: the survivors' live ranges + ranges in flight (some bound for the dead CPU) + cached.
      const inFlight = Mailboxes.drainAll(ring, workers, cap);
      const live = [...others.flatMap((r) => r.live), ...inFlight.flat()];
      assertDisjoint(live);
      auditBooks(d, live);
      // Free the rest on the survivors (what was bound for CPU 1 is completed on CPU 2).
      const per: number[][] = [[...others[0].live], [], [...others[1].live]];
      inFlight.forEach((x, k) => per[(k + 1) % workers === 1 ? 2 : (k + 1) % workers].push(...x));
      await pool.all((cpu) => ({ kind: "freeRanges", ranges: per[cpu] }), { cpus: [0, 2] });
      auditBooks(d, []);
      expectEmptyAfterFlush(d);
      await pool.close();
      pool = null;
    });
  }

  it("a crashing worker (uncaught error) goes through the CPU-dead path too", async () => {
    const d = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4", magazineSize: 8 });
    pool = await CpuPool.start(d);
    const r = await pool.send(0, { kind: "workload", spec: spec(5, 5000) });
    expect(d.cacheStats().cpuTotal).toBeGreaterThan(0);
    const boom = "data:text/javascript,export function boom() { setTimeout(() => { throw new Error('boom') }, 0); return 1; }";
    await pool.send(0, { kind: "run", module: boom, fn: "boom" });
    const death = await pool.exited(0);
    expect(death.exitCode).not.toBe(0);
    expect(death.crash?.message).toBe("boom");
    expect(death.cpuDeadPathError).toBeUndefined();
    const cs = d.cacheStats();
    expect(cs.loaded[0].concat(cs.prev[0]).every((n) => n === 0)).toBe(true);
    auditBooks(d, r.live);
    freeOnBehalf(d, r.live);
    expectEmptyAfterFlush(d);
    await pool.close();
    pool = null;
  });

  it("kill({ now: true }) of an idle worker: terminated at once, CPU-dead path runs", async () => {
    const d = new IovaDomain(4096, 1, { cpus: 2, policy: "adaptive" });
    pool = await CpuPool.start(d);
    const r = await pool.send(1, { kind: "workload", spec: spec(6, 5000) });
    const death = await pool.kill(1, { now: true });
    expect(death.cpuDeadPath).toBe(true);
    expect(death.cpuDeadPathError).toBeUndefined();
    await expect(pool.send(1, { kind: "ping" })).rejects.toBeInstanceOf(WorkerExitedError);
    expect(await pool.send(0, { kind: "ping" })).toEqual({ cpu: 0 });
    auditBooks(d, r.live);
    freeOnBehalf(d, r.live);
    expectEmptyAfterFlush(d);
    await pool.close();
    pool = null;
  });
});

describe("the CPU-dead path from the host while the CPUs run", () => {
  for (const policy of POLICIES) {
    it(`${policy}: freeCpuCached and flushAll racing with 3 workers`, async () => {
      const workers = 3;
      const d = new IovaDomain(4096, 1, { cpus: workers, policy, magazineSize: 8, depotMax: 4, maxRanges: 1 << 17 });
      pool = await CpuPool.start(d);
      const cap = 64;
      const ring = Mailboxes.create(workers, cap);
      let done = false;
      const runs = pool.all((cpu) => ({
        kind: "workload", spec: { ...spec(40 + cpu, 200_000), mailbox: Mailboxes.spec(ring, workers, cap, cpu, 0.2) },
      }), { gate: true }).finally(() => { done = true; });
      let calls = 0;
      while (!done) {
        d.freeCpuCached(calls % workers);
        if (calls % 10 === 9) d.flushAll();
        calls++;
        await sleep(1);
      }
      const rs = await runs;
      expect(calls).toBeGreaterThan(5);
      expectCountsMatch(d, rs);
      const live = [...rs.flatMap((r) => r.live), ...Mailboxes.pending(ring, workers, cap)];
      assertDisjoint(live);
      auditBooks(d, live);
      const per = rs.map((r) => [...r.live]);
      Mailboxes.drainAll(ring, workers, cap).forEach((x, k) => per[(k + 1) % workers].push(...x));
      await pool.all((cpu) => ({ kind: "freeRanges", ranges: per[cpu] }));
      expectEmptyAfterFlush(d);
      await pool.close();
      pool = null;
    });
  }
});

describe("a lock whose holder died", () => {
  it("the tree lock held by a dead CPU: others get LockHolderDeadError instead of hanging", async () => {
    const d = new IovaDomain(4096, 1, { cpus: 3, policy: "linux-6.4", maxRanges: 1 << 12 });
    pool = await CpuPool.start(d);
    const treeLock = d.base + treeLockOffset(d);
    // CPU 0 takes the tree lock (the lock protocol, from JS) and keeps it; then its worker dies.
    const held = await pool.send(0, { kind: "holdLock", addr: treeLock });
    expect(held.holder).toBe(1);
    expect(new Uint32Array(d.memory.buffer)[treeLock >>> 2]).toBe(1);
    const death = await pool.kill(0);
    // CPU 0 had cached nothing, so its CPU-dead path needs no lock; but it
    // first looks for a lock the dead CPU still holds, finds the tree lock,
    // and reports it at once (poisoning the domain).
    expect(death.cpuDeadPathError).toBeInstanceOf(LockHolderDeadError);
    expect((death.cpuDeadPathError as LockHolderDeadError).holderCpu).toBe(0);
    expect(d.poisonedBy).toBe(0);
    // CPU 1 needs the tree (sizes > 32 are never cached): it is refused, without waiting.
    const t0 = Date.now();
    const err = await pool.send(1, { kind: "workload", spec: spec(7, 10, { sizes: [33, 64] }) }).catch((e) => e);
    const waited = Date.now() - t0;
    expect(err).toBeInstanceOf(LockHolderDeadError);
    expect((err as LockHolderDeadError).holderCpu).toBe(0);
    expect(waited).toBeLessThan(15_000);
    // The host too.
    expect(() => d.alloc(1, LIMIT32)).toThrow(LockHolderDeadError);
    // CPU 2 still serves what its own cache can without the tree: nothing (empty), so it hits the dead lock too.
    await expect(pool.send(2, { kind: "workload", spec: spec(8, 1, { sizes: [1, 1] }) })).rejects.toBeInstanceOf(LockHolderDeadError);
  }, 60_000);

  it("a dead CPU holding the tree lock with pfns cached: its own CPU-dead path reports LockHolderDeadError", async () => {
    const d = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-5.10", maxRanges: 1 << 12 });
    pool = await CpuPool.start(d);
    const r = await pool.send(0, { kind: "workload", spec: spec(9, 2000, { sizes: [1, 8] }) });
    const cached = d.cacheStats().cpuTotal;
    expect(cached).toBeGreaterThan(0);
    await pool.send(0, { kind: "holdLock", addr: d.base + treeLockOffset(d) });
    const death = await pool.kill(0);
    expect(death.cpuDeadPath).toBe(true);
    expect(death.cpuDeadPathError).toBeInstanceOf(LockHolderDeadError);
    expect((death.cpuDeadPathError as LockHolderDeadError).holderCpu).toBe(0);
    // Its pfns could not go back: the domain is stuck with them, and says so instead of hanging.
    expect(d.cacheStats().cpuTotal).toBeGreaterThan(0);
    expect(r.live.length).toBeGreaterThan(0);
    // The domain is poisoned: every later call that needs a lock fails at once, naming CPU 0.
    const t0 = Date.now();
    let err: unknown = null;
    try {
      d.flushAll();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockHolderDeadError);
    expect((err as LockHolderDeadError).holderCpu).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 60_000);
});
