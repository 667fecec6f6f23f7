// Who may take over a CPU cache lock word a dead holder left boundary-marked
// (`holder | BOUNDARY`, assembly/lock.ts; docs/architecture.md "Boundary
// mark"). Only CpuPool's exit handler, after the worker's thread has ended
// (assembly/dead-cpu.ts takeOverDeadHolder): a worker marked dead may still
// run, and its next batch operation stores its plain id over the word
// without re-reading it. So a freeCpuCached called by hand on a CPU marked
// dead while its worker is still running must poison the domain, naming the
// CPU, and leave the word alone; and the exit handler's take-over must wake
// a waiter parked on that word, which then gets the lock.
//
// The marked word is stood up deterministically: the CPU's worker takes the
// lock with holdLock (the lock protocol, from JS) and stays idle in its
// message loop, and the test adds the mark, as a batch between two
// operations would have.
import { afterEach, describe, expect, it } from "vitest";
import { IovaDomain, LockHolderDeadError } from "../dist/src/index.js";
import { Journal } from "../dist/src/workers/fault-driver.js";
import { CpuPool } from "../dist/src/workers/pool.js";
import { within } from "./helpers/within.js";
import { cpu0CacheLockAddr } from "./helpers/cache-lock.js";

/** assembly/lock.ts's BOUNDARY (bit 30 of a lock word). */
const BOUNDARY = 0x40000000;
/** The waiter count in a lock's waiters word (assembly/lock.ts WAITER_COUNT). */
const WAITER_COUNT = 0xffff;
const DRIVER = new URL("../dist/src/workers/fault-driver.js", import.meta.url).pathname;
const BOUND_MS = 30_000;

let pool: CpuPool | null = null;
afterEach(async () => {
  await pool?.terminateAll();
  pool = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU 0's worker holds CPU 0's order-0 cache lock, its word marked as between two operations. */
async function markedLockOfCpu0(d: IovaDomain, p: CpuPool): Promise<{ u32: Uint32Array; at: number; marked: number }> {
  const addr = cpu0CacheLockAddr(d);
  const held = await p.send(0, { kind: "holdLock", addr });
  expect(held.holder).toBe(p.holderIdOf(0));
  expect(held.holder).toBe(1);
  const u32 = new Uint32Array(d.memory.buffer);
  const marked = held.holder | BOUNDARY;
  Atomics.store(u32, addr >>> 2, marked);
  return { u32, at: addr >>> 2, marked };
}

describe("a boundary-marked lock of a CPU marked dead", () => {
  it("freeCpuCached by hand while the worker still runs: the domain is poisoned, naming the CPU; the word is not taken over", async () => {
    const d = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4", maxRanges: 1 << 12 });
    pool = await CpuPool.start(d);
    const { u32, at, marked } = await markedLockOfCpu0(d, pool);
    const before = d.ex.boundaryTakeoverCount();
    // As the fault driver's freeCpuCached op after kill({ now: true }), or reclaimWorker: marked dead, thread running.
    d.setCpuAlive(0, false);
    expect(pool.isAlive(0), "the worker's thread is still running").toBe(true);
    let err: unknown = null;
    try {
      d.freeCpuCached(0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockHolderDeadError);
    expect((err as LockHolderDeadError).holderCpu).toBe(0);
    expect(d.poisonedBy).toBe(0);
    expect(d.ex.boundaryTakeoverCount() - before, "no take-over while the holder may run").toBe(0);
    expect(Atomics.load(u32, at), "the word is still the holder's").toBe(marked >>> 0);
    // Every later call that needs a lock fails at once, naming CPU 0; also after the worker's exit.
    await pool.kill(0, { now: true });
    expect(d.poisonedBy).toBe(0);
    expect(() => d.flushAll()).toThrow(LockHolderDeadError);
  }, 60_000);

  it("the exit handler takes it over and wakes a parked waiter, which gets the lock; the domain stays live", async () => {
    const d = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4", maxRanges: 1 << 12 });
    pool = await CpuPool.start(d);
    const { u32, at } = await markedLockOfCpu0(d, pool);
    const before = d.ex.boundaryTakeoverCount();
    // CPU 1's worker flushes CPU 0's cache (the fault driver's freeCpuCached op: freeCpuCached((cpu + 1) % cpus)),
    // which needs CPU 0's cache locks: it parks on the marked word.
    const j = Journal.create(16);
    let settled = false;
    const waiter = pool.send(1, {
      kind: "run", module: DRIVER, fn: "faultRun",
      args: { seed: 1, ops: 1, journal: j.sab, capacity: 16, mix: ["freeCpuCached"], sizes: [1], maxLive: 4,
        limitPfn: d.dma32Pfn - 1, deadlineMs: Date.now() + BOUND_MS },
    }).finally(() => { settled = true; });
    const until = Date.now() + BOUND_MS;
    while ((Atomics.load(u32, at + 1) & WAITER_COUNT) === 0) {
      if (Date.now() > until) throw new Error("the waiter never announced itself on CPU 0's cache lock");
      await sleep(1);
    }
    await sleep(50);
    expect(settled, "the waiter waits while the holder lives").toBe(false);
    // The holder's thread ends; its exit handler (the CPU-dead path) takes the lock over.
    const death = await within(pool.kill(0, { now: true }), BOUND_MS, "the kill");
    expect(death.cpuDeadPath).toBe(true);
    expect(death.cpuDeadPathError, String(death.cpuDeadPathError)).toBeUndefined();
    expect(d.ex.boundaryTakeoverCount() - before).toBe(1);
    const t0 = Date.now();
    const r = await within(waiter, BOUND_MS, "the waiter");
    // Woken by the take-over, not by a liveness check (~200 ms each, then ~10 s before poisoning).
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((r as { opsDone: number }).opsDone).toBe(1);
    expect(d.poisonedBy).toBe(null);
    expect(Atomics.load(u32, at), "free again after the waiter's hold").toBe(0);
    d.flushAll();
    d.check();
  }, 60_000);
});
