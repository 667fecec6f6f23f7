// The fault sweep: a CPU stopped at EVERY lock event of one call, one event
// per case, for every lock-taking operation under every policy, after a
// seeded prefix of work on both CPUs (so caches, depots and the tree hold
// something). One thread plays both CPUs: CPU 1 is a second view attached in
// this thread, armed in the debug build (assembly/fault.ts) to trap at its
// k-th lock event, which ends its call right there, as a terminate() landing
// there would; then the host marks CPU 1 dead and runs its CPU-dead path.
// Deterministic: a case is (policy, operation, seed, k) and replays exactly.
//
// A stop inside a critical section must end in LockHolderDeadError naming
// CPU 1, from the CPU-dead path and from every later call that needs a lock;
// a stop between critical sections must leave exact books (every range
// live, cached, or one of the stopped call's own, settled against the tree;
// the tree empty and sound once they are freed).
// test/faults-workers.test.ts does the same with real workers and real
// terminate(), fewer cases, with a second CPU running concurrently.
import { afterAll, describe, expect, it } from "vitest";
import { IovaDomain, LockHolderDeadError, POLICIES } from "../dist/src/index.js";
import { auditBooks } from "../dist/src/workers/audit.js";
import { FAULT_OPS, Journal, PENDING_ALLOC, PENDING_FREE, domainFaultRun, type FaultOp, type FaultRunSpec } from "../dist/src/workers/fault-driver.js";
import { settleBooks } from "../dist/src/workers/fault-books.js";
import { splitmix32 } from "../dist/src/util/splitmix32.js";

process.env.IOVA_WASM = "debug";

const LIMIT = 2 ** 20 - 1;
const VICTIM = 1;
const CAPACITY = 256;
/** Size profiles, one seed each: every cached order and the tree; then orders 0-1 only, whose magazines fill, so depots fill, retire and get reclaimed. */
const PROFILES: [number, number][] = [[1, 48], [1, 2]];
const PREFIX_OPS = 120;

type Policy = (typeof POLICIES)[number];

interface Setup {
  d: IovaDomain;
  v: IovaDomain;
  journals: Journal[];
  flagAddr: number;
}

/** A fresh domain after the seeded prefix: the host as CPU 0 ran its ops; CPU 1's view is attached and ran none yet. */
function setup(policy: Policy, seed: number, sizes: [number, number]): Setup {
  const d = new IovaDomain(4096, 1, { cpus: 2, policy, magazineSize: 2, depotMax: 1, maxRanges: 1 << 12, hostBytes: 64 });
  const v = IovaDomain.attach(d.handle, VICTIM);
  const journals = [Journal.create(CAPACITY), Journal.create(CAPACITY)];
  domainFaultRun(d, 0, spec(seed, journals[0], [...FAULT_OPS], PREFIX_OPS, sizes));
  return { d, v, journals, flagAddr: d.hostBase };
}

function spec(seed: number, j: Journal, mix: FaultOp[], ops: number, sizes: [number, number]): FaultRunSpec {
  return { seed, ops, journal: j.sab, capacity: CAPACITY, mix, sizes, maxLive: 40, limitPfn: LIMIT };
}

/** CPU 1's run: its own prefix, then `op`, armed at lock event `event` of that one invocation. */
function victimRun(s: Setup, seed: number, sizes: [number, number], op: FaultOp, event: number): unknown {
  const mix: FaultOp[] = [...FAULT_OPS];
  try {
    domainFaultRun(s.v, VICTIM, { ...spec(seed ^ 0x5a5a, s.journals[VICTIM], mix, 10 * PREFIX_OPS, sizes),
      arm: { op, event, skip: PREFIX_OPS, flagAddr: s.flagAddr, stop: true, once: true } });
    return null;
  } catch (e) {
    return e;
  }
}

const tally = { cases: 0, inside: 0, between: 0, exact: 0, lockHolderDead: 0, settledPending: 0 };

/** How many lock events `op` makes in this (policy, seed) state: a dry run armed past its end. */
function eventsOf(policy: Policy, seed: number, sizes: [number, number], op: FaultOp): number {
  const s = setup(policy, seed, sizes);
  const err = victimRun(s, seed, sizes, op, 2 ** 31);
  expect(err).toBeNull();
  expect(s.journals[VICTIM].op(), "the run ended right after the armed call").toBeNull();
  return s.journals[VICTIM].armEvents();
}

/** One case: CPU 1 stops at lock event k of `op`; then its CPU-dead path, then the verdict. */
function stopCase(policy: Policy, seed: number, sizes: [number, number], op: FaultOp, k: number): void {
  const what = `${policy}, ${op}, seed ${seed}, sizes ${sizes.join("-")}, lock event ${k}`;
  const s = setup(policy, seed, sizes);
  const { d } = s;
  const err = victimRun(s, seed, sizes, op, k);
  expect(err, `${what}: the call stopped at its fault point`).toBeInstanceOf(WebAssembly.RuntimeError);
  expect(s.journals[VICTIM].op(), what).toBe(op);
  verdict(d, s, what, LIMIT);
}

