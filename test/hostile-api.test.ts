// The hostile-input suite of the public API (issue 13): for every public
// method of every class and function the package exports (src/index.ts and
// src/browser.ts), generated hostile values (wrong types, NaN, ±Infinity,
// -0, fractions, 2^53, 2^64, BigInt, strings, null-prototype objects,
// throwing valueOf/toString, huge sizes and arrays) go in at one or more
// argument positions. Each call must either work, or throw one of the
// package's typed errors (IovaError) that names an argument that was
// hostile; a refused call must change nothing (stats, ranges, caches), and
// afterwards the domain's check() holds. The coverage test fails when a
// public method appears without a row here.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as api from "../dist/src/index.js";
import * as browser from "../dist/src/browser.js";
import { HOSTILE_SEED, hostileArray, hostileOptions, hostileScalar } from "./helpers/hostile-values.js";

const {
  IovaDomain, SharedArena, LocalCache, IdAllocator, CpuPool, IovaError, InvalidArgumentError, loadWasm,
} = api;
type Domain = InstanceType<typeof IovaDomain>;

/** Generated cases per method (per property). */
const RUNS = 48;
console.log(`hostile-api: fast-check seed ${HOSTILE_SEED}, ${RUNS} generated cases per method (HOSTILE_SEED=n to replay)`);

/** One argument position: the names an error about it may give, and a valid value. */
interface Slot {
  /** Argument names the error may name when this slot is hostile ("sizes" also covers "sizes.length" and the element "size"). */
  names: readonly string[];
  valid: () => unknown;
  hostile?: fc.Arbitrary<unknown>;
  /** The slot counts work (loop rounds): a huge valid value is a long run, not a hostile input; skipped. */
  work?: boolean;
}

interface Method<T> {
  slots: Slot[];
  call: (target: T, args: unknown[]) => unknown;
  /** Errors besides InvalidArgumentError that a valid-but-unlucky value may bring (AllocationError...). */
  also?: readonly (new (...a: never[]) => Error)[];
}

/** The table key of [Symbol.dispose] (publicMethods lists it under this name). */
const DISPOSE = String(Symbol.dispose);
const slot = (names: string | readonly string[], valid: () => unknown, more: Partial<Slot> = {}): Slot => ({
  names: typeof names === "string" ? [names] : names, valid, ...more,
});
const NO_ARGS: Slot[] = [];

// ------------------------------------------------------------------ fixtures

/** A small domain with a reserved range, tree ranges and cached pfns: startPfn 4096, so small hostile numbers are below it. */
function domainFixture(): Domain {
  const d = new IovaDomain(4096, 4096, { maxRanges: 256, cpus: 2, policy: "linux-6.4" });
  d.reserve(5000, 5010);
  d.alloc(4, 8000);
  for (let i = 0; i < 4; i++) d.allocFast(1, 8000, true, i % 2);
  d.freeFast(d.allocFast(2, 8000)!, 2, 1);
  return d;
}

/** What a refused call must leave as it was. */
function snapshot(d: Domain): unknown {
  if (d.isDestroyed) return "destroyed";
  return { stats: d.stats(), ranges: d.ranges(), caches: d.cacheStats() };
}

