// 1e5 random tree operations on the debug build of the module (assertions
// on, no optimisation), side by side with the release build: every result
// must agree, and every invariant must hold on both.
//
// The host picks the build from IOVA_WASM when it first compiles the module,
// so the variable is set and the module graph reset before a dynamic import.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { IovaDomain as ReleaseDomain } from "../dist/src/index.js";
import { prng } from "../dist/bench/tree/util.js";
import { compiledModule as releaseModule, wasmPath as releasePath } from "../dist/src/wasm/module.js";

type DomainCtor = typeof ReleaseDomain;
let DebugDomain: DomainCtor;
let debugModule: WebAssembly.Module;
let debugPath: string;

beforeAll(async () => {
  // Compile the release module first, while IOVA_WASM is unset.
  expect(releasePath()).toMatch(/[/\\]iova\.wasm$/);
  releaseModule();
  vi.stubEnv("IOVA_WASM", "debug");
  vi.resetModules();
  const idx = await import("../dist/src/index.js");
  const mod = await import("../dist/src/wasm/module.js");
  DebugDomain = idx.IovaDomain;
  debugPath = mod.wasmPath();
  debugModule = mod.compiledModule();
});

afterAll(() => {
  vi.unstubAllEnvs();
});


describe("debug build", () => {
  it("is the one loaded after IOVA_WASM=debug, and differs from the release build", () => {
    expect(debugPath).toMatch(/[/\\]iova\.debug\.wasm$/);
    expect(debugModule).not.toBe(releaseModule());
    // The debug build keeps its function names; the release build strips them.
    expect(WebAssembly.Module.customSections(debugModule, "name").length).toBeGreaterThan(0);
    expect(WebAssembly.Module.customSections(releaseModule(), "name").length).toBe(0);
    expect(DebugDomain).not.toBe(ReleaseDomain);
  });

  it("1e5 random operations: debug and release agree at every step; check() passes throughout", () => {
    const OPS = 100_000;
    const seed = 0x5eed1e5;
    const r = prng(seed);
    const opts = { maxRanges: 20_000, policy: "tree-only" as const };
    const dbg = new DebugDomain(4096, 1, opts);
    const rel = new ReleaseDomain(4096, 1, opts);
    const dma32 = dbg.dma32Pfn;
    const live: number[] = []; // pfn_lo of live ranges (allocated or reserved)
    const counts = { alloc: 0, allocNull: 0, free: 0, freeMiss: 0, reserve: 0, find: 0 };
    const sizes = [1, 1, 1, 2, 2, 4, 8, 16, 32, 64];
    for (let i = 0; i < OPS; i++) {
      const at = `op ${i} (seed ${seed})`;
      const roll = r.next();
      const wantFree = live.length > 4000 ? 0.6 : 0.35;
      if (roll < wantFree && live.length > 0) {
        const k = r.int(live.length);
        const lo = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        expect(dbg.free(lo), at).toBe(true);
        expect(rel.free(lo), at).toBe(true);
        counts.free++;
      } else if (roll < wantFree + 0.02) {
        const p = r.int(2 ** 21);
        const a = dbg.free(p);
        expect(rel.free(p), at).toBe(a);
        if (a) {
          const idx = live.findIndex((lo) => dbg.find(lo) === null);
          expect(idx, at).toBeGreaterThanOrEqual(0);
          live.splice(idx, 1);
          counts.free++;
        } else counts.freeMiss++;
      } else if (roll < wantFree + 0.03) {
        const lo = r.int(2 ** 21);
        const hi = lo + r.int(16);
        const before = dbg.stats().ranges;
        dbg.reserve(lo, hi);
        rel.reserve(lo, hi);
        // A reserve that adds a node adds a live range whose lo we record;
        // one that only widens changes the lo of existing ones.
        live.length = 0;
        for (const x of dbg.iterRanges()) live.push(x.lo);
        expect(dbg.stats().ranges, at).toBeGreaterThanOrEqual(before);
        counts.reserve++;
      } else if (roll < wantFree + 0.06) {
        const p = live.length > 0 && r.next() < 0.8 ? live[r.int(live.length)] + r.int(2) : r.int(2 ** 21);
        expect(rel.find(p), at).toEqual(dbg.find(p));
        counts.find++;
      } else {
        const size = r.next() < 0.9 ? sizes[r.int(sizes.length)] : 1 + r.int(300);
        const lr = r.next();
        const limit = lr < 0.55 ? dma32 - 1 : lr < 0.75 ? 2 ** 36 : lr < 0.85 ? 1 + r.int(2 ** 21) : lr < 0.9 ? 1 + r.int(2000) : 2 ** 44 - 1;
        const aligned = r.next() < 0.7;
        const a = dbg.alloc(size, limit, aligned);
        const b = rel.alloc(size, limit, aligned);
        expect(b, at).toBe(a);
        expect(rel.lastFailure, at).toBe(dbg.lastFailure);
        if (a === null) counts.allocNull++;
        else {
          counts.alloc++;
          expect(a + size - 1, at).toBeLessThanOrEqual(limit);
          expect(dbg.find(a + size - 1), at).toEqual({ lo: a, hi: a + size - 1 });
          live.push(a);
        }
      }
      if (i % 2000 === 1999) {
        dbg.check();
        rel.check();
        expect(rel.stats(), at).toEqual(dbg.stats());
      }
    }
    dbg.check();
    rel.check();
    expect(rel.ranges()).toEqual(dbg.ranges());
    expect(dbg.stats().ranges).toBe(live.length);
    // The mix really exercised every path.
    expect(counts.alloc).toBeGreaterThan(30_000);
    expect(counts.allocNull).toBeGreaterThan(100);
    expect(counts.free).toBeGreaterThan(30_000);
    expect(counts.freeMiss).toBeGreaterThan(100);
    expect(counts.reserve).toBeGreaterThan(500);
    expect(counts.find).toBeGreaterThan(1000);
  });
});
