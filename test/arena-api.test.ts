// SharedArena in one thread: placement (unit-aligned, inside the buffer,
// never overlapping), accounting, every refused input with its typed error,
// what free() detects with and without debug mode, and views.
import { describe, expect, it } from "vitest";
import { prng } from "../dist/examples/shared-arena-worker.js";
import {
  ArenaClosedError, ArenaOverlapError, DoubleFreeError, InvalidArgumentError, InvalidFreeError, IovaError,
  MAX_ARENA_BYTES, MAX_CACHED_UNITS, SharedArena, type SharedArenaOptions,
} from "../dist/src/index.js";

function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" && Object.is(v, -0)) return "-0";
  return String(v);
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** fn must throw `type` (an InvalidArgumentError or subclass) about `argument`, keeping `value` as given. */
function expectArg(fn: () => unknown, argument: string, value: unknown, type: Function = InvalidArgumentError) {
  const e = caught(fn);
  expect(e, `expected ${type.name} for ${argument}=${shown(value)}`).toBeInstanceOf(type);
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect(e).toBeInstanceOf(IovaError);
  const a = e as InvalidArgumentError;
  expect(a.name).toBe(type.name);
  expect(a.argument).toBe(argument);
  expect(Object.is(a.value, value), `value kept: ${shown(a.value)} vs ${shown(value)}`).toBe(true);
  expect(a.message).toContain(`got ${shown(value)}`);
  return a;
}


interface Live { offset: number; bytes: number }

function expectDisjointInside(arena: SharedArena, live: Live[]) {
  const sorted = [...live].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < sorted.length; i++) {
    const { offset, bytes } = sorted[i];
    expect(offset % arena.unit).toBe(0);
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset + bytes).toBeLessThanOrEqual(arena.bytes);
    if (i > 0) expect(sorted[i - 1].offset + sorted[i - 1].bytes, `overlap at ${offset}`).toBeLessThanOrEqual(offset);
  }
}

const ceilPow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));

