// The fault suite: a worker terminated at a seeded point inside every API
// that takes a lock (tree alloc/free, allocFast/freeFast, the batches,
// flushAll, freeCpuCached, the policy clock and depot work, SharedArena
// alloc/free/trim with reclaimWorker), while another worker keeps using
// the same domain. Every case must end within a bounded time, either
//  - with exact books: every range in the tree is live in exactly one
//    worker's journal, cached in exactly one magazine, or one of the ranges
//    of the call the dead worker was inside (settled against the tree), and
//    after freeing them all the tree is empty and sound; or
//  - with LockHolderDeadError naming the dead CPU, everywhere an error shows
//    (its CPU-dead path, the survivors, the next host call), and nothing
//    handed out twice before it.
//
// Where the kill lands: in the debug build (IOVA_WASM=debug) a worker can be
// armed to park at the k-th lock event of one invocation of one operation
// (assembly/fault.ts): an acquisition parks it inside the critical section,
// a release parks it just after (between two steps of the operation). The
// host sees it parked, then terminate()s it. So a case is named by its seed,
// its operation and k, and the kill lands where the case says. A kill
// inside a lock must give LockHolderDeadError; a kill between critical
// sections must give exact books. Unarmed cases terminate the worker after
// a seeded delay, wherever it is (in wasm or JS): either outcome is allowed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { IovaDomain, LockHolderDeadError, POLICIES, SharedArena } from "../dist/src/index.js";
import { SCRATCH_BYTES } from "../dist/src/domain/iova-domain.js";
import { assertDisjoint, auditBooks } from "../dist/src/workers/audit.js";
import { FAULT_OPS, Journal, type FaultOp, type FaultRunSpec } from "../dist/src/workers/fault-driver.js";
import { arenaEntries, settleBooks, type EntryMap } from "../dist/src/workers/fault-books.js";
import { CpuPool, WorkerExitedError } from "../dist/src/workers/pool.js";
import { splitmix32 } from "../dist/src/util/splitmix32.js";
import { within } from "./helpers/within.js";

// The debug build has the fault points; the module is loaded lazily, at the first domain.
process.env.IOVA_WASM = "debug";

const DRIVER = fileURLToPath(new URL("../dist/src/workers/fault-driver.js", import.meta.url));
/**
 * A SharedArena worker: attaches as worker `index`, runs the fault loop on
 * its view and posts the result or the error it ended with. Plain
 * worker_threads, no CpuPool: this is how an arena's user runs workers, and
 * a dead one is reclaimed with reclaimWorker.
 */
const ARENA_WORKER = `
  const { parentPort, workerData } = require("node:worker_threads");
  (async () => {
    const { SharedArena, LockHolderDeadError } = await import(${JSON.stringify(new URL("../dist/src/index.js", import.meta.url).href)});
    const { arenaFaultRun } = await import(${JSON.stringify(new URL("../dist/src/workers/fault-driver.js", import.meta.url).href)});
    const arena = SharedArena.attach(workerData.handle, workerData.index);
    try {
      const result = arenaFaultRun(arena, workerData.spec);
      arena.close();
      parentPort.postMessage({ type: "done", result });
    } catch (e) {
      parentPort.postMessage({ type: "error", name: e.name, message: e.message,
        holderCpu: e instanceof LockHolderDeadError ? e.holderCpu : undefined });
    }
  })();`;
const LIMIT = 2 ** 20 - 1;
const WORKERS = 2;
const VICTIM = 1;
const CAPACITY = 256;
const SURVIVOR_OPS = 800;
/** No case may take longer than this to park, die, or finish: a hang fails the case instead of the run. */
const BOUND_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** Where a parked worker is: assembly/fault.ts's three words at flagAddr. */
interface Parked { inside: boolean; lockAddr: number; held: number }

async function parked(memory: WebAssembly.Memory, flagAddr: number, what: string): Promise<Parked> {
  const until = Date.now() + BOUND_MS;
  for (;;) {
    const w = new Int32Array(memory.buffer, flagAddr, 3);
    const state = Atomics.load(w, 0);
    if (state !== 0) return { inside: state === 1, lockAddr: w[1] >>> 0, held: w[2] };
    if (Date.now() > until) throw new Error(`${what}: the victim never reached its fault point`);
    await sleep(1);
  }
}

interface Arm { op: FaultOp; event: number; skip: number }
interface Case { name: string; policy: (typeof POLICIES)[number]; seed: number; mix: FaultOp[]; arm?: Arm; delayMs?: number }

