import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { booksMessage, simulate, type SimOptions } from "../dist/src/sim/engine.js";
import { resolveSimOptions } from "../dist/src/sim/options.js";
import { setUpRun } from "../dist/src/sim/setup.js";
import { EventHeap } from "../dist/src/load/heap.js";
import { Rng } from "../dist/src/load/rng.js";
import { BlockSizeSampler, blockSizeArg } from "../dist/src/load/block-size.js";
import { POLICIES } from "../dist/src/domain/policy.js";

/** A tiny load that still exercises every path: uncached sizes, migration, queue-full flushes. */
const tiny = (o: SimOptions = {}): SimOptions => ({
  cpus: 4,
  jobs: 3,
  iodepth: 4,
  bs: "4k/60:16k/15:64k/10:256k/10:1m/5",
  maxSegment: 256 * 1024,
  durationMs: 200,
  intervalMs: 50,
  migrateMs: 20,
  seed: 7,
  ...o,
});

function sum(a: number[]): number {
  return a.reduce((x, y) => x + y, 0);
}

describe("simulate: every policy, unmap mode and completion mode", () => {
  for (const policy of POLICIES) {
    for (const strict of [false, true]) {
      for (const completion of ["same", "other", "single"] as const) {
        it(`${policy}, ${strict ? "strict" : "non-strict"}, completion ${completion}: books balance, iops add up`, () => {
          const r = simulate(tiny({ policy, strict, completion }));
          expect(r.books.ok, r.books.problems.join("; ")).toBe(true);
          expect(r.books.live).toBe(0);
          expect(r.books.fqPending).toBe(0);
          expect(r.books.treeRanges).toBe(r.books.cachedPfns);
          expect(r.books.checkError).toBeNull();
          expect(r.counters.mapFailures).toBe(0);
          // One sample per interval; I/Os completed = sum(iops) * interval.
          expect(r.series.t).toEqual([0.05, 0.1, 0.15, 0.2]);
          expect(r.counters.ios).toBeGreaterThan(100);
          expect(sum(r.series.iops) * 0.05).toBeCloseTo(r.counters.ios, 6);
          for (const k of ["iops", "cachedTotal", "cpuTotal", "depotTotal", "treeSize", "depotFullEvents",
            "magsFreedToTree", "fqTimerFirings", "fqDepthMax"] as const) {
            expect(r.series[k]).toHaveLength(4);
          }
          expect(r.series.depotMags).toHaveLength(6);
          for (const o of r.series.depotMags) expect(o).toHaveLength(4);
          r.series.cachedTotal.forEach((c, i) => expect(c).toBe(r.series.cpuTotal[i]! + r.series.depotTotal[i]!));
          if (strict) {
            expect(r.counters.fqTimerFirings).toBe(0);
            expect(sum(r.series.fqDepthMax)).toBe(0);
          } else {
            expect(r.counters.fqTimerFirings).toBeGreaterThan(0);
            expect(Math.max(...r.series.fqDepthMax)).toBeLessThanOrEqual(255);
          }
          expect(r.counters.migrations).toBeGreaterThan(0);
          expect(r.latency.map.samples).toBe(r.counters.ios + r.counters.drainedIos);
          expect(r.latency.clat.min).toBeGreaterThan(0);
        });
      }
    }
  }
});

describe("simulate: determinism", () => {
  const opts = tiny({ policy: "linux-6.4", durationMs: 300, intervalMs: 30 });
  it("the same seed gives identical series and counters", () => {
    const a = simulate(opts);
    const b = simulate(opts);
    expect(b.series).toEqual(a.series);
    expect(b.diagnostics).toEqual(a.diagnostics);
    expect(b.counters).toEqual(a.counters);
    expect(b.latency).toEqual(a.latency);
  });
  it("different seeds give different series", () => {
    const a = simulate(opts);
    const b = simulate({ ...opts, seed: 8 });
    expect(b.series.iops).not.toEqual(a.series.iops);
  });
});