describe("placement and accounting", () => {
  for (const [unit, policy] of [[1, "adaptive"], [16, "linux-5.10"], [64, "adaptive"], [4096, "tree-only"]] as const) {
    it(`unit ${unit}, ${policy}: random churn stays aligned, inside and disjoint; everything comes back`, () => {
      const arena = SharedArena.create({ bytes: unit * 8192, unit, policy, debug: true });
      const rand = prng(unit);
      const live: Live[] = [];
      let nulls = 0;
      for (let op = 0; op < 6000; op++) {
        if (live.length > 0 && rand() < 0.45) {
          const [h] = live.splice(Math.floor(rand() * live.length), 1);
          arena.free(h.offset, h.bytes);
          continue;
        }
        const bytes = 1 + Math.floor(rand() ** 3 * unit * 200);
        const offset = arena.alloc(bytes);
        if (offset === null) {
          nulls++;
          expect(arena.lastFailure).not.toBeNull();
          continue;
        }
        expect(arena.lastFailure).toBeNull();
        const units = Math.ceil(bytes / unit);
        if (units <= MAX_CACHED_UNITS) {
          // small sizes are size-aligned, whatever the policy
          expect(offset % (ceilPow2(units) * unit)).toBe(0);
        }
        live.push({ offset, bytes });
        if (op % 500 === 0) expectDisjointInside(arena, live);
      }
      expectDisjointInside(arena, live);
      const s = arena.stats();
      expect(s.liveAllocations).toBe(live.length);
      expect(s.liveBytes).toBe(live.reduce((n, h) => n + h.bytes, 0));
      expect(s.failedAllocs).toBe(nulls);
      expect(s.usedBytes).toBe(s.reservedBytes + s.cachedBytes);
      for (const h of live) arena.free(h.offset, h.bytes);
      arena.trim();
      const end = arena.stats();
      expect(end).toMatchObject({ liveAllocations: 0, liveBytes: 0, reservedBytes: 0, cachedBytes: 0, ranges: 0 });
      expect(end.freeBytes).toBe(arena.bytes);
      expect(end.largestFreeBytes).toBe(arena.bytes);
      arena.domain.check();
      // The whole arena is one free run again.
      expect(arena.alloc(arena.bytes)).toBe(0);
    });
  }

  it("fills up, returns null with lastFailure, and free returns the space", () => {
    const arena = SharedArena.create({ bytes: 64 * 1024, unit: 64 });
    const got: number[] = [];
    for (let off = arena.alloc(4096); off !== null; off = arena.alloc(4096)) got.push(off);
    expect(got.length).toBe(16);
    expect(arena.lastFailure).toBe("no-space");
    expect(arena.alloc(64)).toBeNull();
    expect(arena.stats().failedAllocs).toBe(2);
    expectDisjointInside(arena, got.map((offset) => ({ offset, bytes: 4096 })));
    arena.free(got[3], 4096);
    expect(arena.alloc(4096)).toBe(got[3]);
    for (const off of got) arena.free(off, 4096);
    expect(arena.stats().freeBytes).toBe(64 * 1024);
  });

  it("large allocations reclaim space parked in the small-range caches", () => {
    const arena = SharedArena.create({ bytes: 64 * 256, unit: 64 });
    const small: number[] = [];
    for (let off = arena.alloc(64); off !== null; off = arena.alloc(64)) small.push(off);
    expect(small.length).toBe(256);
    for (const off of small) arena.free(off, 64);
    const s = arena.stats();
    expect(s.cachedBytes).toBeGreaterThan(0);
    expect(s.largestFreeBytes).toBeLessThan(arena.bytes);
    // Needs the whole arena: only possible once alloc() flushes the caches itself.
    expect(arena.alloc(arena.bytes)).toBe(0);
    arena.free(0, arena.bytes);
  });

  it("a failed small (aligned) request does not make a fitting large one fail (no 32-bit fast-fail)", () => {
    const arena = SharedArena.create({ bytes: 100, unit: 1, policy: "tree-only" });
    expect(arena.alloc(59)).toBe(41);
    expect(arena.alloc(40)).toBe(1);
    expect(arena.alloc(1)).toBe(0);
    arena.free(1, 40); // free: [1, 41), which holds no 32-aligned block of 32
    expect(arena.alloc(32)).toBeNull();
    expect(arena.alloc(40)).toBe(1);
    expect(arena.alloc(33)).toBeNull();
    expect(arena.lastFailure).toBe("no-space");
  });

  it("reservedBytes rounds to units, and small sizes to a power of two of units", () => {
    const arena = SharedArena.create({ bytes: 1 << 20, unit: 64 });
    arena.alloc(1); // 1 unit
    arena.alloc(65); // 2 units
    arena.alloc(3 * 64); // 3 -> 4 units
    arena.alloc(33 * 64 + 1); // 34 units, the tree: exact
    const s = arena.stats();
    expect(s.liveBytes).toBe(1 + 65 + 192 + 33 * 64 + 1);
    expect(s.reservedBytes).toBe((1 + 2 + 4 + 34) * 64);
    expect(s.usedBytes).toBe(s.reservedBytes);
  });

  it("views of one arena share allocations: alloc in one, free in another; close returns its cache", () => {
    const main = SharedArena.create({ bytes: 1 << 16, unit: 16, workers: 2 });
    const w0 = SharedArena.attach(main.handle, 0);
    const w1 = SharedArena.attach(main.handle, 1);
    expect([main.workerIndex, w0.workerIndex, w1.workerIndex]).toEqual([null, 0, 1]);
    const a = w0.alloc(100)!;
    const b = w1.alloc(5000)!;
    w0.u8(a, 100).fill(7);
    expect(main.u8(a, 100).every((x) => x === 7)).toBe(true);
    main.view(b, 8).setFloat64(0, Math.PI, true);
    expect(w1.array(Float64Array, b, 1)[0]).toBe(Math.PI);
    w1.free(a, 100); // goes into w1's cache
    main.free(b, 5000);
    expect(main.stats().attachedWorkers).toEqual([0, 1]);
    expect(main.stats().cachedBytes).toBe(128);
    w1.close();
    expect(main.stats()).toMatchObject({ cachedBytes: 0, liveAllocations: 0, freeBytes: 1 << 16, attachedWorkers: [0] });
    // Its index is free again.
    SharedArena.attach(main.handle, 1).close();
    w0.close();
    expect(main.stats().attachedWorkers).toEqual([]);
  });

  it("reclaimWorker returns a vanished worker's cache and frees its index", () => {
    const main = SharedArena.create({ bytes: 1 << 16, unit: 16, workers: 1 });
    const w = SharedArena.attach(main.handle, 0);
    w.free(w.alloc(16)!, 16); // cached on worker 0
    expect(main.stats().cachedBytes).toBe(16);
    expectArg(() => SharedArena.attach(main.handle, 0), "workerIndex", 0);
    main.reclaimWorker(0); // as if w's thread had died
    expect(main.stats()).toMatchObject({ cachedBytes: 0, ranges: 0, attachedWorkers: [] });
    SharedArena.attach(main.handle, 0).close();
  });

  it("handle survives structured cloning", () => {
    const main = SharedArena.create({ bytes: 4096, unit: 64, workers: 1, debug: true });
    const h = structuredClone(main.handle);
    const w = SharedArena.attach(h, 0);
    expect(w.debug).toBe(true);
    const off = w.alloc(64)!;
    expect(caught(() => main.free(off, 128))).toBeInstanceOf(InvalidFreeError);
    main.free(off, 64);
    expect(caught(() => w.free(off, 64))).toBeInstanceOf(DoubleFreeError);
    w.close();
  });
});

