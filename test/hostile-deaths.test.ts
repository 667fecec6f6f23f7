// Workers terminated (pool.kill with now) mid-call on the I/O path: in
// mapIo, in unmap (queue_iova), in the timer's drain and in the IOTLB
// invalidation of a flush, with and without the ring lock held, at many
// seeded points, while a survivor on the other CPU runs the same loop on
// the same domain. Every worker ends by itself (an op count and a
// deadline), so no test waits on a timeout to end. Each case ends either
//  - live, with exact books: after the host drains every flush queue
//    (fqDrain) and flushes every cache, the tree holds only what the dead
//    worker's call in flight may have held (the pfn its journal names, or
//    one range taken inside mapIo), at most one range; freeing it leaves the
//    tree empty and sound; nothing was lost in a queue or handed out twice;
//  - or poisoned: LockHolderDeadError naming the dead CPU (0) from every
//    call that needs a lock, the survivor's included, and no hang.
import { describe, expect, it } from "vitest";
import { IovaDomain, LockHolderDeadError } from "../dist/src/index.js";
import { DmaPath } from "../dist/src/domain/dma.js";
import { CpuPool, WorkerExitedError } from "../dist/src/workers/pool.js";
import { splitmix32 } from "../dist/src/util/splitmix32.js";
import { within } from "./helpers/within.js";

const MOD = new URL("./fixtures/fq-flush-wait.mjs", import.meta.url).pathname;
const BOUND_MS = 20_000;
const SURVIVOR_OPS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tally = { live: 0, poisoned: 0 };

function domain(ring: number): IovaDomain {
  return new IovaDomain(4096, 1, {
    cpus: 2, policy: "linux-5.10", magazineSize: 4, depotMax: 2, maxRanges: 1 << 14, hostBytes: 128,
    flushQueue: { size: ring, timeoutMs: 1, hz: 0 },
  });
}

/** The host's view after every worker is gone: drain, flush, and the tree's ranges. */
function drainAndRanges(d: IovaDomain): Array<{ lo: number; hi: number }> {
  const dma = new DmaPath(d);
  // One drain: fqDrain flushes once and drains every CPU's ring (by its own start count after a dead flush).
  dma.drain(0);
  expect(dma.pending(), "nothing left in a flush queue").toBe(0);
  d.flushAll();
  return d.ranges();
}

describe("workers killed mid-call on the I/O path, at seeded points", () => {
  const next = splitmix32(0xdea7);
  for (let i = 0; i < 12; i++) {
    const delayMs = next() % 60;
    const iotlbMs = [0, 0.2, 1][i % 3]!;
    const pages = [1, 4, 3][Math.floor(i / 3) % 3]!;
    it(`case ${i}: killed ${delayMs} ms into a map/unmap/timer loop (invalidation ${iotlbMs} ms, ${pages} pages, ring of 8)`, async () => {
      const d = domain(8);
      const pool = await CpuPool.start(d, { workers: 2 });
      try {
        const journal = new Float64Array(d.memory.buffer, d.hostBase, 16);
        const untilMs = Date.now() + BOUND_MS;
        const victim = pool.send(0, { kind: "run", module: MOD, fn: "dmaLoop",
          args: { journalAddr: d.hostBase, ops: 1e9, untilMs, iotlbMs, pages } }).then(() => null, (e: unknown) => e);
        const survivor = pool.send(1, { kind: "run", module: MOD, fn: "dmaLoop",
          args: { journalAddr: d.hostBase + 64, ops: SURVIVOR_OPS, untilMs, iotlbMs, pages } }).then((r) => r, (e: unknown) => e);
        while (journal[2]! < 5 && Date.now() < untilMs) await sleep(1);
        expect(journal[2], "the victim is running").toBeGreaterThanOrEqual(5);
        await sleep(delayMs);
        const death = await within(pool.kill(0, { now: true }), BOUND_MS, "the kill");
        expect(await within(victim, BOUND_MS, "the victim's reply")).toBeInstanceOf(WorkerExitedError);
        const s = await within(survivor, BOUND_MS, "the survivor");
        if (d.poisonedBy !== null) {
          expect(d.poisonedBy).toBe(0);
          if (s instanceof Error) expect(s, String(s)).toBeInstanceOf(LockHolderDeadError);
          expect(() => drainAndRanges(d)).toThrow(LockHolderDeadError);
          tally.poisoned++;
          return;
        }
        expect(death.cpuDeadPathError, String(death.cpuDeadPathError)).toBeUndefined();
        expect(s, String(s)).toEqual({ done: SURVIVOR_OPS });
        // The survivor unmapped all it mapped; the victim's call in flight is the only range in doubt.
        const inFlight = journal[0]!;
        const inMap = journal[1] === 1;
        const left = drainAndRanges(d);
        expect(left.length, `left ${JSON.stringify(left)}; journal pfn ${inFlight}, in mapIo ${inMap}`).toBeLessThanOrEqual(inFlight !== 0 || inMap ? 1 : 0);
        for (const r of left) {
          if (!inMap) expect(r.lo).toBe(inFlight);
          expect(r.hi - r.lo + 1).toBeLessThanOrEqual(pages < 2 ? 1 : 4);  // mapIo rounds up to a power of two
          expect(d.free(r.lo)).toBe(true);
        }
        d.flushAll();
        expect(d.stats().ranges).toBe(0);
        d.check();
        tally.live++;
      } finally {
        await pool.terminateAll();
        d.destroy();
      }
    }, 60_000);
  }
});

describe("a worker killed in the invalidation of the timer's flush (no ring lock held)", () => {
  it("the domain stays live; the host's drain frees every entry the dead worker queued, and the tree empties", async () => {
    const d = domain(64);
    const pool = await CpuPool.start(d, { workers: 2 });
    try {
      const flag = new Int32Array(d.memory.buffer, d.hostBase, 2);
      const run = pool.send(0, { kind: "run", module: MOD, fn: "timerFlushWait",
        args: { flagAddr: d.hostBase, n: 40, untilMs: Date.now() + BOUND_MS } }).then(() => null, (e: unknown) => e);
      const until = Date.now() + BOUND_MS;
      while (Atomics.load(flag, 0) === 0 && Date.now() < until) await sleep(1);
      expect(Atomics.load(flag, 0), "in the timer flush's wait").toBe(1);
      const g = new DmaPath(d).statsDump();
      expect(g.global("startCnt") - g.global("finishCnt"), "the flush started and has not finished").toBe(1);
      const death = await within(pool.kill(0, { now: true }), BOUND_MS, "the kill");
      expect(await run).toBeInstanceOf(WorkerExitedError);
      expect(death.cpuDeadPathError, String(death.cpuDeadPathError)).toBeUndefined();
      expect(d.poisonedBy).toBe(null);
      // The survivor on CPU 1 queues behind the dead flush (finish_cnt now one behind for good).
      const s = await within(pool.send(1, { kind: "run", module: MOD, fn: "dmaLoop",
        args: { journalAddr: d.hostBase + 64, ops: 50, untilMs: Date.now() + BOUND_MS, iotlbMs: 0, pages: 1 } }), BOUND_MS, "the survivor");
      expect(s).toEqual({ done: 50 });
      expect(drainAndRanges(d)).toEqual([]);
      d.check();
    } finally {
      await pool.terminateAll();
      d.destroy();
    }
  }, 60_000);
});

describe("outcomes", () => {
  it("the seeded kills ended live with exact books or poisoned, never hung; both counted", () => {
    console.log(`hostile-deaths: ${tally.live} live with exact books, ${tally.poisoned} poisoned`);
    expect(tally.live + tally.poisoned).toBe(12);
  });
});