const LIMIT = 8191;
const domainMethods: Record<string, Method<Domain>> = {
  alloc: { slots: [slot("size", () => 2), slot("limitPfn", () => LIMIT), slot("sizeAligned", () => false)],
    call: (d, [s, l, a]) => d.alloc(s as number, l as number, a as boolean) },
  allocOrThrow: { slots: [slot("size", () => 2), slot("limitPfn", () => LIMIT), slot("sizeAligned", () => true)],
    call: (d, [s, l, a]) => d.allocOrThrow(s as number, l as number, a as boolean), also: [api.AllocationError] },
  free: { slots: [slot("pfn", () => 5000)], call: (d, [p]) => d.free(p as number) },
  find: { slots: [slot("pfn", () => 5005)], call: (d, [p]) => d.find(p as number) },
  reserve: { slots: [slot("lo", () => 6000), slot(["hi", "lo"], () => 6001)], call: (d, [lo, hi]) => d.reserve(lo as number, hi as number),
    also: [api.NodeSlabFullError] },
  ranges: { slots: NO_ARGS, call: (d) => d.ranges() },
  iterRanges: { slots: [slot("fromPfn", () => 0)], call: (d, [f]) => [...d.iterRanges(f as number)] },
  check: { slots: NO_ARGS, call: (d) => d.check() },
  checkProblem: { slots: NO_ARGS, call: (d) => d.checkProblem() },
  stats: { slots: NO_ARGS, call: (d) => d.stats() },
  useOracleWalk: { slots: [slot("on", () => true)], call: (d, [on]) => d.useOracleWalk(on as boolean) },
  kernelWalkSteps: { slots: NO_ARGS, call: (d) => d.kernelWalkSteps() },
  allocFreeLoop: { slots: [slot("size", () => 1), slot("limitPfn", () => LIMIT), slot("sizeAligned", () => false),
    slot("rounds", () => 3, { work: true })], call: (d, [s, l, a, r]) => d.allocFreeLoop(s as number, l as number, a as boolean, r as number) },
  allocFast: { slots: [slot("size", () => 1), slot("limitPfn", () => LIMIT), slot("flush", () => true), slot("cpu", () => 1)],
    call: (d, [s, l, f, c]) => d.allocFast(s as number, l as number, f as boolean, c as number) },
  freeFast: { slots: [slot("pfn", () => 7000), slot("size", () => 1), slot("cpu", () => 0)],
    call: (d, [p, s, c]) => d.freeFast(p as number, s as number, c as number) },
  allocFastBatch: { slots: [slot(["sizes", "sizes.length", "size"], () => [1, 2, 4], { hostile: hostileArray }),
    slot("limitPfn", () => LIMIT), slot("flush", () => true), slot("cpu", () => 1)],
  call: (d, [s, l, f, c]) => d.allocFastBatch(s as number[], l as number, f as boolean, c as number) },
  freeFastBatch: { slots: [slot(["pfns", "pfns.length", "pfn", "sizes.length"], () => [7000, 7002], { hostile: hostileArray }),
    slot(["sizes", "sizes.length", "size"], () => [1, 2], { hostile: hostileArray }), slot("cpu", () => 0)],
  call: (d, [p, s, c]) => d.freeFastBatch(p as number[], s as number[], c as number) },
  fastLoop: { slots: [slot("size", () => 1), slot("limitPfn", () => LIMIT), slot("rounds", () => 3, { work: true }), slot("cpu", () => 0)],
    call: (d, [s, l, r, c]) => d.fastLoop(s as number, l as number, r as number, c as number) },
  freeCpuCached: { slots: [slot("cpu", () => 1)], call: (d, [c]) => d.freeCpuCached(c as number) },
  flushAll: { slots: NO_ARGS, call: (d) => d.flushAll() },
  depotWork: { slots: [slot("order", () => 0)], call: (d, [o]) => d.depotWork(o as number) },
  tick: { slots: [slot("nowMs", () => 1000), slot("intervalMs", () => 200)], call: (d, [n, i]) => d.tick(n as number, i as number) },
  cacheStats: { slots: NO_ARGS, call: (d) => d.cacheStats() },
  statsDump: { slots: NO_ARGS, call: (d) => d.statsDump() },
  limitMagazines: { slots: [slot("n", () => 64)], call: (d, [n]) => d.limitMagazines(n as number) },
  setCpuAlive: { slots: [slot("cpu", () => 1), slot("alive", () => true)], call: (d, [c, a]) => d.setCpuAlive(c as number, a as boolean) },
  // CpuPool's calls for a sharer's death; a token no view holds changes nothing.
  markViewDead: { slots: [slot(["view", "view.slot", "view.token"], () => ({ slot: 1, token: 7 }))], call: (d, [v]) => d.markViewDead(v as never) },
  endView: { slots: [slot(["view", "view.slot", "view.token"], () => ({ slot: 1, token: 7 }))], call: (d, [v]) => d.endView(v as never) },
  takeOverDeadCpu: { slots: [slot("cpu", () => 1)], call: (d, [c]) => d.takeOverDeadCpu(c as number) },
  destroy: { slots: NO_ARGS, call: (d) => d.destroy() },
  [DISPOSE]: { slots: NO_ARGS, call: (d) => d[Symbol.dispose]() },
};
/** Prototype members that are implementation (TypeScript private or @internal), not API. */
const DOMAIN_INTERNAL = new Set(["constructor", "live", "usable", "checkRequest", "checkFastRequest", "checkCpu", "call", "translate", "rangesFrom", "scratchOf"]);