/** What each case ended with, for the summary printed at the end. */
const tally = { cases: 0, exact: 0, lockHolderDead: 0, inside: 0, between: 0, timed: 0, settledPending: 0 };

function specFor(c: Case, cpu: number, j: Journal, flagAddr: number, victim: boolean, sizes: [number, number]): FaultRunSpec {
  return {
    seed: (c.seed * 7919 + cpu) >>> 0, ops: victim ? 1_000_000 : SURVIVOR_OPS, journal: j.sab, capacity: CAPACITY,
    mix: victim ? c.mix : [...FAULT_OPS], sizes, maxLive: 48, limitPfn: LIMIT,
    arm: victim && c.arm ? { ...c.arm, flagAddr } : undefined, deadlineMs: Date.now() + BOUND_MS,
  };
}

/**
 * The outcome of a case once the victim is dead and the survivors stopped:
 * LockHolderDeadError naming the victim everywhere, or exact books.
 */
function judge(d: IovaDomain, c: Case, where: Parked | null, errors: unknown[], journals: Journal[], map?: EntryMap): "exact" | "dead" {
  tally.cases++;
  if (where) tally[where.held > 0 ? "inside" : "between"]++;
  else tally.timed++;
  // Whatever happened, nothing was handed out twice before it.
  assertDisjoint(journals.flatMap((j) => {
    const l = j.live();
    if (!map) return l;
    const out: number[] = [];
    for (let i = 0; i < l.length; i += 2) out.push(...map(l[i], l[i + 1]));
    return out;
  }));
  if (where) expect(d.poisonedBy, `${c.name}: parked ${where.inside ? "inside" : "after"} a lock, holding ${where.held}`).toBe(where.held > 0 ? VICTIM : null);
  if (d.poisonedBy !== null) {
    expect(d.poisonedBy).toBe(VICTIM);
    for (const e of errors) {
      expect(e, String(e)).toBeInstanceOf(LockHolderDeadError);
      expect((e as LockHolderDeadError).holderCpu).toBe(VICTIM);
    }
    // The next call that needs a lock says so at once.
    const t0 = Date.now();
    expect(() => d.find(d.startPfn)).toThrow(LockHolderDeadError);
    expect(() => d.flushAll()).toThrow(LockHolderDeadError);
    expect(Date.now() - t0).toBeLessThan(1000);
    tally.lockHolderDead++;
    return "dead";
  }
  expect(errors, `${c.name}: no lock was held, so nothing may fail`).toEqual([]);
  const s = settleBooks(d, journals.map((journal, i) => ({ journal, dead: i === VICTIM })), map);
  expect(s.problems, c.name).toEqual([]);
  if (s.settled.length > 0) tally.settledPending++;
  auditBooks(d, s.live);
  for (let i = 0; i < s.live.length; i += 2) expect(d.free(s.live[i]), `pfn ${s.live[i]}`).toBe(true);
  d.flushAll();
  expect(d.stats().ranges).toBe(0);
  d.check();
  tally.exact++;
  return "exact";
}

let pool: CpuPool | null = null;
afterEach(async () => {
  await pool?.terminateAll();
  pool = null;
});

async function poolCase(c: Case): Promise<void> {
  const d = new IovaDomain(4096, 1, { cpus: WORKERS, policy: c.policy, magazineSize: 4, depotMax: 2, maxRanges: 1 << 14, hostBytes: 64 });
  expect(d.ex.armFault(0, 0, 0), "the debug build is loaded").toBe(1);
  pool = await CpuPool.start(d);
  const journals = Array.from({ length: WORKERS }, () => Journal.create(CAPACITY));
  const flagAddr = d.hostBase;
  const runs = pool.allSettled((cpu) => ({
    kind: "run" as const, module: DRIVER, fn: "faultRun",
    args: specFor(c, cpu, journals[cpu], flagAddr, cpu === VICTIM, [1, 64]),
  }), { gate: true });
  let where: Parked | null = null;
  if (c.arm) where = await parked(d.memory, flagAddr, c.name);
  else await sleep(c.delayMs!);
  if (where) expect(journals[VICTIM].op(), "parked in the armed operation").toBe(c.arm!.op);
  const death = await within(pool.kill(VICTIM, { now: true }), BOUND_MS, `${c.name}: the kill`);
  const settled = await within(runs, BOUND_MS, `${c.name}: the survivors`);
  const errors: unknown[] = death.cpuDeadPathError ? [death.cpuDeadPathError] : [];
  settled.forEach((s, cpu) => {
    if (cpu === VICTIM) {
      // Killed mid-run, unless an unarmed victim's short delay outlived it (it cannot: a million ops).
      expect(s.status).toBe("rejected");
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(WorkerExitedError);
    } else if (s.status === "rejected") errors.push(s.reason);
  });
  judge(d, c, where, errors, journals);
  await within(pool.close(), BOUND_MS, `${c.name}: close`);
  pool = null;
}

