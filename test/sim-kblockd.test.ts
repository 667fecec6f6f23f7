// The kblockdShare experiment: a share of merged requests is mapped by a
// kblockd worker (blk-mq's async run of the hardware queue, v5.10
// block/blk-mq.c) on the queue's CPUs in turn, 8 runs each
// (blk_mq_hctx_next_cpu, BLK_MQ_CPU_WORK_BATCH), instead of on the job's
// CPU. Every CPU it maps on keeps the magazines it took from the depot.
// docs/aging.md, "Mechanisms checked", has the sources and what it does.
import { describe, expect, it } from "vitest";
import { simulate, type SimOptions } from "../dist/src/sim/engine.js";

/** 12 CPUs in two hardware queues of 6 (interrupt CPUs 0 and 6), one job on each queue's first CPU. */
const twoQueues: SimOptions = {
  policy: "linux-5.10", cpus: 12, jobs: 2, jobCpus: [0, 6], iodepth: 4, bs: "4k", merge: { p: 0.6, maxIos: 16 },
  durationMs: 400, intervalMs: 25, completionCpus: [0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6],
  costs: { deviceBaseNs: 20000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0 },
};

/** CPUs holding IOVAs in any of a run's cache dumps. */
function holders(r: ReturnType<typeof simulate>): number[] {
  const s = new Set<number>();
  for (const d of r.dumps) for (const c of d.cpus) if (c.loaded.some((n) => n > 0) || c.prev.some((n) => n > 0)) s.add(c.cpu);
  return [...s].sort((a, b) => a - b);
}

describe("kblockdShare: maps by kblockd on the hardware queue's CPUs", () => {
  it("off (the default), only the jobs' CPUs (their own interrupt CPUs) hold IOVAs", () => {
    const r = simulate(twoQueues);
    expect(r.books.ok).toBe(true);
    expect(r.dumps.length).toBeGreaterThan(0);
    expect(holders(r)).toEqual([0, 6]);
  });

  it("every map by kblockd: the queue's six CPUs take turns, and all of them keep IOVAs", () => {
    const r = simulate({ ...twoQueues, kblockdShare: 1 });
    expect(r.books.ok).toBe(true);
    expect(holders(r)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("a small share adds the IOVAs stranded on the queue's other CPUs, in strict mode too", () => {
    const off = simulate(twoQueues);
    const on = simulate({ ...twoQueues, kblockdShare: 0.05 });
    const strictOff = simulate({ ...twoQueues, strict: true });
    const strictOn = simulate({ ...twoQueues, strict: true, kblockdShare: 0.05 });
    for (const r of [off, on, strictOff, strictOn]) expect(r.books.ok).toBe(true);
    const peak = (r: typeof off) => Math.max(...r.series.cachedTotal);
    expect(peak(on)).toBeGreaterThan(1.5 * peak(off));
    // The stranding does not need the flush queue: the workers' magazines come from the depot.
    expect(peak(strictOn)).toBeGreaterThan(1.5 * peak(strictOff));
    expect(on.counters.cacheMisses).toBeGreaterThan(off.counters.cacheMisses);
  });

  it("is deterministic per seed and refused out of [0, 1]", () => {
    const a = simulate({ ...twoQueues, kblockdShare: 0.05, durationMs: 100 });
    const b = simulate({ ...twoQueues, kblockdShare: 0.05, durationMs: 100 });
    expect(b.counters).toEqual(a.counters);
    expect(b.series).toEqual(a.series);
    expect(() => simulate({ ...twoQueues, kblockdShare: 1.5 })).toThrow(/kblockdShare/);
    expect(() => simulate({ ...twoQueues, kblockdShare: -0.1 })).toThrow(/kblockdShare/);
  });
});
