// The simulator's speed work may change how the event loop finds its next
// event and how much it runs per call, never what it simulates: the order of
// events lives in the event queue's keys (time, then the order queued), not
// in the tree's state, nor in how a run is cut into runUntil calls. Each case
// runs one seeded load twice, the second time rebuilding the queue from its
// keys between calls or cut into other calls, and wants
// every total, lock figure, latency histogram and domain counter identical.
import { describe, expect, it } from "vitest";
import { resolveSimOptions, type SimOptions } from "../dist/src/sim/options.js";
import { setUpRun } from "../dist/src/sim/setup.js";

/** The thread's shape, small: a CPU-bound load with queue-full flushes and the timer, uncached sizes too. */
const load: SimOptions = {
  policy: "linux-5.10", cpus: 16, jobs: 6, iodepth: 16, bs: "4k/90:64k/8:512k/2", durationMs: 40, intervalMs: 10,
  completion: "other", migrateMs: 5, seed: 11,
  costs: { deviceBaseNs: 20_000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0 },
};

const TOTALS = ["ios", "drainedIos", "maps", "mapFailures", "migrations", "fastFails", "failedWalks", "failedWalkNodes",
  "fallbacks64", "strictInvalidations", "mapNs", "depotLooks"] as const;

/** Runs `o` to the end through the calls `stops` (ns; Infinity last), calling between(i) before each; returns what it did. */
function run(o: SimOptions, stops: number[], between: (sim: ReturnType<typeof setUpRun>["sim"], i: number) => void = () => {}) {
  const r = setUpRun(resolveSimOptions(o));
  const { sim, domain, dma } = r;
  stops.forEach((t, i) => {
    between(sim, i);
    sim.runUntil(t);
  });
  const out = {
    totals: TOTALS.map((n) => sim.total(n)),
    locks: Array.from({ length: r.sim.locks }, (_, i) => sim.lock(i)),
    latency: [sim.latency(0), sim.latency(1), sim.latency(2)],
    tree: domain.stats(),
    caches: domain.cacheStats(),
    flushes: dma.flushCounts(),
    live: sim.live(),
  };
  domain.destroy();
  return out;
}

const ms = (x: number) => x * 1e6;
const everyMs = (n: number, step: number) => [...Array.from({ length: n }, (_, i) => ms((i + 1) * step)), Infinity];

describe("the event loop's results do not depend on how it runs", () => {
  const plain = run(load, everyMs(4, 10));

  it("the run does something to compare (flushes, uncached sizes, migrations)", () => {
    expect(plain.totals[0]).toBeGreaterThan(10_000);
    expect(plain.totals[4]).toBeGreaterThan(0);
    expect(plain.flushes.invalidations).toBeGreaterThan(0);
    expect(plain.live).toBe(0);
  });

  it("rebuilding the event queue from its keys changes nothing", () => {
    const rebuilt = run(load, everyMs(40, 1), (sim) => sim.queueRebuild());
    expect(rebuilt).toEqual(plain);
  });

  it("cutting the run into other calls changes nothing", () => {
    const odd = [0.37, 1.1, 2.9, 7, 7.000001, 13.5, 22, 31.25, 39.99].map(ms);
    expect(run(load, [...odd, Infinity])).toEqual(plain);
  });
});