describe("refused inputs", () => {
  const BAD_SIZES: unknown[] = [0, -1, -0, 1.5, NaN, Infinity, -Infinity, "64", 2 ** 53, 64n, null, undefined];
  const BAD_OFFSETS: unknown[] = [-1, -0, 0.5, NaN, Infinity, 2 ** 53, "0", 0n, null];

  it("create: bytes", () => {
    for (const v of BAD_SIZES) expectArg(() => SharedArena.create({ bytes: v as number }), "bytes", v);
    expectArg(() => SharedArena.create({ bytes: 100, unit: 64 }), "bytes", 100);
    expectArg(() => SharedArena.create({ bytes: MAX_ARENA_BYTES * 2 }), "bytes", MAX_ARENA_BYTES * 2);
  });

  it("create: unit, workers, policy, maxRanges, debug, options", () => {
    for (const v of [0, 3, -64, 1.5, 131072, "64", NaN]) expectArg(() => SharedArena.create({ bytes: 4096, unit: v as number }), "unit", v);
    for (const v of [0, -1, 1.5, 1024, "2"]) expectArg(() => SharedArena.create({ bytes: 4096, workers: v as number }), "workers", v);
    expectArg(() => SharedArena.create({ bytes: 4096, policy: "lifo" as never }), "policy", "lifo");
    expectArg(() => SharedArena.create({ bytes: 4096, maxRanges: 0 }), "maxRanges", 0);
    expectArg(() => SharedArena.create({ bytes: 4096, debug: 1 as never }), "debug", 1);
    expectArg(() => SharedArena.create(null as unknown as SharedArenaOptions), "options", null);
  });

  it("alloc: bytes, leaving the arena as it was", () => {
    const arena = SharedArena.create({ bytes: 1 << 16, unit: 64 });
    arena.alloc(100);
    const before = arena.stats();
    for (const v of BAD_SIZES) expectArg(() => arena.alloc(v as number), "bytes", v);
    expectArg(() => arena.alloc((1 << 16) + 1), "bytes", (1 << 16) + 1);
    expect(arena.stats()).toEqual(before);
  });

  it("free: offsets and sizes it can tell are wrong, leaving the arena as it was", () => {
    const arena = SharedArena.create({ bytes: 1 << 16, unit: 64 });
    const small = arena.alloc(200)!; // 4 units, cached path
    const large = arena.alloc(64 * 40)!; // tree path
    const before = { stats: arena.stats(), ranges: arena.domain.ranges() };
    for (const v of BAD_OFFSETS) expectArg(() => arena.free(v as number, 64), "offset", v);
    for (const v of BAD_SIZES) expectArg(() => arena.free(small, v as number), "bytes", v);
    expectArg(() => arena.free(small, (1 << 16) + 1), "bytes", (1 << 16) + 1);
    // Off the unit grid.
    expectArg(() => arena.free(small + 3, 200), "offset", small + 3, InvalidFreeError);
    // Past the end of the arena.
    expectArg(() => arena.free((1 << 16) - 64, 128), "offset", (1 << 16) - 64, InvalidFreeError);
    expectArg(() => arena.free(1 << 16, 1), "offset", 1 << 16, InvalidFreeError);
    // Small: not where alloc() places blocks of 4 units.
    expectArg(() => arena.free(small + 64, 200), "offset", small + 64, InvalidFreeError);
    // Large: inside the range, wrong size, never allocated.
    const inside = expectArg(() => arena.free(large + 64, 64 * 39), "offset", large + 64, InvalidFreeError);
    expect(inside.message).toContain(`inside the allocation at offset ${large}`);
    const wrong = expectArg(() => arena.free(large, 64 * 41), "offset", large, InvalidFreeError);
    expect((wrong as InvalidFreeError).bytes).toBe(64 * 41);
    expectArg(() => arena.free(0, 64 * 40), "offset", 0, InvalidFreeError);
    // A large free of a small allocation.
    expectArg(() => arena.free(small - 64 * 3, 64 * 40), "offset", small - 64 * 3, InvalidFreeError);
    expect(arena.stats()).toEqual(before.stats);
    expect(arena.domain.ranges()).toEqual(before.ranges);
    // Large double free: the tree no longer holds it.
    arena.free(large, 64 * 40);
    expectArg(() => arena.free(large, 64 * 40), "offset", large, InvalidFreeError);
  });

  it("without debug, a double free of a small range is NOT detected (as documented) and hands it out twice", () => {
    const arena = SharedArena.create({ bytes: 1 << 16, unit: 64 });
    const off = arena.alloc(64)!;
    arena.free(off, 64);
    expect(() => arena.free(off, 64)).not.toThrow();
    expect(arena.alloc(64)).toBe(off);
    expect(arena.alloc(64)).toBe(off); // the hazard debug mode exists for
  });

  it("u8, view, array: ranges outside the arena, misaligned elements, bad types", () => {
    const arena = SharedArena.create({ bytes: 4096, unit: 1 });
    for (const v of BAD_OFFSETS) {
      expectArg(() => arena.u8(v as number, 1), "offset", v);
      expectArg(() => arena.view(v as number, 1), "offset", v);
    }
    expectArg(() => arena.u8(4000, 97), "offset", 4000);
    expectArg(() => arena.view(4096, 1), "offset", 4096);
    expectArg(() => arena.u8(0, -1), "bytes", -1);
    expectArg(() => arena.u8(0, 1.5), "bytes", 1.5);
    expectArg(() => arena.array(Float64Array, 4, 1), "offset", 4);
    expectArg(() => arena.array(Float64Array, 4088, 2), "offset", 4088);
    expectArg(() => arena.array(Float64Array, 0, 0.5), "length", 0.5);
    expectArg(() => arena.array(Array as never, 0, 1), "type", Array);
    expect(arena.u8(4095, 1).length).toBe(1);
    expect(arena.u8(4096, 0).length).toBe(0);
    expect(arena.array(Int32Array, 8, 3).byteOffset).toBe(8);
  });

  it("attach: bad handles, indices out of range, an index already open", () => {
    const main = SharedArena.create({ bytes: 4096, workers: 2 });
    for (const h of [null, 1, {}, { ...main.handle, data: new ArrayBuffer(8) }]) {
      expectArg(() => SharedArena.attach(h as never, 0), "handle", "(arena handle)");
    }
    for (const v of [-1, 2, 0.5, "0", NaN]) expectArg(() => SharedArena.attach(main.handle, v as number), "workerIndex", v);
    const w = SharedArena.attach(main.handle, 1);
    expectArg(() => SharedArena.attach(main.handle, 1), "workerIndex", 1);
    expectArg(() => w.reclaimWorker(1), "workerIndex", 1);
    expectArg(() => main.reclaimWorker(2), "workerIndex", 2);
    w.close();
  });

  it("a closed view refuses every call by name; close() twice is a no-op", () => {
    const main = SharedArena.create({ bytes: 4096, workers: 1 });
    const w = SharedArena.attach(main.handle, 0);
    w.close();
    w.close();
    expect(w.isClosed).toBe(true);
    const calls: Array<[string, () => unknown]> = [
      ["alloc", () => w.alloc(1)], ["free", () => w.free(0, 1)], ["u8", () => w.u8(0, 1)], ["view", () => w.view(0, 1)],
      ["array", () => w.array(Uint8Array, 0, 1)], ["stats", () => w.stats()], ["trim", () => w.trim()],
      ["reclaimWorker", () => w.reclaimWorker(0)],
    ];
    for (const [op, fn] of calls) {
      const e = caught(fn);
      expect(e).toBeInstanceOf(ArenaClosedError);
      expect(e).toBeInstanceOf(IovaError);
      expect((e as ArenaClosedError).operation).toBe(op);
    }
    expect(main.alloc(1)).not.toBeNull(); // the arena lives on
  });
});

