// The simulator runs on its own build of the core (build/iova-sim.wasm: the
// same sources without threads, plain loads and stores instead of atomics,
// assembly/atomics.ts). One thread does everything there, so it must
// simulate exactly what the worker core (build/iova.wasm, shared memory,
// atomics) simulates: each case runs one seeded load on both and wants the
// whole result identical but for the wall clock.
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { simulate, type SimOptions } from "../dist/src/sim/engine.js";
import { withoutWallClock } from "./helpers/without-wall-clock.js";
import { resolveSimOptions } from "../dist/src/sim/options.js";
import { setUpRun } from "../dist/src/sim/setup.js";
import { sharedBuild, simBuild } from "../dist/src/sim/wasm-sim.js";

/** A CPU-bound load with queue-full flushes, the timer, uncached sizes and migrations (as test/sim-equivalence.test.ts). */
const load: SimOptions = {
  cpus: 16, jobs: 6, iodepth: 16, bs: "4k/90:64k/8:512k/2", durationMs: 60, intervalMs: 10,
  completion: "other", migrateMs: 5, seed: 11,
  costs: { deviceBaseNs: 20_000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0 },
};

/**
 * A build's memory import and its atomic instructions, read from the binary itself: binaryen (the
 * compiler's own back end, a dependency of assemblyscript) parses every function body of the code
 * section, and its text names each atomic instruction (`i32.atomic.rmw.cmpxchg`, `memory.atomic.wait32`,
 * `atomic.fence`, all the 0xFE-prefixed opcodes) as `atomic.` after a word boundary.
 */
function instructionsOf(file: string): { memoryImport: string; atomics: number } {
  const m = binaryen.readBinary(readFileSync(new URL(`../build/${file}`, import.meta.url)));
  try {
    const text = m.emitText();
    const memoryImport = /\(import "env" "memory" \(memory [^\n]*/.exec(text)?.[0] ?? "";
    return { memoryImport, atomics: text.match(/\batomic\.[a-z]/g)?.length ?? 0 };
  } finally {
    m.dispose();
  }
}

describe("the two builds' instructions", () => {
  it("build/iova-sim.wasm imports a memory that is not shared and has no atomic instruction", () => {
    const sim = instructionsOf("iova-sim.wasm");
    expect(sim.memoryImport).toMatch(/\(memory \S+ \d+ \d+\)\)$/);
    expect(sim.memoryImport).not.toMatch(/shared/);
    expect(sim.atomics).toBe(0);
  });

  it("build/iova.wasm imports a shared memory and locks with atomics", () => {
    const core = instructionsOf("iova.wasm");
    expect(core.memoryImport).toMatch(/\(memory \S+ \d+ \d+ shared\)\)$/);
    expect(core.atomics).toBeGreaterThan(0);
  });
});

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
