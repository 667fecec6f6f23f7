// The engine's mechanism switches (the ablations of src/study/ablations.ts):
// each defaults to the kernel's behaviour, and each changes what it should.
import { describe, expect, it } from "vitest";
import { simulate, type SimOptions } from "../dist/src/sim/engine.js";
import { planStudy } from "../dist/src/study/index.js";
import { usable32 } from "../dist/src/study/compression.js";

/** 12 jobs on 16 CPUs, completions on the next CPU, 10% of maps above the cached orders, a fast device. */
const load: SimOptions = {
  policy: "linux-5.10", cpus: 16, jobs: 12, iodepth: 32, bs: "4k/90:256k/10", durationMs: 300, intervalMs: 100,
  completion: "other", costs: { deviceBaseNs: 20000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0, lockHandoffNs: 90 },
};

describe("switch: the flush-queue timer's drain", () => {
  it("the kernel's timer frees other CPUs' entries on its own CPU; drained per CPU, none moves", () => {
    const kernel = simulate(load);
    const own = simulate({ ...load, fqTimerDrain: "own-cpu" });
    expect(kernel.config.fqTimerDrain).toBe("timer-cpu");
    expect(kernel.books.ok && own.books.ok).toBe(true);
    expect(kernel.counters.fqTimerFirings).toBeGreaterThan(0);
    expect(own.counters.fqTimerFirings).toBeGreaterThan(0);
    // v5.10 fq_flush_timeout: every ring's covered entries go into the timer CPU's magazines.
    expect(kernel.counters.fqForeignFrees).toBeGreaterThan(0);
    // Per CPU: the timer CPU's caches receive no other CPU's IOVAs.
    expect(own.counters.fqForeignFrees).toBe(0);
    // The timer no longer takes other CPUs' ring locks, so nobody waits for a flush-queue lock.
    expect(kernel.locks.fq.waitNs).toBeGreaterThan(0);
    expect(own.locks.fq.waitNs).toBe(0);
    expect(() => simulate({ ...load, fqTimerDrain: "nowhere" as never })).toThrow(/fqTimerDrain/);
  });
});

describe("switch: lock contention per lock", () => {
  it("each lock class's waits can be left out, the others' stay", () => {
    const all = simulate(load);
    expect(all.config.contendedLocks).toEqual(["tree", "depot", "fq"]);
    const depotWait = (r: typeof all) => r.locks.depot.reduce((a, l) => a + l.waitNs, 0);
    expect(all.locks.tree.waitNs).toBeGreaterThan(0);
    expect(depotWait(all)).toBeGreaterThan(0);
    expect(all.locks.fq.waitNs).toBeGreaterThan(0);
    const noTree = simulate({ ...load, contendedLocks: ["depot", "fq"] });
    expect(noTree.locks.tree.waitNs).toBe(0);
    expect(noTree.locks.tree.heldNs).toBeGreaterThan(0);
    expect(depotWait(noTree)).toBeGreaterThan(0);
    const noDepot = simulate({ ...load, contendedLocks: ["tree", "fq"] });
    expect(depotWait(noDepot)).toBe(0);
    expect(noDepot.locks.tree.waitNs).toBeGreaterThan(0);
    const noFq = simulate({ ...load, contendedLocks: ["tree", "depot"] });
    expect(noFq.locks.fq.waitNs).toBe(0);
    expect(noFq.books.ok && noTree.books.ok && noDepot.books.ok).toBe(true);
    expect(() => simulate({ ...load, contendedLocks: ["tree", "bogus" as never] })).toThrow(/contendedLocks\[1\]/);
  });
});

describe("switch: the depot-full path", () => {
  it("a small bound sends full magazines to the tree; one the run never reaches switches the path off", () => {
    const tight = simulate({ ...load, bs: "4k", depotMax: 1 });
    const roomy = simulate({ ...load, bs: "4k", depotMax: 1024 });
    expect(tight.config.depotMax).toBe(1);
    expect(tight.counters.depotFullEvents).toBeGreaterThan(0);
    expect(tight.counters.magsFreedToTree).toBe(tight.counters.depotFullEvents);
    expect(roomy.counters.depotFullEvents).toBe(0);
    expect(tight.books.ok && roomy.books.ok).toBe(true);
    // The default is v5.10's MAX_GLOBAL_MAGS; the unbounded v6.x depot ignores the option.
    expect(simulate({ ...load, durationMs: 100 }).config.depotMax).toBe(32);
    expect(simulate({ ...load, durationMs: 100, policy: "linux-6.4", depotMax: 4 }).config.depotMax).toBe(Infinity);
    expect(() => simulate({ ...load, depotMax: 0 })).toThrow(/depotMax/);
    expect(() => simulate({ ...load, depotMax: 5000 })).toThrow(/depotMax/);
  });
});

describe("switch: completions on the submitting CPU", () => {
  it("same: every unmap runs on the job's own CPU; the controller's layout puts them elsewhere", () => {
    const jobCpus = Array.from({ length: 12 }, (_, j) => j);
    const same = simulate({ ...load, jobCpus, completion: "same", durationMs: 100 });
    const routed = simulate({ ...load, jobCpus, completionCpus: Array.from({ length: 16 }, () => 15), durationMs: 100 });
    // Only the rings of CPUs that ran a completion ever held entries.
    for (const d of same.samples.fqDepthByCpu) for (let c = 12; c < 16; c++) expect(d[c]).toBe(0);
    for (const d of routed.samples.fqDepthByCpu) for (let c = 0; c < 15; c++) expect(d[c]).toBe(0);
    expect(routed.samples.fqDepthByCpu.some((d) => d[15]! > 0)).toBe(true);
  });
});

describe("switch: the host bridge window", () => {
  it("off: the thread's window is not reserved, the same pfns stay usable", () => {
    const win = { start: 0xe000_0000, end: 0xefff_ffff };
    const covers = (ws: Array<{ start: number; end: number }>) => ws.some((w) => w.start <= win.start && w.end >= win.end);
    const on = planStudy({ policies: ["linux-5.10"] }).configs[0]!;
    const off = planStudy({ policies: ["linux-5.10"], pciWindow: false }).configs[0]!;
    expect(on.pciWindows).toContainEqual(win);
    expect(off.pciWindows).not.toContainEqual(win);
    expect(usable32(off.pciWindows)).toBe(usable32(on.pciWindows));
    // Faithful, the whole 32-bit space but pfn 0: the window's 65,536 pfns come back.
    const fOn = planStudy({ policies: ["linux-5.10"], faithful: true, seconds: 1 }).configs[0]!;
    const fOff = planStudy({ policies: ["linux-5.10"], faithful: true, seconds: 1, pciWindow: false }).configs[0]!;
    expect(covers(fOn.pciWindows)).toBe(true);
    expect(fOff.pciWindows).toEqual([]);
    expect(usable32(fOff.pciWindows) - usable32(fOn.pciWindows)).toBe(65_536);
  });
});