// ------------------------------------------------------------------ the property

interface Case {
  /** Which slots get a hostile value (at least one). */
  mask: boolean[];
  values: unknown[];
}

function caseOf(slots: readonly Slot[]): fc.Arbitrary<Case> {
  return fc.tuple(
    fc.array(fc.boolean(), { minLength: slots.length, maxLength: slots.length }).filter((m) => m.some(Boolean)),
    fc.tuple(...slots.map((s) => s.hostile ?? hostileScalar)),
  ).map(([mask, values]) => ({ mask, values }));
}

const isBigCount = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v) && v > 1e5;

/**
 * One generated call: works, or throws a typed error naming a hostile
 * argument; `unchanged` says whether a refusal left the target as it was.
 */
function expectHostileCall<T>(name: string, m: Method<T>, target: T, c: Case, unchanged: (target: T) => void): void {
  const args = m.slots.map((s, i) => (c.mask[i] ? c.values[i] : s.valid()));
  let caught: unknown = null;
  try {
    m.call(target, args);
  } catch (e) {
    caught = e;
  }
  if (caught === null) return;
  const hostileNames = m.slots.flatMap((s, i) => (c.mask[i] ? s.names : []));
  const allowed = (m.also ?? []).some((k) => caught instanceof k);
  if (!(caught instanceof IovaError)) {
    throw new Error(`${name}: untyped ${String((caught as Error)?.name)} for args [${args.map(String).join(", ")}]: ${String((caught as Error)?.message)}`);
  }
  expect(typeof (caught as Error).message).toBe("string");
  if (caught instanceof InvalidArgumentError) {
    expect(hostileNames, `${name}: the error names ${caught.argument}: ${caught.message}`).toContain(caught.argument);
    unchanged(target);
  } else if (!allowed) {
    throw new Error(`${name}: unexpected ${caught.name}: ${caught.message}`);
  }
}

function propertyOf<T>(label: string, m: Method<T>, fresh: () => T, after: (target: T, before: unknown) => void, snap: (t: T) => unknown) {
  if (m.slots.length === 0) {
    // No arguments to make hostile: the call works on a fresh target, and the books hold.
    const t = fresh();
    const before = snap(t);
    m.call(t, []);
    after(t, before);
    return;
  }
  fc.assert(
    fc.property(caseOf(m.slots), (c) => {
      fc.pre(!m.slots.some((s, i) => s.work && c.mask[i] && isBigCount(c.values[i])));
      const t = fresh();
      const before = snap(t);
      expectHostileCall(label, m, t, c, (x) => expect(snap(x)).toEqual(before));
      after(t, before);
    }),
    { seed: HOSTILE_SEED, numRuns: RUNS },
  );
}

/** Public prototype methods (and the dispose symbol) of a class, without its internals. */
function publicMethods(cls: { prototype: object }, internal: ReadonlySet<string> = new Set(["constructor"])): string[] {
  const p = cls.prototype;
  const names = Object.getOwnPropertyNames(p).filter((k) => {
    const desc = Object.getOwnPropertyDescriptor(p, k)!;
    return typeof desc.value === "function" && !internal.has(k);
  });
  if (Object.getOwnPropertySymbols(p).includes(Symbol.dispose)) names.push(String(Symbol.dispose));
  return names.sort();
}
const tableNames = (t: Record<string, unknown>): string[] => Object.keys(t).map((k) => k).sort();

