// Every refused input gets a typed error that names the argument and keeps
// the value as given; a destroyed domain refuses every call by name.
import { describe, expect, it } from "vitest";
import {
  AllocationError, DomainDestroyedError, InvalidArgumentError, IovaDomain, IovaError, MAX_PFN, NodeSlabFullError,
} from "../dist/src/index.js";

/** How the message shows a value (the errors module's own rule, restated). */
function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" && Object.is(v, -0)) return "-0";
  return String(v);
}

/** Runs fn, which must throw InvalidArgumentError for `argument` holding exactly `value`. */
function expectInvalid(fn: () => unknown, argument: string, value: unknown): InvalidArgumentError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected InvalidArgumentError for ${argument}=${shown(value)}`).toBeInstanceOf(InvalidArgumentError);
  const e = caught as InvalidArgumentError;
  expect(e).toBeInstanceOf(IovaError);
  expect(e.name).toBe("InvalidArgumentError");
  expect(e.argument).toBe(argument);
  expect(Object.is(e.value, value), `value kept as given: ${shown(e.value)} vs ${shown(value)}`).toBe(true);
  expect(e.message).toContain(argument);
  expect(e.message).toContain(`got ${shown(value)}`);
  return e;
}

const BAD_SIZES: unknown[] = [0, -1, -0, 1.5, NaN, Infinity, -Infinity, "3", 2 ** 53, 3n, null, undefined];
const BAD_PFNS: unknown[] = [-1, -0, 0.5, NaN, Infinity, 2 ** 53, 2 ** 60, "7", 7n, null];

/** A domain with a few ranges, to show refused calls leave it as it was. */
function populated() {
  const d = new IovaDomain(4096, 1, { maxRanges: 64 });
  d.alloc(4, 1000, true);
  d.alloc(1, 1000, false);
  d.reserve(10, 20);
  return d;
}

describe("bad sizes", () => {
  for (const v of BAD_SIZES) {
    it(`alloc size ${shown(v)}`, () => {
      const d = populated();
      const before = { ranges: d.ranges(), stats: d.stats() };
      expectInvalid(() => d.alloc(v as number, 1000), "size", v);
      expectInvalid(() => d.allocOrThrow(v as number, 1000), "size", v);
      expectInvalid(() => d.allocFreeLoop(v as number, 1000, false, 1), "size", v);
      expect(d.ranges()).toEqual(before.ranges);
      expect(d.stats()).toEqual(before.stats);
    });
  }
});

describe("bad pfns", () => {
  for (const v of BAD_PFNS) {
    it(`pfn ${shown(v)} refused by alloc limit, free, find, reserve and the constructor`, () => {
      const d = populated();
      const before = { ranges: d.ranges(), stats: d.stats() };
      expectInvalid(() => d.alloc(1, v as number), "limitPfn", v);
      expectInvalid(() => d.free(v as number), "pfn", v);
      expectInvalid(() => d.find(v as number), "pfn", v);
      expectInvalid(() => d.reserve(v as number, 100), "lo", v);
      expectInvalid(() => d.reserve(1, v as number), "hi", v);
      expectInvalid(() => new IovaDomain(4096, v as number), "startPfn", v);
      // Nothing reached the tree: no free miss counted, nothing reserved.
      expect(d.ranges()).toEqual(before.ranges);
      expect(d.stats()).toEqual(before.stats);
    });
  }

  it("the largest accepted pfn is 2^53 - 1, and it is accepted everywhere", () => {
    expect(MAX_PFN).toBe(2 ** 53 - 1);
    const d = new IovaDomain(4096, 1, { maxRanges: 16 });
    expect(d.alloc(1, MAX_PFN)).toBe(MAX_PFN);
    expect(d.find(MAX_PFN)).toEqual({ lo: MAX_PFN, hi: MAX_PFN });
    expect(d.free(MAX_PFN)).toBe(true);
    d.reserve(MAX_PFN - 9, MAX_PFN);
    expect(d.ranges()).toEqual([{ lo: MAX_PFN - 9, hi: MAX_PFN }]);
    d.check();
  });
});

describe("startPfn", () => {
  it("0 is refused (pfn 0 is the fast API's failure value)", () => {
    expectInvalid(() => new IovaDomain(4096, 0), "startPfn", 0);
    expect(new IovaDomain(4096, 1, { maxRanges: 4 }).startPfn).toBe(1);
  });
});

describe("limitPfn below startPfn", () => {
  it("is refused with the value and startPfn in the message", () => {
    const d = new IovaDomain(4096, 100, { maxRanges: 16 });
    const e = expectInvalid(() => d.alloc(1, 99), "limitPfn", 99);
    expect(e.message).toContain("100");
    expectInvalid(() => d.alloc(1, 0), "limitPfn", 0);
    // limit == startPfn is allowed: exactly one page fits.
    expect(d.alloc(1, 100)).toBe(100);
    expect(d.alloc(1, 100)).toBeNull();
    expect(d.lastFailure).toBe("no-space");
  });
});

describe("granule", () => {
  for (const g of [3, 0, 131072, -4096, 4096.5, NaN, 2 ** 31, "4096"]) {
    it(`granule ${shown(g)} is refused`, () => {
      expectInvalid(() => new IovaDomain(g as number, 1), "granule", g);
    });
  }
  it("every power of two from 1 to 65536 is accepted, with dma32Pfn = 2^32 / granule", () => {
    for (let shift = 0; shift <= 16; shift++) {
      const d = new IovaDomain(2 ** shift, 1, { maxRanges: 4 });
      expect(d.granule).toBe(2 ** shift);
      expect(d.dma32Pfn).toBe(2 ** (32 - shift));
    }
  });
});

describe("reserve with lo > hi", () => {
  it("is refused naming lo, the value and hi; the tree is untouched", () => {
    const d = populated();
    const before = { ranges: d.ranges(), stats: d.stats() };
    const e = expectInvalid(() => d.reserve(501, 500), "lo", 501);
    expect(e.message).toContain("500");
    expect(d.ranges()).toEqual(before.ranges);
    expect(d.stats()).toEqual(before.stats);
    d.reserve(500, 500); // lo == hi is one page
    expect(d.find(500)).toEqual({ lo: 500, hi: 500 });
  });
});

describe("maxRanges", () => {
  for (const m of [0, -1, 1.5, NaN, 50_000_001, "8"]) {
    it(`maxRanges ${shown(m)} is refused`, () => {
      expectInvalid(() => new IovaDomain(4096, 1, { maxRanges: m as number }), "maxRanges", m);
    });
  }
  it("maxRanges 1 holds exactly one range", () => {
    const d = new IovaDomain(4096, 1, { maxRanges: 1 });
    expect(d.maxRanges).toBe(1);
    expect(d.alloc(1, 1000)).toBe(1000);
    expect(d.alloc(1, 1000)).toBeNull();
    expect(d.lastFailure).toBe("node-slab-full");
    expect(() => d.reserve(1, 1)).toThrow(NodeSlabFullError);
    d.check();
  });
});

describe("bad booleans and counts", () => {
  for (const v of [1, 0, "true", null]) {
    it(`sizeAligned ${shown(v)} is refused`, () => {
      const d = new IovaDomain(4096, 1, { maxRanges: 4 });
      expectInvalid(() => d.alloc(1, 1000, v as boolean), "sizeAligned", v);
      expect(d.stats().allocs).toBe(0);
    });
  }
  for (const v of [-1, 1.5, 2 ** 32, NaN]) {
    it(`allocFreeLoop rounds ${shown(v)} is refused`, () => {
      const d = new IovaDomain(4096, 1, { maxRanges: 4 });
      expectInvalid(() => d.allocFreeLoop(1, 1000, false, v as number), "rounds", v);
      expect(d.stats().allocs).toBe(0);
    });
  }
});

describe("use after destroy", () => {
  // Each public method and the operation name its error carries. allocOrThrow
  // runs alloc(), and iterRanges is the generator behind ranges(): their
  // errors name those operations.
  const calls: Record<string, [string, (d: IovaDomain) => unknown]> = {
    alloc: ["alloc", (d) => d.alloc(1, 1000)],
    allocOrThrow: ["alloc", (d) => d.allocOrThrow(1, 1000)],
    free: ["free", (d) => d.free(1000)],
    find: ["find", (d) => d.find(1000)],
    reserve: ["reserve", (d) => d.reserve(1, 2)],
    ranges: ["ranges", (d) => d.ranges()],
    iterRanges: ["ranges", (d) => [...d.iterRanges()]],
    check: ["check", (d) => d.check()],
    stats: ["stats", (d) => d.stats()],
    useOracleWalk: ["useOracleWalk", (d) => d.useOracleWalk(true)],
    allocFreeLoop: ["allocFreeLoop", (d) => d.allocFreeLoop(1, 1000, false, 1)],
    allocFast: ["allocFast", (d) => d.allocFast(1, 1000)],
    freeFast: ["freeFast", (d) => d.freeFast(1000, 1)],
    allocFastBatch: ["allocFastBatch", (d) => d.allocFastBatch([1], 1000)],
    freeFastBatch: ["freeFastBatch", (d) => d.freeFastBatch([1000], [1])],
    fastLoop: ["fastLoop", (d) => d.fastLoop(1, 1000, 1)],
    freeCpuCached: ["freeCpuCached", (d) => d.freeCpuCached(0)],
    flushAll: ["flushAll", (d) => d.flushAll()],
    depotWork: ["depotWork", (d) => d.depotWork(0)],
    tick: ["tick", (d) => d.tick(1000)],
    cacheStats: ["cacheStats", (d) => d.cacheStats()],
    statsDump: ["statsDump", (d) => d.statsDump()],
    limitMagazines: ["limitMagazines", (d) => d.limitMagazines(1)],
    kernelWalkSteps: ["kernelWalkSteps", (d) => d.kernelWalkSteps()],
    checkProblem: ["check", (d) => d.checkProblem()],
    setCpuAlive: ["setCpuAlive", (d) => d.setCpuAlive(0, true)],
    markViewDead: ["markViewDead", (d) => d.markViewDead({ slot: 1, token: 7 })],
    endView: ["endView", (d) => d.endView({ slot: 1, token: 7 })],
    takeOverDeadCpu: ["takeOverDeadCpu", (d) => d.takeOverDeadCpu(0)],
    destroy: ["destroy", (d) => d.destroy()],
  };
  /** Prototype members that are implementation, not API (TypeScript `private`). */
  const INTERNAL = new Set(["constructor", "live", "usable", "checkRequest", "checkFastRequest", "checkCpu", "call", "translate", "rangesFrom", "scratchOf"]);

  it("the table covers every public method of IovaDomain", () => {
    const methods = Object.getOwnPropertyNames(IovaDomain.prototype).filter((k) => {
      const desc = Object.getOwnPropertyDescriptor(IovaDomain.prototype, k)!;
      return typeof desc.value === "function" && !INTERNAL.has(k);
    });
    expect(methods.sort()).toEqual(Object.keys(calls).sort());
  });

  for (const [method, [op, call]] of Object.entries(calls)) {
    it(`${method}() throws DomainDestroyedError naming ${op}`, () => {
      const d = populated();
      expect(d.isDestroyed).toBe(false);
      d.destroy();
      expect(d.isDestroyed).toBe(true);
      let caught: unknown;
      try {
        call(d);
      } catch (e) {
        caught = e;
      }
      expect(caught, `${method}() after destroy() did not throw`).toBeInstanceOf(DomainDestroyedError);
      expect(caught).toBeInstanceOf(IovaError);
      const e = caught as DomainDestroyedError;
      expect(e.name).toBe("DomainDestroyedError");
      expect(e.operation).toBe(op);
      expect(e.message).toContain(`${op}()`);
    });
  }

  it("the destroyed check comes before argument checks", () => {
    const d = populated();
    d.destroy();
    expect(() => d.alloc(0, -1)).toThrow(DomainDestroyedError);
    expect(() => d.free(-1)).toThrow(DomainDestroyedError);
    expect(() => d.allocFast(0, -1)).toThrow(DomainDestroyedError);
  });
});

describe("fast API arguments", () => {
  // Checked like the tree API's, on the hot path too (allocFast and freeFast
  // validate inline and fall back to the full checks only to build the error).
  const cases: [string, (d: IovaDomain) => unknown, string, unknown][] = [
    ["allocFast size 0", (d) => d.allocFast(0, 1000), "size", 0],
    ["allocFast size 1.5", (d) => d.allocFast(1.5, 1000), "size", 1.5],
    ["allocFast size -0", (d) => d.allocFast(-0, 1000), "size", -0],
    ["allocFast limit 2^53", (d) => d.allocFast(1, 2 ** 53), "limitPfn", 2 ** 53],
    ["allocFast limit below startPfn", (d) => d.allocFast(1, 9), "limitPfn", 9],
    ["allocFast cpu 2 of 2", (d) => d.allocFast(1, 1000, true, 2), "cpu", 2],
    ["allocFast cpu -1", (d) => d.allocFast(1, 1000, true, -1), "cpu", -1],
    ["allocFast cpu 0.5", (d) => d.allocFast(1, 1000, true, 0.5), "cpu", 0.5],
    ["freeFast pfn -1", (d) => d.freeFast(-1, 1), "pfn", -1],
    ["freeFast pfn -0", (d) => d.freeFast(-0, 1), "pfn", -0],
    ["freeFast pfn 2^53", (d) => d.freeFast(2 ** 53, 1), "pfn", 2 ** 53],
    ["freeFast size NaN", (d) => d.freeFast(1000, NaN), "size", NaN],
    ["freeFast cpu 7", (d) => d.freeFast(1000, 1, 7), "cpu", 7],
    ["freeFastBatch length mismatch", (d) => d.freeFastBatch([1000, 999], [1]), "sizes.length", 1],
    ["freeFastBatch pfn -0", (d) => d.freeFastBatch([-0], [1]), "pfn", -0],
    ["allocFastBatch size 0", (d) => d.allocFastBatch([1, 0], 1000), "size", 0],
    ["fastLoop size 0", (d) => d.fastLoop(0, 1000, 1), "size", 0],
    ["depotWork order 6", (d) => d.depotWork(6), "order", 6],
    ["setCpuAlive cpu 2", (d) => d.setCpuAlive(2, true), "cpu", 2],
  ];
  for (const [what, call, argument, value] of cases) {
    it(what, () => {
      const d = new IovaDomain(4096, 10, { maxRanges: 64, cpus: 2 });
      expectInvalid(() => call(d), argument, value);
      expect(d.stats().allocs).toBe(0);
      expect(d.stats().frees).toBe(0);
      expect(d.ranges()).toEqual([]);
      expect(d.cacheStats().total).toBe(0);
    });
  }
});

describe("allocOrThrow", () => {
  it("throws AllocationError carrying reason, size and limit", () => {
    const d = new IovaDomain(4096, 1, { maxRanges: 16 });
    // Unaligned, top-down in [1, 20]: [13,20], then [5,12]; only [1,4] is left.
    expect(d.allocOrThrow(8, 20)).toBe(13);
    expect(d.allocOrThrow(8, 20)).toBe(5);
    const failures: AllocationError[] = [];
    for (let i = 0; i < 2; i++) {
      try {
        d.allocOrThrow(8, 20);
      } catch (e) {
        expect(e).toBeInstanceOf(AllocationError);
        failures.push(e as AllocationError);
      }
    }
    expect(failures.length).toBe(2);
    // The first search fails; the repeat hits the 32-bit fast-fail.
    expect(failures.map((e) => e.reason)).toEqual(["no-space", "fast-fail-32"]);
    for (const e of failures) {
      expect(e.size).toBe(8);
      expect(e.limitPfn).toBe(20);
      expect(e.message).toContain("8 pages");
      expect(e.message).toContain("pfn 20");
    }
    expect(d.lastFailure).toBe("fast-fail-32");
    // A smaller size is below max32_alloc_size and is searched for.
    expect(d.allocOrThrow(4, 20)).toBe(1);
    expect(d.lastFailure).toBeNull();
  });
});

describe("free of a pfn no range holds", () => {
  it("returns false, counts one freeMiss, and changes nothing else", () => {
    const d = populated();
    const ranges = d.ranges();
    const before = d.stats();
    expect(before.freeMisses).toBe(0);
    const holes = [1000, 994, 21, 9, 0, 1, MAX_PFN, d.dma32Pfn];
    for (const [i, p] of holes.entries()) {
      expect(d.find(p), `pfn ${p} must be free for this test`).toBeNull();
      expect(d.free(p)).toBe(false);
      expect(d.stats()).toEqual({ ...before, freeMisses: i + 1 });
      expect(d.ranges()).toEqual(ranges);
    }
    d.check();
    // A real free still works and is counted as a free, not a miss.
    expect(d.free(15)).toBe(true);
    const after = d.stats();
    expect(after.freeMisses).toBe(holes.length);
    expect(after.frees).toBe(before.frees + 1);
    expect(after.ranges).toBe(before.ranges - 1);
    // Freeing the same pfn again is now a miss.
    expect(d.free(15)).toBe(false);
    expect(d.stats().freeMisses).toBe(holes.length + 1);
  });
});