const GROUPS: { mix: FaultOp[]; targets: FaultOp[] }[] = [
  { mix: ["alloc", "free", "allocFast", "freeFast"], targets: ["alloc", "free"] },
  { mix: ["allocFast", "freeFast"], targets: ["allocFast", "freeFast"] },
  { mix: ["allocFastBatch", "freeFastBatch", "allocFast", "freeFast"], targets: ["allocFastBatch", "freeFastBatch"] },
  { mix: ["allocFast", "freeFast", "flushAll", "freeCpuCached"], targets: ["flushAll", "freeCpuCached"] },
  { mix: ["allocFast", "freeFast", "tick", "depotWork"], targets: ["tick", "depotWork"] },
];

/** Each lock-taking operation as the place of the kill, under two policies each (the sweep covers every policy). */
function armedCases(seed: number): Case[] {
  const rnd = splitmix32(seed);
  const cases: Case[] = [];
  GROUPS.forEach((g, gi) => {
    g.targets.forEach((op, ti) => {
      const i = 2 * gi + ti;
      // The clock runs policy work (and takes locks) only under linux-6.4 and adaptive.
      const policies = op === "tick" ? (["linux-6.4", "adaptive"] as const) : [POLICIES[i % POLICIES.length], POLICIES[(i + 2) % POLICIES.length]];
      for (const policy of policies) {
        const s = rnd();
        const arm = { op, event: 1 + (s % 12), skip: (s >>> 8) % 150 };
        cases.push({ name: `${policy}: ${op}, lock event ${arm.event} after ${arm.skip} ops (seed ${s})`, policy, seed: s, mix: g.mix, arm });
      }
    });
  });
  return cases;
}

function timedCases(seed: number, n: number): Case[] {
  const rnd = splitmix32(seed);
  return Array.from({ length: n }, (_, i) => {
    const policy = POLICIES[i % POLICIES.length];
    const s = rnd();
    const delayMs = 1 + (s % 40);
    return { name: `${policy}: terminated after ${delayMs} ms (seed ${s})`, policy, seed: s, mix: [...FAULT_OPS], delayMs };
  });
}

describe("a CPU worker terminated inside every lock-taking call (CpuPool)", () => {
  for (const c of armedCases(0xfa17)) it(c.name, () => poolCase(c));
  for (const c of timedCases(0x7173, 5)) it(c.name, () => poolCase(c));
});

// ---- The host blocked in a synchronous call on the dead worker's lock

const DIST = fileURLToPath(new URL("../dist/src/", import.meta.url));

describe("the host inside a synchronous call when the lock holder is killed", () => {
  it("kill({ now: true }) marks the CPU dead first, so the blocked host gets LockHolderDeadError instead of hanging", () => {
    // In a child process: before the fix this hung forever, and a blocked
    // main thread cannot be interrupted by the test's own timeout. The host
    // parks a worker inside the tree lock, starts the kill without awaiting
    // it and calls alloc(): the worker's exit event, which used to be the
    // only thing marking the CPU dead, cannot run while the host waits.
    const script = `
      process.env.IOVA_WASM = "debug";
      const { IovaDomain } = await import(${JSON.stringify(DIST + "index.js")});
      const { CpuPool } = await import(${JSON.stringify(DIST + "workers/pool.js")});
      const { Journal } = await import(${JSON.stringify(DIST + "workers/fault-driver.js")});
      const d = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4", hostBytes: 64 });
      const pool = await CpuPool.start(d);
      const j = Journal.create(64);
      const run = pool.send(1, { kind: "run", module: ${JSON.stringify(DRIVER)}, fn: "faultRun", args: {
        seed: 1, ops: 1000, journal: j.sab, capacity: 64, mix: ["alloc"], sizes: [33, 40], maxLive: 10, limitPfn: ${LIMIT},
        arm: { op: "alloc", event: 1, skip: 3, flagAddr: d.hostBase } } }).catch((e) => e);
      while (Atomics.load(new Int32Array(d.memory.buffer, d.hostBase, 1), 0) === 0) await new Promise((r) => setTimeout(r, 1));
      void pool.kill(1, { now: true });
      const t0 = Date.now();
      let out;
      try { d.alloc(40, ${LIMIT}); out = "no error"; } catch (e) { out = e.name + " " + e.holderCpu; }
      console.log(JSON.stringify({ out, ms: Date.now() - t0 }));
      await run;
      process.exit(0);`;
    const file = join(mkdtempSync(join(tmpdir(), "iova-faults-")), "host-blocked.mjs");
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 60_000 });
    expect(r.error, "the host hung").toBeUndefined();
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { out: string; ms: number };
    expect(out.out).toBe("LockHolderDeadError 1");
    expect(out.ms).toBeLessThan(15_000);
  }, 90_000);
});