/**
 * The two tests every class's table gets: the table names every public
 * method of `cls` (less `internal`), and each method's generated cases.
 */
function everyMethod<T>(label: string, cls: { prototype: object }, internal: ReadonlySet<string>, table: Record<string, Method<T>>,
  fresh: () => T, after: (target: T, before: unknown) => void, snap: (t: T) => unknown, detail = ""): void {
  it("the table covers every public method", () => {
    expect(publicMethods(cls, internal)).toEqual(tableNames(table));
  });
  for (const [name, m] of Object.entries(table)) {
    it(`${name}: ${m.slots.length ? RUNS : 1} generated cases${detail}`, () => {
      propertyOf(`${label}.${name}`, m, fresh, after, snap);
    });
  }
}

// ------------------------------------------------------------------ IovaDomain

describe("IovaDomain: every public method under hostile arguments", () => {
  everyMethod("IovaDomain", IovaDomain, DOMAIN_INTERNAL, domainMethods, domainFixture, (d) => { if (!d.isDestroyed) d.check(); }, snapshot,
    "; typed errors naming the argument, books intact");

  const ctorMethod: Method<null> = {
    slots: [slot("granule", () => 4096), slot("startPfn", () => 1),
      slot(["options", "maxRanges", "cpus", "policy", "era", "magazineSize", "depotMax", "maxMagazines", "countKernelWalk",
        "flushQueue", "flushQueue.size", "flushQueue.timeoutMs", "flushQueue.hz", "hostBytes", "sharedViews"], () => ({ maxRanges: 64 }), {
        hostile: fc.oneof(
          hostileOptions(["maxRanges", "cpus", "policy", "era", "magazineSize", "depotMax", "maxMagazines", "countKernelWalk", "flushQueue",
            "hostBytes", "sharedViews"]),
          fc.tuple(fc.constantFrom("size", "timeoutMs", "hz"), hostileScalar).map(([k, v]) => ({ flushQueue: { size: 64, timeoutMs: 10, [k]: v } })),
        ),
      })],
    call: (_t, [g, s, o]) => {
      const d = new IovaDomain(g as number, s as number, o as never);
      d.alloc(1, d.startPfn + 10);
      d.check();
      d.destroy();
    },
  };
  it(`new IovaDomain(granule, startPfn, options): ${RUNS} generated cases`, () => {
    propertyOf("new IovaDomain", ctorMethod, () => null, () => {}, () => null);
  });

  const HANDLE_KEYS = ["memory", "module", "base", "scratchBase", "granule", "startPfn", "maxRanges", "cpus", "policy", "era",
    "fqBase", "hostBase", "hostBytes", "sharedViews"];
  const attachMethod: Method<Domain> = {
    slots: [
      slot("handle", () => undefined, {
        hostile: fc.oneof(hostileScalar, fc.tuple(fc.constantFrom(...HANDLE_KEYS), hostileScalar).map(([k, v]) => ({ replace: k, v }))),
      }),
      slot("cpu", () => 1),
      slot(["shareCpu", "options"], () => ({ shareCpu: true }), { hostile: hostileOptions(["shareCpu"]) }),
    ],
    call: (d, [h, c, o]) => {
      const handle = h === undefined ? d.handle
        : typeof h === "object" && h !== null && "replace" in h ? { ...d.handle, [(h as { replace: string }).replace]: (h as { v: unknown }).v } : h;
      const v = IovaDomain.attach(handle as never, c as number, o as never);
      v.allocFastBatch([1, 2], LIMIT);
      v[Symbol.dispose]();
    },
  };
  it(`IovaDomain.attach(handle, cpu, options): ${RUNS} generated cases; a refused attach leaves the thread able to make domains`, () => {
    propertyOf("IovaDomain.attach", attachMethod, domainFixture, (d) => {
      d.check();
      new IovaDomain(4096, 1, { maxRanges: 16, sharedViews: 0 }).destroy();
    }, snapshot);
  });
});

// ------------------------------------------------------------------ LocalCache