describe("simulate: the speed per core", () => {
  it("cpuSeconds is the running thread's on-CPU time: above 0 and within a scheduler tick of the wall time at most (NaN without Linux's schedstat)", () => {
    const r = simulate(tiny());
    const ios = r.counters.ios + r.counters.drainedIos;
    if (!existsSync("/proc/thread-self/schedstat")) {
      expect(r.cpuSeconds).toBeNaN();
      expect(r.simIosPerCpuSecond).toBeNaN();
      return;
    }
    // The kernel brings a running thread's sum up to date at ticks and switches: each end may lag by
    // a tick (HZ 100 at the least), so a tiny run may read 0, never below, and never more than a
    // tick or two above its wall time.
    expect(r.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(r.cpuSeconds).toBeLessThanOrEqual(r.wallSeconds + 0.02);
    // So the speed per core is finite and at least the I/Os per wall second (less the lag): a
    // thread cannot run longer than the wall clock. A clock summing every thread's time (the
    // process's), or counting from before the run, would break it.
    expect(ios).toBeGreaterThan(0);
    expect(Number.isFinite(r.simIosPerCpuSecond)).toBe(true);
    expect(r.simIosPerCpuSecond).toBeGreaterThanOrEqual(ios / (r.wallSeconds + 0.02));
  });
});

describe("simulate: the flush queue", () => {
  it("a queue that fills before the timer flushes and frees on its own CPU", () => {
    const r = simulate(tiny({ policy: "linux-5.10", fqTimeoutMs: 1000, bs: "4k", migrateMs: 0, completion: "same" }));
    expect(r.counters.fqFullFlushes).toBeGreaterThan(0);
    expect(Math.max(...r.series.fqDepthMax)).toBe(255);
    expect(r.books.ok).toBe(true);
  });
  it("the 10 ms timer fires about once per 10 ms of a busy run (no jiffies)", () => {
    const r = simulate(tiny({ policy: "adaptive", durationMs: 1000, intervalMs: 100, hz: 0 }));
    // Armed by the first queue_iova after each firing: at most one per 10 ms (plus the drain).
    expect(r.counters.fqTimerFirings).toBeGreaterThanOrEqual(90);
    expect(r.counters.fqTimerFirings).toBeLessThanOrEqual(102);
    expect(r.series.fqTimerFirings.at(-1)).toBeLessThanOrEqual(r.counters.fqTimerFirings);
  });
  it("in jiffies at HZ=250 the timer fires every 12 ms: re-armed in the jiffy it fired in, + msecs_to_jiffies(10) = 3", () => {
    const r = simulate(tiny({ policy: "adaptive", durationMs: 1200, intervalMs: 100, hz: 250 }));
    expect(r.counters.fqTimerFirings).toBeGreaterThanOrEqual(98);
    expect(r.counters.fqTimerFirings).toBeLessThanOrEqual(101);
  });
});

describe("simulate: the clock", () => {
  it("the tree lock is shared: its busy time never exceeds the run, and big sizes walk", () => {
    const r = simulate(tiny({ policy: "linux-5.10", durationMs: 500 }));
    expect(r.counters.treeLockHeldNs).toBeLessThanOrEqual(r.simulatedSeconds * 1e9 * 1.5);
    for (const b of r.diagnostics.treeLockBusy) expect(b).toBeLessThanOrEqual(1.000001);
    expect(r.counters.walkSteps).toBeGreaterThan(0);
    expect(r.counters.treeAllocs).toBeGreaterThan(0);
  });
  it("device bandwidth caps a job's throughput when transfers are serial", () => {
    const base = { policy: "adaptive" as const, cpus: 2, jobs: 1, iodepth: 8, bs: "64k", migrateMs: 0, durationMs: 100, intervalMs: 100 };
    const serial = simulate({ ...base, costs: { deviceBytesPerSec: 1e9, deviceSerialTransfers: 1 } });
    // 64 KiB at 1 GB/s: 65.5 us each, so at most ~15.3K I/Os a second.
    expect(serial.series.iops[0]).toBeLessThanOrEqual(1e9 / 65536 + 1);
    expect(serial.series.iops[0]).toBeGreaterThan(0.9 * (1e9 / 65536));
    const parallel = simulate({ ...base, costs: { deviceBytesPerSec: 1e9, deviceSerialTransfers: 0 } });
    expect(parallel.series.iops[0]).toBeGreaterThan(2 * serial.series.iops[0]!);
  });
  it("costs are options: a slower tree shows up in the map latency", () => {
    const o = tiny({ policy: "linux-5.10", bs: "256k", migrateMs: 0 });
    const fast = simulate(o);
    const slow = simulate({ ...o, costs: { treeAllocNs: 20_000 } });
    expect(slow.latency.map.mean).toBeGreaterThan(fast.latency.map.mean + 10_000);
  });
});

describe("simulate: options", () => {
  it("rejects bad options by name", () => {
    expect(() => resolveSimOptions({ cpus: 0 })).toThrow(/cpus/);
    expect(() => resolveSimOptions({ completion: "elsewhere" as never })).toThrow(/completion/);
    expect(() => resolveSimOptions({ costs: { walkNodeNs: -1 } })).toThrow(/walkNodeNs/);
    expect(() => resolveSimOptions({ costs: { bogus: 1 } as never })).toThrow(/unknown cost/);
    expect(() => resolveSimOptions({ policy: "linux-9" as never })).toThrow(/policy/);
    expect(() => resolveSimOptions({ bs: "4k/50:8k/20" })).toThrow();
  });
  it("rounds the duration up to whole intervals", () => {
    expect(resolveSimOptions({ durationMs: 1050, intervalMs: 100 }).durationMs).toBe(1100);
    // A duration far below one interval is one interval, not 0 (no sample, a RangeError in the worker).
    expect(resolveSimOptions({ durationMs: 1e-300, intervalMs: 100 }).durationMs).toBe(100);
    expect(resolveSimOptions({ durationMs: 5e-324, intervalMs: 1 }).durationMs).toBe(1);
  });
  it("booksMessage names the policy and the problems", () => {
    expect(booksMessage({ config: { policy: "adaptive" }, books: { ok: false, problems: ["x"] } } as never)).toMatch(/adaptive.*do not balance.*x/);
    expect(booksMessage({ config: { policy: "adaptive" }, books: { ok: true, problems: [] } } as never)).toMatch(/adaptive.*books balance/);
  });
});

describe("building blocks", () => {
  it("EventHeap pops in time order and grows", () => {
    const h = new EventHeap(2);
    const rng = new Rng(3);
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = Math.floor(rng.next() * 100);
      times.push(t);
      h.push(t, i);
    }
    const out: number[] = [];
    while (h.size > 0) {
      out.push(h.topTime);
      h.pop();
    }
    expect(out).toEqual([...times].sort((a, b) => a - b));
  });
  it("Rng is seeded and spreads over [0, 1)", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(Array.from({ length: 10000 }, () => b.next())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(new Rng(43).next()).not.toBe(new Rng(42).next());
  });
  it("BlockSizeSampler follows a split's percentages and a range's bounds", () => {
    const rng = new Rng(1);
    const split = new BlockSizeSampler(blockSizeArg("4k/90:256k/10"), rng);
    let big = 0;
    for (let i = 0; i < 20000; i++) if (split.next() === 262144) big++;
    expect(big / 20000).toBeGreaterThan(0.09);
    expect(big / 20000).toBeLessThan(0.11);
    expect(split.maxBytes).toBe(262144);
    const range = new BlockSizeSampler(blockSizeArg("4k-16k"), rng);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(range.next());
    expect([...seen].sort((a, b) => a - b)).toEqual([4096, 8192, 12288, 16384]);
  });
});