/** After a stop: the CPU-dead path of CPU 1, then LockHolderDeadError everywhere or exact books. */
function verdict(d: IovaDomain, s: Setup, what: string, limit: number): void {
  const w = new Int32Array(d.memory.buffer, s.flagAddr, 3);
  const held = w[2];
  tally.cases++;
  tally[held > 0 ? "inside" : "between"]++;
  // The CPU-dead path, as CpuPool and SharedArena.reclaimWorker run it.
  d.setCpuAlive(VICTIM, false);
  let deadPath: unknown = null;
  try {
    d.freeCpuCached(VICTIM);
  } catch (e) {
    deadPath = e;
  }
  if (held > 0) {
    expect(deadPath, `${what}: stopped holding ${held} lock(s)`).toBeInstanceOf(LockHolderDeadError);
    expect((deadPath as LockHolderDeadError).holderCpu).toBe(VICTIM);
    expect(d.poisonedBy).toBe(VICTIM);
    for (const call of [() => d.allocFast(1, limit, true, 0), () => d.alloc(40, LIMIT), () => d.flushAll(), () => d.check()]) {
      expect(call, what).toThrow(LockHolderDeadError);
    }
    tally.lockHolderDead++;
    return;
  }
  expect(deadPath, `${what}: stopped between critical sections`).toBeNull();
  expect(d.poisonedBy).toBeNull();
  const books = settleBooks(d, s.journals.map((journal, i) => ({ journal, dead: i === VICTIM })));
  expect(books.problems, what).toEqual([]);
  if (books.settled.length > 0) tally.settledPending++;
  auditBooks(d, books.live);
  for (let i = 0; i < books.live.length; i += 2) expect(d.free(books.live[i]), `${what}: pfn ${books.live[i]}`).toBe(true);
  d.flushAll();
  expect(d.stats().ranges, what).toBe(0);
  d.check();
  tally.exact++;
}

/** The operations that take a lock under `policy` (the clock does nothing under the bounded policies). */
function targets(policy: Policy): FaultOp[] {
  return FAULT_OPS.filter((op) => op !== "tick" || policy === "linux-6.4" || policy === "adaptive");
}

describe("a CPU stopped at every lock event of every lock-taking call", () => {
  const rnd = splitmix32(0x5eeb);
  for (const policy of POLICIES) {
    for (const op of targets(policy)) {
      const seeds = PROFILES.map(() => rnd());
      it(`${policy}: ${op} (seeds ${seeds.join(", ")})`, () => {
        seeds.forEach((seed, i) => {
          const n = eventsOf(policy, seed, PROFILES[i], op);
          expect(n, `${op} takes a lock`).toBeGreaterThan(0);
          for (let k = 1; k <= n; k++) stopCase(policy, seed, PROFILES[i], op, k);
        });
      });
    }
  }
});

// ---- Directed: states built step by step so that the stopped call takes
// the path in question (each dry run asserts it did), then every lock event
// of that call. These are the places where a magazine leaves one structure
// before it is freed: retired by an insert into a full depot, freed by the
// depot work, by the adaptive reclaim, by the flush; and the allocation
// that flushes every CPU and retries.

interface Script {
  name: string;
  policies: Policy[];
  limitPfn?: number;
  /** Builds the state: CPU 0 through the host view `d`, CPU 1 through `v`; journals keep what each holds. */
  build(c: Ctx): void;
  /** The call to stop: sets the journal's pending entries, then calls. Returns what the dry run checks. */
  target(c: Ctx): number;
  /** The dry run's check that the call took the path in question (its result, the domain after it). */
  tookPath(result: number, d: IovaDomain, before: ReturnType<IovaDomain["cacheStats"]>): boolean;
}

interface Ctx {
  d: IovaDomain;
  v: IovaDomain;
  j: Journal[];
  limit: number;
  /** n allocFast of `size` on `cpu`, recorded as live. */
  alloc(cpu: number, size: number, n: number): void;
  /** freeFast on `cpu` of the first n live ranges of journal `from`. */
  free(cpu: number, from: number, n: number): void;
}

function ctxOf(d: IovaDomain, v: IovaDomain, limit: number): Ctx {
  const j = [Journal.create(CAPACITY), Journal.create(CAPACITY)];
  const view = (cpu: number) => (cpu === VICTIM ? v : d);
  return {
    d, v, j, limit,
    alloc(cpu, size, n) {
      for (let i = 0; i < n; i++) {
        const p = view(cpu).allocFast(size, limit, true, cpu);
        expect(p, "the build's allocations succeed").not.toBeNull();
        j[cpu].add(p!, size);
      }
    },
    free(cpu, from, n) {
      for (const slot of j[from].slots().slice(0, n)) {
        const [pfn, size] = j[from].entry(slot);
        j[from].remove(slot);
        view(cpu).freeFast(pfn, size, cpu);
      }
    },
  };
}

