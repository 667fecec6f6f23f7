// The simulator runs on its own build of the core (build/iova-sim.wasm: the
// same sources without threads, plain loads and stores instead of atomics,
// assembly/atomics.ts). One thread does everything there, so it must
// simulate exactly what the worker core (build/iova.wasm, shared memory,
// atomics) simulates: each case runs one seeded load on both and wants the
// whole result identical but for the wall clock.
import { describe, expect, it } from "vitest";
import { simulate, type SimOptions } from "../dist/src/sim/engine.js";
import type { SimResult } from "../dist/src/sim/result.js";
import { resolveSimOptions } from "../dist/src/sim/options.js";
import { setUpRun } from "../dist/src/sim/setup.js";
import { sharedBuild, simBuild } from "../dist/src/sim/wasm-sim.js";

/** A CPU-bound load with queue-full flushes, the timer, uncached sizes and migrations (as test/sim-equivalence.test.ts). */
const load: SimOptions = {
  cpus: 16, jobs: 6, iodepth: 16, bs: "4k/90:64k/8:512k/2", durationMs: 60, intervalMs: 10,
  completion: "other", migrateMs: 5, seed: 11,
  costs: { deviceBaseNs: 20_000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0 },
};

/** What a run measured on the wall clock: the only fields allowed to differ. */
function withoutWallClock(r: SimResult): Omit<SimResult, "wallSeconds" | "simIosPerWallSecond" | "simRequestsPerWallSecond"> {
  const { wallSeconds: _w, simIosPerWallSecond: _i, simRequestsPerWallSecond: _r, ...rest } = r;
  return rest;
}

describe("the simulator's build simulates what the worker core simulates", () => {
  it("runs in a memory of its own; the worker core in a shared one", () => {
    const own = setUpRun(resolveSimOptions(load));
    const shared = setUpRun(resolveSimOptions(load), sharedBuild());
    expect(own.domain.memory.buffer instanceof SharedArrayBuffer).toBe(false);
    expect(shared.domain.memory.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(simBuild().shared).toBe(false);
    expect(() => own.domain.handle).toThrow(/workers cannot open it/);
    own.domain.destroy();
    shared.domain.destroy();
  });

  for (const policy of ["linux-5.10", "adaptive"] as const) {
    it(`${policy}: identical results per seed`, () => {
      const own = simulate({ ...load, policy });
      const shared = simulate({ ...load, policy }, sharedBuild());
      // Something to compare: I/Os, flushes, contended locks, uncached sizes.
      expect(own.counters.ios).toBeGreaterThan(10_000);
      expect(own.books.ok).toBe(true);
      expect(own.locks.tree.handoffs + own.locks.fq.handoffs).toBeGreaterThan(0);
      expect(own.counters.fqFullFlushes * own.counters.fqTimerFirings * own.counters.migrations).toBeGreaterThan(0);
      expect(withoutWallClock(own)).toEqual(withoutWallClock(shared));
    });
  }
});
