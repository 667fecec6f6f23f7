// Where a request completes: on the interrupt CPU of the hardware queue it
// was mapped and delivered on (v5.10 hisi_sas_task_prep takes the delivery
// queue from the request's blk-mq hctx, and that queue's cq_thread_v3_hw
// unmaps it), not on the interrupt CPU of wherever its job runs when the
// device answers. docs/aging.md, "The thread's system", has the sources.
import { describe, expect, it } from "vitest";
import { simulate, type SimOptions } from "../dist/src/sim/engine.js";

/**
 * One job hopping between two CPUs far more often than a request takes, each
 * CPU its own completion CPU, strict unmap: an IOVA is freed at once into the
 * magazines of the CPU that completes it.
 */
const hopping: SimOptions = {
  policy: "linux-5.10", cpus: 2, jobs: 1, iodepth: 4, bs: "4k", durationMs: 50, intervalMs: 10,
  completionCpus: [0, 1], strict: true, migrateMs: 0.03, costs: { deviceBaseNs: 20000 },
};

describe("completion CPU of a request", () => {
  it("is the one of the CPU that mapped it, also when the job has moved since", () => {
    const r = simulate(hopping);
    expect(r.books.ok).toBe(true);
    // The job moved between CPUs thousands of times, many of them while a request was in flight.
    expect(r.counters.migrations).toBeGreaterThan(1000);
    expect(r.counters.ios).toBeGreaterThan(5000);
    // Each IOVA goes back into the caches of the CPU that took it, so each CPU
    // needs at most the 4 IOVAs that can be in flight from it: the tree hands
    // out at most 2 x 4. Completing on the job's CPU of the moment (the
    // model before this test) sent IOVAs to the other CPU's caches and took 28.
    expect(r.counters.treeAllocs).toBeLessThanOrEqual(2 * 4);
  });

  it("for a pinned job (the default) is its own CPU's: the other CPU's interrupt CPU changes nothing", () => {
    // The job never leaves CPU 0, so every request maps and completes by
    // CPU 0's interrupt CPU: the run is the same whatever CPU 1's is. (It
    // was so before this model too: a pinned job's CPU of the moment is the
    // one that mapped.)
    const pinned = simulate({ ...hopping, migrateMs: 0 });
    const otherIrq = simulate({ ...hopping, migrateMs: 0, completionCpus: [0, 0] });
    expect(pinned.counters.migrations).toBe(0);
    expect(pinned.books.ok).toBe(true);
    expect(otherIrq.counters).toEqual(pinned.counters);
    expect(otherIrq.series).toEqual(pinned.series);
    expect(otherIrq.latency).toEqual(pinned.latency);
    // One CPU's worth: the tree hands out at most the 4 IOVAs in flight.
    expect(pinned.counters.treeAllocs).toBeLessThanOrEqual(4);
  });
});
