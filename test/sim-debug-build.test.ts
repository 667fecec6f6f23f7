// The simulator's build with its assertions on (build/iova-sim.debug.wasm,
// asconfig.json's target "sim-debug"): the study's own load runs on it for
// every policy on its era, so every `if (DEBUG) assert` of the core and the
// loop that the study reaches is checked (a failed one traps: abort throws),
// and the result must be the simulator's build's, field for field but the
// wall clock (an assertion only reads).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { simulate } from "../dist/src/sim/engine.js";
import { withoutWallClock } from "./helpers/without-wall-clock.js";
import { simBuild, simDebugBuild, SIM_DEBUG_WASM_FILE, SIM_WASM_FILE } from "../dist/src/sim/wasm-sim.js";
import { planStudy, type StudyOptions } from "../dist/src/study/options.js";
import { POLICIES } from "../dist/src/domain/policy.js";

/** Whether the build's data holds this assertion's message (AssemblyScript stores strings as UTF-16). */
function holdsMessage(file: string, message: string): boolean {
  return readFileSync(new URL(`../build/${file}`, import.meta.url)).includes(Buffer.from(message, "utf16le"));
}

describe("the simulator's debug build", () => {
  it("has the assertions the simulator's build leaves out", () => {
    for (const m of ["laterOf: times are +0 or more, not NaN", "mergeTableBuild: thresholds rise strictly", "cpuCacheAt: a CPU and an order of the domain"]) {
      expect(holdsMessage(SIM_DEBUG_WASM_FILE, m), m).toBe(true);
      expect(holdsMessage(SIM_WASM_FILE, m), m).toBe(false);
    }
  });

  // A short study per policy (merged requests, the flush queue and its timer, the 32-bit window and
  // its PCI windows), and strict unmap with migrations and kblockd runs for the paths the default leaves out.
  const cases: Array<[string, StudyOptions]> = [
    ...POLICIES.map((p): [string, StudyOptions] => [p, { policies: [p], seconds: 0.3 }]),
    ["linux-5.10 strict, migrating, kblockd", { policies: ["linux-5.10"], seconds: 0.3, strict: true, migrateMs: 20, kblockdShare: 0.01 }],
  ];
  for (const [name, o] of cases) {
    it(`runs the study's ${name} with every assertion holding, as the simulator's build does`, () => {
      const cfg = planStudy(o).configs[0]!;
      const debug = simulate(cfg, simDebugBuild());
      expect(debug.books.ok).toBe(true);
      expect(debug.counters.ios).toBeGreaterThan(0);
      expect(withoutWallClock(debug)).toEqual(withoutWallClock(simulate(cfg, simBuild())));
    });
  }
});