describe("debug mode", () => {
  function make() {
    const arena = SharedArena.create({ bytes: 1 << 16, unit: 64, debug: true });
    return { arena, small: arena.alloc(100)!, large: arena.alloc(5000)! };
  }

  it("catches a double free of a small range", () => {
    const { arena, small } = make();
    arena.free(small, 100);
    const before = arena.stats();
    const e = expectArg(() => arena.free(small, 100), "offset", small, DoubleFreeError);
    expect(e).toBeInstanceOf(InvalidFreeError);
    expect((e as DoubleFreeError).bytes).toBe(100);
    expect(e.message).toContain("double free");
    expect(arena.stats()).toEqual(before);
    // The range is handed out once, not twice.
    const a = arena.alloc(100);
    const b = arena.alloc(100);
    expect(a).not.toBe(b);
  });

  it("catches a double free of a large range", () => {
    const { arena, large } = make();
    arena.free(large, 5000);
    expectArg(() => arena.free(large, 5000), "offset", large, DoubleFreeError);
  });

  it("catches frees of the wrong size, inside an allocation, or of an offset never allocated", () => {
    const { arena, small, large } = make();
    const before = arena.stats();
    const wrong = expectArg(() => arena.free(small, 64), "offset", small, InvalidFreeError);
    expect(wrong.message).toContain("live allocation of 128 bytes (2 units)");
    expectArg(() => arena.free(large, 64 * 40), "offset", large, InvalidFreeError);
    const inside = expectArg(() => arena.free(large + 64, 64), "offset", large + 64, InvalidFreeError);
    expect(inside.message).toContain("inside a live allocation");
    const never = expectArg(() => arena.free(0, 64), "offset", 0, InvalidFreeError);
    expect(never.message).toContain("never returned by alloc()");
    expect(arena.stats()).toEqual(before);
    arena.free(small, 100);
    arena.free(large, 5000);
    arena.trim();
    expect(arena.stats().freeBytes).toBe(1 << 16);
  });

  it("catches the allocator handing out live bytes (ArenaOverlapError)", () => {
    const arena = SharedArena.create({ bytes: 1 << 16, unit: 64, debug: true });
    const off = arena.alloc(64 * 40)!;
    arena.domain.free(off / 64 + arena.basePfn); // behind the arena's back: the tree forgets a live range
    const e = caught(() => arena.alloc(64 * 40));
    expect(e).toBeInstanceOf(ArenaOverlapError);
    expect(e).toBeInstanceOf(IovaError);
    expect((e as ArenaOverlapError).unitOffset).toBe(off);
  });

  it("refuses debug for arenas of 2^31 units or more", () => {
    expectArg(() => SharedArena.create({ bytes: 2 ** 31, unit: 1, debug: true }), "debug", true);
  });
});