type Cache = InstanceType<typeof LocalCache>;
function cacheFixture(): Cache {
  const d = domainFixture();
  const c = new LocalCache(d, { limitPfn: LIMIT, batch: 8 });
  for (let i = 0; i < 3; i++) c.alloc(1);
  return c;
}
const domainOf = (c: Cache): Domain => (c as unknown as { domain: Domain }).domain;
const cacheSnap = (c: Cache): unknown => ({ held: c.isClosed ? "closed" : c.held(), domain: snapshot(domainOf(c)) });
const cacheMethods: Record<string, Method<Cache>> = {
  alloc: { slots: [slot("size", () => 2)], call: (c, [s]) => c.alloc(s as number) },
  free: { slots: [slot("pfn", () => 7001), slot("size", () => 1)], call: (c, [p, s]) => c.free(p as number, s as number) },
  held: { slots: NO_ARGS, call: (c) => c.held() },
  flush: { slots: NO_ARGS, call: (c) => c.flush() },
  close: { slots: NO_ARGS, call: (c) => c.close() },
  [DISPOSE]: { slots: NO_ARGS, call: (c) => c[Symbol.dispose]() },
};
describe("LocalCache: every public method under hostile arguments", () => {
  everyMethod("LocalCache", LocalCache, new Set(["constructor", "live", "refill", "spill"]), cacheMethods, cacheFixture,
    (c) => domainOf(c).check(), cacheSnap);
  const ctor: Method<Domain> = {
    slots: [slot("domain", () => undefined), slot(["options", "limitPfn", "batch"], () => ({ limitPfn: LIMIT }),
      { hostile: hostileOptions(["limitPfn", "batch"]) })],
    call: (d, [dom, o]) => {
      const c = new LocalCache((dom === undefined ? d : dom) as Domain, o as never);
      c.alloc(1);
      c.close();
    },
  };
  it(`new LocalCache(domain, options): ${RUNS} generated cases`, () => {
    propertyOf("new LocalCache", ctor, domainFixture, (d) => d.check(), snapshot);
  });
});

// ------------------------------------------------------------------ SharedArena

type Arena = InstanceType<typeof SharedArena>;
function arenaFixture(): Arena {
  const a = SharedArena.create({ bytes: 1 << 16, workers: 2, debug: true });
  a.alloc(100);
  a.alloc(5000);
  return a;
}
const arenaSnap = (a: Arena): unknown => (a.isClosed ? "closed" : { stats: a.stats(), domain: snapshot(a.domain) });
const arenaMethods: Record<string, Method<Arena>> = {
  alloc: { slots: [slot("bytes", () => 64)], call: (a, [b]) => a.alloc(b as number) },
  free: { slots: [slot("offset", () => 0), slot(["bytes", "offset"], () => 64)], call: (a, [o, b]) => a.free(o as number, b as number) },
  u8: { slots: [slot("offset", () => 64), slot(["bytes", "offset"], () => 16)], call: (a, [o, b]) => a.u8(o as number, b as number) },
  view: { slots: [slot("offset", () => 64), slot(["bytes", "offset"], () => 16)], call: (a, [o, b]) => a.view(o as number, b as number) },
  array: { slots: [slot(["type", "length", "offset", "bytes"], () => Float64Array), slot("offset", () => 64), slot(["length", "offset", "bytes"], () => 4)],
    call: (a, [t, o, l]) => a.array(t as Float64ArrayConstructor, o as number, l as number) },
  stats: { slots: NO_ARGS, call: (a) => a.stats() },
  trim: { slots: NO_ARGS, call: (a) => a.trim() },
  reclaimWorker: { slots: [slot("workerIndex", () => 1)], call: (a, [i]) => a.reclaimWorker(i as number) },
  close: { slots: NO_ARGS, call: (a) => a.close() },
  [DISPOSE]: { slots: NO_ARGS, call: (a) => a[Symbol.dispose]() },
};
describe("SharedArena: every public method under hostile arguments", () => {
  everyMethod("SharedArena", SharedArena, new Set(["constructor", "live", "unitsOf", "rangeArg", "debugMark", "debugRelease"]), arenaMethods,
    arenaFixture, (a) => a.domain.check(), arenaSnap);
  const create: Method<null> = {
    slots: [slot(["options", "bytes", "unit", "workers", "policy", "maxRanges", "debug"], () => ({ bytes: 4096 }),
      { hostile: hostileOptions(["bytes", "unit", "workers", "policy", "maxRanges", "debug"]) })],
    call: (_t, [o]) => {
      const a = SharedArena.create(o as never);
      const off = a.alloc(Math.min(64, a.bytes));
      if (off !== null) a.free(off, Math.min(64, a.bytes));
      a.domain.check();
      a.close();
    },
  };
  it(`SharedArena.create(options): ${RUNS} generated cases`, () => {
    propertyOf("SharedArena.create", create, () => null, () => {}, () => null);
  });
  const attach: Method<Arena> = {
    slots: [slot("handle", () => undefined, { hostile: fc.oneof(hostileScalar,
      fc.tuple(fc.constantFrom("domain", "data", "meta", "debugStarts", "debugLive", "bytes", "unit", "workers"), hostileScalar)
        .map(([k, v]) => ({ replace: k, v }))) }), slot("workerIndex", () => 0)],
    call: (a, [h, i]) => {
      const handle = h === undefined ? a.handle
        : typeof h === "object" && h !== null && "replace" in h ? { ...a.handle, [(h as { replace: string }).replace]: (h as { v: unknown }).v } : h;
      const w = SharedArena.attach(handle as never, i as number);
      const off = w.alloc(64);
      if (off !== null) w.free(off, 64);
      w.close();
    },
  };
  it(`SharedArena.attach(handle, workerIndex): ${RUNS} generated cases`, () => {
    propertyOf("SharedArena.attach", attach, arenaFixture, (a) => a.domain.check(), arenaSnap);
  });
});