describe("simulate: the kernel thread's cache dumps", () => {
  it("each dump matches the series at its time: per-CPU magazines sum to cpuTotal, depots to depotMags", () => {
    const r = simulate({ policy: "linux-5.10", cpus: 8, jobs: 4, iodepth: 8, durationMs: 4000, intervalMs: 250, migrateMs: 300, seed: 3 });
    expect(r.dumps.length).toBeGreaterThanOrEqual(8);
    for (const dump of r.dumps) {
      const k = r.series.t.indexOf(dump.t);
      expect(k, `a sample at t=${dump.t}`).toBeGreaterThanOrEqual(0);
      let held = 0;
      for (const c of dump.cpus) {
        expect(c.loaded).toHaveLength(6);
        expect(c.prev).toHaveLength(6);
        const sum = c.loaded.reduce((a, b) => a + b, 0) + c.prev.reduce((a, b) => a + b, 0);
        expect(sum, `cpu ${c.cpu} is listed only when it holds pfns`).toBeGreaterThan(0);
        for (const v of [...c.loaded, ...c.prev]) expect(v).toBeLessThanOrEqual(128);
        held += sum;
      }
      expect(held).toBe(r.series.cpuTotal[k]);
      expect(dump.depot).toEqual(r.series.depotMags.map((s) => s[k]));
    }
  });
});

describe("simulate: the event queue's tags", () => {
  it("a run starts with 2^(62 - log2 leaves) tags less one per slot's first event, and each interval uses some", () => {
    const cfg = resolveSimOptions(tiny({ jobs: 3, iodepth: 4 }));  // 12 slots: 16 leaves, 2^58 tags
    const run = setUpRun(cfg);
    const left0 = run.sim.tagsLeft();
    expect(left0).toBe(2 ** 58 - 12);
    run.sim.runUntil(cfg.intervalMs * 1e6);
    const left1 = run.sim.tagsLeft();
    expect(left1).toBeLessThan(left0);
    expect(left0 - left1).toBeGreaterThan(12);
    run.domain.destroy();
  });
});