/** Frees the victim's first live range on CPU 1 as the pending call. */
function pendingFree(c: Ctx): number {
  const slot = c.j[VICTIM].slots()[0];
  const [pfn, size] = c.j[VICTIM].entry(slot);
  c.j[VICTIM].setPending(PENDING_FREE, [pfn, size]);
  c.j[VICTIM].remove(slot);
  c.v.freeFast(pfn, size, VICTIM);
  c.j[VICTIM].clearPending();
  return pfn;
}

const SCRIPTS: Script[] = [
  {
    // loaded and prev full, the depot full (depotMax 1): the loaded magazine is retired to the tree.
    name: "an insert that retires a full magazine", policies: ["linux-5.10", "scaled-depot"],
    build(c) { c.alloc(VICTIM, 1, 7); c.free(VICTIM, VICTIM, 6); },
    target: pendingFree,
    tookPath: (_r, d, before) => d.cacheStats().magsFreedToTree === before.magsFreedToTree + 1,
  },
  {
    // Three magazines in the depot, more than the 2 CPUs: the delayed work frees one.
    name: "the depot work freeing a magazine", policies: ["linux-6.4"],
    build(c) { c.alloc(VICTIM, 1, 11); c.free(VICTIM, VICTIM, 10); },
    target: (c) => (c.v.depotWork(0) ? 1 : 0),
    tookPath: (r) => r === 1,
  },
  {
    // A depot that stayed full through two whole intervals (interval ends at 200, 250 and 300):
    // the working-set reclaim frees its magazines. A range above them, freed to the tree,
    // lifts the tree's cached node over them: the reclaim frees only below it.
    name: "the adaptive reclaim freeing idle magazines", policies: ["adaptive"],
    build(c) {
      const lift = c.d.alloc(64, c.limit, true)!;
      c.alloc(VICTIM, 1, 11); c.free(VICTIM, VICTIM, 10);
      c.d.free(lift);
      c.d.tick(100, 50); c.d.tick(200, 50); c.d.tick(250, 50);
    },
    target: (c) => c.v.tick(300, 50),
    tookPath: (r) => r > 0,
  },
  {
    // Depots and both CPUs' caches hold magazines: the flush returns them all.
    name: "a flush of caches and depots", policies: [...POLICIES],
    build(c) { c.alloc(VICTIM, 1, 11); c.free(VICTIM, VICTIM, 10); c.alloc(0, 2, 6); c.free(0, 0, 5); },
    target: (c) => { c.v.flushAll(); return 0; },
    tookPath: (_r, d, before) => before.depotTotal > 0 && d.cacheStats().total === 0,
  },
  {
    // The space below the limit is all allocated or cached on CPU 0: CPU 1's allocation fails in the
    // tree, flushes every CPU's caches and retries.
    name: "an allocation that flushes and retries", policies: [...POLICIES], limitPfn: 64,
    build(c) { c.alloc(0, 1, 64); c.free(0, 0, 3); },
    target(c) {
      c.j[VICTIM].setPending(PENDING_ALLOC, [0, 1]);
      const p = c.v.allocFast(1, c.limit, true, VICTIM);
      if (p !== null) c.j[VICTIM].add(p, 1);
      c.j[VICTIM].clearPending();
      return p ?? 0;
    },
    tookPath: (r, d, before) => r !== 0 && before.total > 0 && d.cacheStats().cpuTotal < before.cpuTotal,
  },
];

function scriptSetup(sc: Script, policy: Policy): Ctx {
  const d = new IovaDomain(4096, 1, { cpus: 2, policy, magazineSize: 2, depotMax: 1, maxRanges: 1 << 12, hostBytes: 64 });
  const v = IovaDomain.attach(d.handle, VICTIM);
  const c = ctxOf(d, v, sc.limitPfn ?? LIMIT);
  sc.build(c);
  return c;
}

describe("a CPU stopped at every lock event of the calls that move magazines", () => {
  for (const sc of SCRIPTS) {
    for (const policy of sc.policies) {
      it(`${policy}: ${sc.name}`, () => {
        // Dry run: the path is taken; count its lock events.
        const dry = scriptSetup(sc, policy);
        const before = dry.d.cacheStats();
        dry.v.ex.armFault(dry.d.hostBase, 2 ** 31, 1);
        const r = sc.target(dry);
        const n = dry.v.ex.faultEventCount();
        dry.v.ex.armFault(dry.d.hostBase, 0, 0);
        expect(sc.tookPath(r, dry.d, before), `${sc.name}: the call takes the path`).toBe(true);
        expect(n).toBeGreaterThan(0);
        for (let k = 1; k <= n; k++) {
          const c = scriptSetup(sc, policy);
          c.v.ex.armFault(c.d.hostBase, k, 1);
          let err: unknown = null;
          try {
            sc.target(c);
          } catch (e) {
            err = e;
          }
          expect(err, `${sc.name}, lock event ${k}: stopped`).toBeInstanceOf(WebAssembly.RuntimeError);
          verdict(c.d, { d: c.d, v: c.v, journals: c.j, flagAddr: c.d.hostBase }, `${policy}, ${sc.name}, lock event ${k}`, c.limit);
        }
      });
    }
  }
});

afterAll(() => {
  console.log(`fault sweep: ${JSON.stringify(tally)}`);
});