// ------------------------------------------------------------------ IdAllocator

type Ids = InstanceType<typeof IdAllocator>;
function idsFixture(): Ids {
  const ids = new IdAllocator(10, 1000);
  ids.use(500);
  ids.alloc();
  return ids;
}
const idsSnap = (ids: Ids): unknown => {
  try {
    return { used: ids.usedCount, first: ids.firstVacant(), u500: ids.isUsed(500) };
  } catch (e) {
    return (e as Error).name;
  }
};
const idsMethods: Record<string, Method<Ids>> = {
  alloc: { slots: NO_ARGS, call: (x) => x.alloc() },
  use: { slots: [slot("id", () => 20)], call: (x, [i]) => x.use(i as number) },
  free: { slots: [slot("id", () => 500)], call: (x, [i]) => x.free(i as number) },
  firstVacant: { slots: NO_ARGS, call: (x) => x.firstVacant() },
  isUsed: { slots: [slot("id", () => 500)], call: (x, [i]) => x.isUsed(i as number) },
  clear: { slots: NO_ARGS, call: (x) => x.clear() },
  destroy: { slots: NO_ARGS, call: (x) => x.destroy() },
  [DISPOSE]: { slots: NO_ARGS, call: (x) => x[Symbol.dispose]() },
};
describe("IdAllocator: every public method under hostile arguments", () => {
  everyMethod("IdAllocator", IdAllocator, new Set(["constructor", "fresh", "idOf", "pfnOf"]), idsMethods, idsFixture, () => {}, idsSnap);
  const ctor: Method<null> = {
    slots: [slot("min", () => 0), slot(["max", "min"], () => 100)],
    call: (_t, [a, b]) => {
      const ids = new IdAllocator(a as number, b as number);
      expect(ids.alloc()).toBe(ids.min);
      ids.destroy();
    },
  };
  it(`new IdAllocator(min, max): ${RUNS} generated cases`, () => {
    propertyOf("new IdAllocator", ctor, () => null, () => {}, () => null);
  });
});

// ------------------------------------------------------------------ loadWasm

