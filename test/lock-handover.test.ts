// The lock's hand-over (assembly/lock.ts): a parked waiter's wait is bounded
// in its holder's operations, and a waiter count left raised by a waiter
// that died while parked costs a park, never a hang or a miscount.
//
// The bound: the host announces itself as a waiter on CPU 0's cache lock
// while a worker runs one long fastLoop batch on CPU 0 (batch.ts: the hold
// steps aside when it sees a waiter), and counts the batch's operations
// between its announcement and its holding the lock (lockWaitOps: the sum of
// the cache's four counters read after the announcement, `before`, and again
// once it holds the lock, `after`). What the code allows, read from lock.ts
// and batch.ts:
// - Operations that begin after the announcement: at most 1. Every operation
//   of a hold first checks the waiters word (holdFor's waiterWaits); only
//   the first operation of a fresh hold does not (holdFor's lock() after a
//   dropHold that checked and found nobody), and the operation after it checks.
//   Once the check sees the waiter the hold hands over (unlockHandingOver),
//   and the batch cannot take the word back while the waiter is announced.
// - Operations that ended before the announcement but that `before` misses:
//   the worker bumps the counters with plain stores (rcache.ts, c.hits++ ...),
//   which x86 keeps in the core's store buffer for a while, and a load may
//   pass them (the probe's reads after its locked add, and the worker's check
//   after its stores: the store-then-load reordering x86-TSO allows). Only
//   the worker's locked instructions (the hold's lock() cmpxchg, unlock's
//   xchg) drain its buffer, so what `before` can miss is bounded by the
//   operations since the worker's last one: up to one whole hold, HOLD_OPS
//   (batch.ts, 16), when that hold's end is also the check that missed the
//   announcement and the fresh hold's first operation runs.
// - Reading the four counters one by one moves an operation to one side of
//   `before` or the other; it cannot count one twice.
// So the code bounds a probe at HOLD_OPS + 1 = 17. How many buffered stores
// `before` misses is the hardware's timing, not the code's: local runs saw at
// most 3 and a fresh clone's CI run under the full suite's load (Dec 2, 00:15
// UTC, integ a9a3d92) one probe of 4 (in 3.6 us), which the earlier accounting
// (1 + 1 + 1, this list's second item missing) did not explain. The test holds
// probes to the code's bound, 17: about 820 times below (14,000 / 17) the
// 14,000-93,000 operations a probe saw without the hand-over (below), which is what this test is here to catch; it prints the largest count
// it saw. The hard bound alone would let through a holder that checks for a
// waiter only at the end of a hold (dropHold): that gives 0-16, spread over the
// hold. So the test also asks that at least 90% of the probes in time saw at
// most TYPICAL = 3 operations: the per-operation check gives 0-1 plus what the
// store buffer hides, which the runs so far kept at 3 or less but once (4);
// the end-of-hold regression would put most probes above 3.
// The one exception is a waiter not scheduled for HANDOFF_TAKE_BACK_MS
// (lock.ts, 20 ms) after its wake-up: the holder then takes its hand-over back
// (lock.ts), so probes that took 20 ms or more are not held to the bound.
// Without the hand-over (unlockHandingOver made to skip it, when this test was
// written) 2-4% of the probes saw 14,000-93,000 of the batch's operations,
// most of them in under 20 ms: the batch, running, won the lock back before
// the woken waiter got to its cmpxchg.
import { afterEach, describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/index.js";
import { codes } from "../dist/src/wasm/codes.js";
import { spareLockArea } from "../dist/src/workers/lock-check.js";
import { CpuPool } from "../dist/src/workers/pool.js";
import { within } from "./helpers/within.js";
import { cpu0CacheLockAddr } from "./helpers/cache-lock.js";

/** The batch: fastLoop calls of CHUNK pairs, in rounds of ROUND_MS, until NEEDED timely probes or DEADLINE_MS. */
const CHUNK = 5_000_000;
const ROUND_MS = 1500;
const NEEDED = 100;
const DEADLINE_MS = 60_000;
/** HOLD_OPS (rcache/batch.ts) + 1: see the header. */
const BOUND = 17;
/** The distribution check (header): at least TYPICAL_SHARE of the probes in time saw at most TYPICAL operations. */
const TYPICAL = 3;
const TYPICAL_SHARE = 0.9;
const TIMEOUT_MS = 120_000;
/** A hang guard only: the stale-count run ends in seconds when the take-back works. */
const HANG_GUARD_MS = 60_000;
const PROBE = new URL("../dist/src/workers/lock-probe.js", import.meta.url).href;
/** lock.ts's take-back wait: probes this slow may have found their hand-over taken back. */
const takeBackMs = () => codes().HANDOFF_TAKE_BACK_MS;

let pool: CpuPool | null = null;
afterEach(async () => {
  await pool?.terminateAll();
  pool = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the lock hands over to a parked waiter", () => {
  for (const policy of ["linux-6.4", "cpu-flush", "adaptive"] as const) {
    it(`${policy}: a waiter on a batch's CPU cache lock holds it within ${BOUND} of the batch's operations; exact books`, async () => {
      const d = new IovaDomain(4096, 1, { cpus: 1, policy, maxRanges: 1 << 16 });
      const limit = d.dma32Pfn - 1;
      pool = await CpuPool.start(d);
      const before = d.cacheStats();
      const TAKE_BACK_MS = takeBackMs();
      // Rounds of one batch each until NEEDED timely probes: on a loaded machine a probe (a sleep and two wake-ups) may
      // take far longer than on an idle one, so the run's length follows the probes, not the clock.
      const probes: { ops: number; ms: number }[] = [];
      const r = { pairs: 0, fails: 0, rounds: 0 };
      const t0 = performance.now();
      let timely = 0;
      while (timely < NEEDED && performance.now() - t0 < DEADLINE_MS) {
        let running = true;
        const hits0 = d.cacheStats().hits;
        const run = pool.send(0, { kind: "fastLoop", spec: { size: 1, limit, chunk: CHUNK, durationMs: ROUND_MS } })
          .finally(() => { running = false; });
        while (running && d.cacheStats().hits === hits0) await sleep(1);  // the worker is inside its fastLoop calls
        while (running && timely < NEEDED) {
          const p0 = performance.now();
          const ops = d.ex.lockWaitOps(d.base, 0);
          const ms = performance.now() - p0;
          if (running) {
            probes.push({ ops, ms });
            if (ms < TAKE_BACK_MS) timely++;
          }
          await sleep(1);  // the worker's batch runs on between probes
        }
        const rr = await run;
        r.pairs += rr.pairs;
        r.fails += rr.fails;
        r.rounds++;
      }
      expect(r.fails).toBe(0);
      const inTime = probes.filter((p) => p.ms < TAKE_BACK_MS);
      const over = inTime.filter((p) => p.ops > BOUND);
      console.log(`${policy}: ${probes.length} probes in ${r.rounds} rounds (${Math.round(performance.now() - t0)} ms), ` +
        `${inTime.length} under ${TAKE_BACK_MS} ms, ${probes.length - inTime.length} slower (slowest ` +
        `${Math.round(Math.max(...probes.map((p) => p.ms)))} ms); the batch's operations between a waiter's announcement and ` +
        `its lock: max ${Math.max(...inTime.map((p) => p.ops))} among those in time, ${Math.max(...probes.map((p) => p.ops))} among all`);
      expect(inTime.length, `probes made while the batch ran, in time, within ${DEADLINE_MS} ms`).toBeGreaterThanOrEqual(NEEDED);
      expect(over, "probes over the bound").toEqual([]);
      const typical = inTime.filter((p) => p.ops <= TYPICAL).length;
      console.log(`${policy}: ${typical} of ${inTime.length} in-time probes saw at most ${TYPICAL} operations`);
      expect(typical / inTime.length, `share of in-time probes at most ${TYPICAL}`).toBeGreaterThanOrEqual(TYPICAL_SHARE);
      const cs = d.cacheStats();
      expect(cs.hits + cs.misses - before.hits - before.misses).toBe(r.pairs);
      expect(cs.inserts + cs.insertFails - before.inserts - before.insertFails).toBe(r.pairs);
      await pool.close();
      pool = null;
      d.flushAll();
      expect(d.stats().ranges).toBe(0);
      d.check();
      d.destroy();
    }, TIMEOUT_MS);
  }
});

describe("a waiter count left raised (a waiter killed while parked)", () => {
  it("lockedCountHandingOver from 4 workers on a lock whose count says one more waiter than there is: exact count, no hang", async () => {
    // Every unlock that sees the stale count hands over; nobody is there to take it, so the giver must take it back
    // (lock.ts: after HANDOFF_TAKE_BACK_MS) and record the count as stale. Without the take-back the giver never locks
    // again once the others are done: the run hangs, and the guard below (or the test's timeout) fails it.
    const workers = 4;
    const iters = 20_000;
    const d = new IovaDomain(4096, 1, { cpus: workers + 1, policy: "linux-6.4", maxRanges: 64 });
    const area = spareLockArea(d, workers);
    const u32 = new Uint32Array(d.memory.buffer);
    Atomics.store(u32, (area.lockAddr >>> 2) + 1, 1);  // the dead waiter's announcement
    pool = await CpuPool.start(d, { workers });
    const t0 = performance.now();
    const args = { lockAddr: area.lockAddr, counterAddr: area.counterAddr, iters };
    const run = pool.all(() => ({ kind: "run", module: PROBE, fn: "handingOver", args }), { gate: true });
    const rs = (await within(run, HANG_GUARD_MS, "the handing-over workers (a giver waiting on its own hand-over)")) as { interleaves: number }[];
    const ms = performance.now() - t0;
    const handed = rs.reduce((a, r) => a + r.interleaves, 0);
    console.log(`stale count: ${workers} x ${iters} lockedCountHandingOver in ${Math.round(ms)} ms, ${handed} hand-overs`);
    expect(Atomics.load(u32, area.counterAddr >>> 2)).toBe(workers * iters);
    expect(Atomics.load(u32, (area.lockAddr >>> 2) + 1) & 0xffff, "the stale count, nothing more").toBe(1);
    // The last giver may have left its hand-over for the stale count (nobody takes it): the word is free or handed over.
    const word = Atomics.load(u32, area.lockAddr >>> 2);
    expect(word === 0 || (word & 0x80000000) !== 0, `lock word ${word} free or handed over`).toBe(true);
    // The stale count was met: at least the first unlock of each worker saw it and handed over.
    expect(handed).toBeGreaterThanOrEqual(workers);
  }, TIMEOUT_MS);

  it("a batch on a CPU cache lock whose count is stale: completes, exact books", async () => {
    const d = new IovaDomain(4096, 1, { cpus: 1, policy: "linux-6.4", maxRanges: 1 << 16 });
    const limit = d.dma32Pfn - 1;
    const u32 = new Uint32Array(d.memory.buffer);
    const waiters = (cpu0CacheLockAddr(d) >>> 2) + 1;
    expect(Atomics.load(u32, waiters - 1), "CPU 0's cache lock free before the run").toBe(0);
    expect(Atomics.load(u32, waiters), "no waiter announced before the run").toBe(0);
    Atomics.store(u32, waiters, 1);
    pool = await CpuPool.start(d);
    const before = d.cacheStats();
    const rounds = 2_000_000;
    const r = await pool.send(0, { kind: "fastLoop", spec: { size: 1, limit, chunk: rounds, durationMs: 1 } });
    expect(r.pairs).toBe(rounds);
    const cs = d.cacheStats();
    expect(cs.hits + cs.misses - before.hits - before.misses).toBe(rounds);
    // The host flushes through the same lock: no hang.
    d.freeCpuCached(0);
    await pool.close();
    pool = null;
    // The stale count is still there (nobody announced it, so nobody took it back): the run met it throughout.
    expect(Atomics.load(u32, waiters) & 0xffff, "the stale waiter count").toBe(1);
    Atomics.store(u32, waiters, 0);
    d.flushAll();
    expect(d.stats().ranges).toBe(0);
    d.check();
    d.destroy();
  }, TIMEOUT_MS);
});