// ---- SharedArena: plain workers, a dead one reclaimed with reclaimWorker

const UNIT = 64;

async function arenaCase(c: Case): Promise<void> {
  const arena = SharedArena.create({ bytes: UNIT * (1 << 14), unit: UNIT, workers: WORKERS, policy: c.policy });
  const d = arena.domain;
  expect(d.ex.armFault(0, 0, 0), "the debug build is loaded").toBe(1);
  // The victim's fault words: the end of its own scratch slot, which arena calls never use.
  const flagAddr = d.handle.scratchBase + (VICTIM + 1) * SCRATCH_BYTES - 16;
  const journals = Array.from({ length: WORKERS }, () => Journal.create(CAPACITY));
  const workers: Worker[] = [];
  const ends: Promise<{ type: string; name?: string; holderCpu?: number; message?: string }>[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const spec = specFor(c, i, journals[i], flagAddr, i === VICTIM, [1, 40 * UNIT]);
    spec.mix = spec.mix.filter((op) => op === "allocFast" || op === "freeFast" || op === "flushAll");
    const w = new Worker(ARENA_WORKER, { eval: true, workerData: { handle: arena.handle, index: i, spec } });
    workers.push(w);
    ends.push(new Promise((res) => {
      w.once("message", res);
      w.once("error", (e) => res({ type: "crash", message: e.message }));
      w.once("exit", (code) => res({ type: "exit", message: `exit ${code}` }));
    }));
  }
  try {
    let where: Parked | null = null;
    if (c.arm) where = await parked(d.memory, flagAddr, c.name);
    else await sleep(c.delayMs!);
    await within(workers[VICTIM].terminate(), BOUND_MS, `${c.name}: terminate`);
    // The documented recovery: reclaim the dead worker's index from another view.
    const errors: unknown[] = [];
    try {
      arena.reclaimWorker(VICTIM);
    } catch (e) {
      errors.push(e);
    }
    const outs = await within(Promise.all(ends), BOUND_MS, `${c.name}: the survivors`);
    outs.forEach((o, i) => {
      if (i === VICTIM) return;
      if (o.type === "done") return;
      errors.push(o.name === "LockHolderDeadError" ? new LockHolderDeadError(o.holderCpu!) : new Error(`worker ${i}: ${o.type} ${o.name}: ${o.message}`));
    });
    const verdict = judge(d, c, where, errors, journals, arenaEntries(UNIT, arena.basePfn));
    if (verdict === "exact") {
      // The reclaimed index can be attached again.
      const again = SharedArena.attach(arena.handle, VICTIM);
      again.close();
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function arenaCases(seed: number): Case[] {
  const rnd = splitmix32(seed);
  const cases: Case[] = [];
  const policies = ["linux-5.10", "linux-6.4", "adaptive", "cpu-flush"] as const;
  (["allocFast", "freeFast", "flushAll"] as const).forEach((op, i) => {
    for (const policy of [policies[i % 4], policies[(i + 1) % 4]]) {
      const s = rnd();
      const arm = { op, event: 1 + (s % 12), skip: (s >>> 8) % 150 };
      const what = op === "allocFast" ? "alloc" : op === "freeFast" ? "free" : "trim";
      cases.push({ name: `${policy}: ${what}, lock event ${arm.event} after ${arm.skip} ops (seed ${s})`, policy, seed: s, mix: ["allocFast", "freeFast", "flushAll"], arm });
    }
  });
  for (const [i, policy] of (["linux-5.10", "adaptive"] as const).entries()) {
    const s = rnd();
    cases.push({ name: `${policy}: terminated after ${1 + (s % 40)} ms (seed ${s}, ${i})`, policy, seed: s, mix: ["allocFast", "freeFast", "flushAll"], delayMs: 1 + (s % 40) });
  }
  return cases;
}

describe("a SharedArena worker terminated inside alloc, free and trim, then reclaimWorker", () => {
  for (const c of arenaCases(0xa7e4a)) it(c.name, () => arenaCase(c));
});

afterAll(() => {
  // The figures the README's promise section and the note quote.
  console.log(`fault suite: ${JSON.stringify(tally)}`);
});