describe("loadWasm(source) under hostile sources", () => {
  it(`${RUNS} generated cases: InvalidArgumentError naming source, and the thread still makes domains`, async () => {
    const foreign = [new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))];
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileScalar, fc.constantFrom(...foreign)), async (v) => {
        fc.pre(typeof v !== "string");  // a string is a URL: fetch() would go to the network
        let caught: unknown = null;
        try {
          await loadWasm(v as never);
        } catch (e) {
          caught = e;
        }
        if (caught !== null) {
          expect(caught).toBeInstanceOf(InvalidArgumentError);
          expect((caught as InstanceType<typeof InvalidArgumentError>).argument).toBe("source");
        }
        const d = new IovaDomain(4096, 1, { maxRanges: 16, sharedViews: 0 });
        expect(d.alloc(1, 100)).toBe(100);
        d.destroy();
      }),
      { seed: HOSTILE_SEED, numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------------------ error classes

describe("the typed errors' constructors under hostile values", () => {
  const errorClasses = Object.entries(api).filter(([, v]) => typeof v === "function" && (v === IovaError || v.prototype instanceof IovaError));
  it(`every exported error class (${errorClasses.length}), ${RUNS} generated cases each: the message builder never throws`, () => {
    for (const [name, cls] of errorClasses) {
      fc.assert(
        fc.property(fc.array(hostileScalar, { minLength: 4, maxLength: 4 }), (args) => {
          const e = new (cls as new (...a: unknown[]) => Error)(...args);
          expect(e).toBeInstanceOf(IovaError);
          expect(typeof e.message, name).toBe("string");
          expect(e.name).toBe(name);
        }),
        { seed: HOSTILE_SEED, numRuns: RUNS },
      );
    }
  });
});

// ------------------------------------------------------------------ CpuPool

type Pool = InstanceType<typeof CpuPool>;
describe("CpuPool: every public method under hostile arguments", () => {
  let pool: Pool;
  let domain: Domain;
  beforeAll(async () => {
    domain = new IovaDomain(4096, 1, { maxRanges: 1024, cpus: 2 });
    pool = await CpuPool.start(domain, { workers: 1 });
  });
  afterAll(async () => {
    await pool.terminateAll();
  });
  const cpuSlot = slot("cpu", () => 0);
  // Only methods whose valid call leaves the pool usable are run with valid values; kill/close/terminateAll get only hostile ones.
  const poolMethods: Record<string, Method<Pool> & { hostileOnly?: boolean }> = {
    isAlive: { slots: [cpuSlot], call: (p, [c]) => p.isAlive(c as number) },
    holderIdOf: { slots: [cpuSlot], call: (p, [c]) => p.holderIdOf(c as number) },
    send: { slots: [cpuSlot, slot(["cmd", "cmd.kind"], () => ({ kind: "ping" }), { hostile: hostileOptions(["kind"]) })],
      call: (p, [c, m]) => p.send(c as number, m as never) },
    all: { slots: [slot("make", () => () => ({ kind: "ping" })), slot(["opts", "opts.cpus", "opts.gate"], () => ({ cpus: [0] }),
      { hostile: hostileOptions(["cpus", "gate"]) })], call: (p, [mk, o]) => p.all(mk as never, o as never) },
    allSettled: { slots: [slot("make", () => () => ({ kind: "ping" })), slot(["opts", "opts.cpus", "opts.gate"], () => ({ cpus: [0] }),
      { hostile: hostileOptions(["cpus", "gate"]) })], call: (p, [mk, o]) => p.allSettled(mk as never, o as never) },
    requestStop: { slots: [cpuSlot], call: (p, [c]) => p.requestStop(c as number), hostileOnly: true },
    kill: { slots: [cpuSlot, slot(["opts", "opts.now", "opts.timeoutMs"], () => ({}), { hostile: hostileOptions(["now", "timeoutMs"]) })],
      call: (p, [c, o]) => p.kill(c as number, o as never), hostileOnly: true },
    exited: { slots: [cpuSlot], call: (p, [c]) => p.exited(c as number), hostileOnly: true },
    close: { slots: NO_ARGS, call: (p) => p.close(), hostileOnly: true },
    terminateAll: { slots: NO_ARGS, call: (p) => p.terminateAll(), hostileOnly: true },
  };
  it("the table covers every public method", () => {
    const own = publicMethods(CpuPool, new Set(["constructor", "spawn", "launch", "slot", "markDead", "markKilled"]));
    expect(own).toEqual(tableNames(poolMethods));
  });
  for (const [name, m] of Object.entries(poolMethods)) {
    if (m.slots.length === 0) continue;  // close, terminateAll: nothing to make hostile (the faults suite ends pools)
    it(`${name}: ${RUNS} generated cases; the worker stays alive and answers`, async () => {
      await fc.assert(
        fc.asyncProperty(caseOf(m.slots), async (c) => {
          // A valid cpu for a method that ends or stops the worker would end this pool: keep the cpu hostile there.
          const args = m.slots.map((s, i) => (c.mask[i] ? c.values[i] : s.valid()));
          fc.pre(!(m.hostileOnly && typeof args[0] === "number" && args[0] === 0));
          let caught: unknown = null;
          try {
            await Promise.race([m.call(pool, args), new Promise((_, rej) => setTimeout(() => rej(new Error("hang: no answer in 10 s")), 10_000))]);
          } catch (e) {
            caught = e;
          }
          if (caught !== null) {
            if (!(caught instanceof IovaError)) throw new Error(`CpuPool.${name}: untyped ${(caught as Error).name}: ${(caught as Error).message}`);
            if (caught instanceof InvalidArgumentError) {
              expect(m.slots.flatMap((s, i) => (c.mask[i] ? s.names : []))).toContain(caught.argument);
            }
          }
          expect(pool.isAlive(0)).toBe(true);
          expect(Atomics.load(pool.control, 0)).toBe(0);
          expect(await pool.send(0, { kind: "ping" })).toEqual({ cpu: 0 });
        }),
        { seed: HOSTILE_SEED, numRuns: RUNS },
      );
    }, 120_000);
  }
  it(`CpuPool.start(domain, options): ${RUNS} generated cases refused with a typed error and no worker left running`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(
        fc.tuple(fc.constant(true), hostileOptions(["workers", "cpuDeadPath", "script", "workerOptions"])),
        fc.tuple(fc.constant(false), hostileScalar),
      ), async ([goodDomain, v]) => {
        // Valid options would start workers: only hostile ones here (the pool above is the valid start).
        fc.pre(!(goodDomain && typeof v === "object" && v !== null && Object.values(v).every((x) => x === undefined)));
        let caught: unknown = null;
        let started: Pool | null = null;
        try {
          started = await (goodDomain ? CpuPool.start(domain, v as never) : CpuPool.start(v as never));
        } catch (e) {
          caught = e;
        }
        if (started) await started.terminateAll();
        if (caught !== null) {
          if (!(caught instanceof IovaError)) throw new Error(`CpuPool.start: untyped ${(caught as Error).name}: ${(caught as Error).message}`);
        }
      }),
      { seed: HOSTILE_SEED, numRuns: RUNS },
    );
  }, 120_000);
});

// ------------------------------------------------------------------ coverage of the exports

describe("every export of src/index.ts and src/browser.ts has a row here", () => {
  const COVERED = new Set([
    "IovaDomain", "LocalCache", "SharedArena", "IdAllocator", "CpuPool", "loadWasm",
    // Constants and tables: values, not calls.
    "MAX_BATCH", "POLICIES", "ERAS", "POLICY_ERA", "MAX_PFN", "DEFAULT_ARENA_UNIT", "MAX_CACHED_UNITS", "MAX_ARENA_BYTES",
    "MAX_ARENA_WORKERS", "DEFAULT_MAX_RANGES_CAP", "MAX_LIVE_IDS",
  ]);
  it("every exported function or class is covered (errors by the error-class case)", () => {
    for (const mod of [api, browser]) {
      for (const [name, v] of Object.entries(mod)) {
        const isError = typeof v === "function" && (v === IovaError || v.prototype instanceof IovaError);
        if (isError) continue;
        expect(COVERED.has(name), `export ${name} has no hostile-input row in test/hostile-api.test.ts`).toBe(true);
      }
    }
  });
});
