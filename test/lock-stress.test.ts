// The shared-memory lock (assembly/lock.ts) under contention: lockedCount
// from 2 and 8 workers on one lock word must count exactly workers × iters,
// on this Node and on Node 24, also when every unlock that sees a waiter
// hands the lock over (the batch's step-aside). (On Node 20 a cmpxchg-then-wait loop without
// a spin phase was seen to miscount; the spin-then-park lock must not.)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/index.js";
import { assertDisjoint, auditBooks, treeLockOffset } from "../dist/src/workers/audit.js";
import { lockStress, spareLockArea, type LockRun } from "../dist/src/workers/lock-check.js";
import { CpuPool } from "../dist/src/workers/pool.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LOCK_CHECK = fileURLToPath(new URL("../dist/src/workers/lock-check.js", import.meta.url));

/**
 * Node 24 for the cross-version run: the official binary from the npm
 * registry package node-<platform>-<arch>@24 (about 30 MB), installed once
 * into .cache/node24 (git-ignored) by this test when absent, so `npm test`
 * alone runs the cross-check on a machine with only Node and npm.
 */
const NODE24_DIR = `${ROOT}.cache/node24`;
const NODE24_PKG = `node-${process.platform}-${process.arch}`;
const NODE24 = `${NODE24_DIR}/node_modules/${NODE24_PKG}/bin/node`;

function ensureNode24(): string {
  if (!existsSync(NODE24)) {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const r = spawnSync(npm, ["install", "--prefix", NODE24_DIR, "--no-save", "--no-audit", "--no-fund", `${NODE24_PKG}@24`], {
      encoding: "utf8", timeout: 300_000,
    });
    if (r.status !== 0 || !existsSync(NODE24)) {
      throw new Error(`could not install ${NODE24_PKG}@24 into ${NODE24_DIR} (npm exit ${r.status}): ${r.error?.message ?? ""}\n${r.stderr}`);
    }
  }
  return NODE24;
}

let pool: CpuPool | null = null;
afterEach(async () => {
  await pool?.terminateAll();
  pool = null;
});

function expectExact(r: LockRun) {
  expect(r.count, `${r.mode}, ${r.workers} workers`).toBe(r.workers * r.iters);
  expect(r.expected).toBe(r.workers * r.iters);
  expect(r.lockWord).toBe(0);
  expect(r.waiters).toBe(0);
  expect(r.ok).toBe(true);
}

describe("lockedCount on one lock word", () => {
  for (const workers of [2, 8]) {
    it(`bulk: ${workers} workers × 1,000,000 iterations inside wasm`, async () => {
      expectExact(await lockStress(workers, 1_000_000, "bulk"));
    });

    it(`interleaved: ${workers} workers × 200,000 single-iteration calls`, async () => {
      const r = await lockStress(workers, 200_000, "interleaved");
      expectExact(r);
      // 8 workers on 2 cores are time-sliced: the lock certainly changed hands.
      if (workers === 8) expect(r.interleaves).toBeGreaterThan(0);
    });
  }

  // The hand-over (assembly/lock.ts, batch.ts's step-aside) under contention: every unlock that sees a waiter hands
  // the word over, and the giver waits until a waiter held it. This proves exclusion and clean books with hand-overs
  // possible, not that one happened (a run whose waiters never parked hands over 0 times).
  for (const [workers, iters] of [[2, 200_000], [8, 100_000]] as const) {
    it(`handover: ${workers} workers × ${iters.toLocaleString("en")} single-iteration calls releasing with the hand-over when a waiter is announced`, async () => {
      const r = await lockStress(workers, iters, "handover");
      expectExact(r);
      console.log(`handover ${workers} workers x ${iters}: ${r.ms} ms, ${r.interleaves} hand-overs`);
      // How many unlocks handed over depends on whether waiters got to park (most runs: 10^5; one loaded run: 0), so
      // the count is printed, not checked (test/lock-handover.test.ts's probe parks without spinning and so always
      // meets the hand-over, and its stale-count run must hand over); its only bounds (a whole number, at most one
      // per unlock) hold by construction, so no assertion here could fail on them.
    }, 120_000);
  }

  // With a waiter announced for the whole run (the host's count, lock-check.ts's `announced`), every unlock that sees it
  // hands over: the count printed above may be 0, this one may not.
  it("handover: 2 workers × 20,000 calls with a waiter announced throughout: unlocks hand over, exact count, clean word", async () => {
    const r = await lockStress(2, 20_000, "handover", { announced: true });
    expectExact(r);
    console.log(`handover with a waiter announced, 2 workers x 20000: ${r.ms} ms, ${r.interleaves} hand-overs`);
    expect(r.interleaves).toBeGreaterThan(0);
  }, 120_000);

  it("the test lock area lies outside every domain region", () => {
    const d = new IovaDomain(4096, 1, { cpus: 3, maxRanges: 100 });
    const a = spareLockArea(d, 2);
    // Scratch slots lie below the domain, which comes last so that its slab can grow.
    expect(a.lockAddr + 128).toBeLessThanOrEqual(d.base);
    expect(a.counterAddr + 4).toBeLessThanOrEqual(d.memory.buffer.byteLength);
    expect(() => spareLockArea(d, 3)).toThrow();
  });

  it("the tree lock shared by lockedCount and real tree traffic: exact count, books balance", async () => {
    // CPUs 0-1 count under the domain's tree lock; CPUs 2-3 allocate and free
    // (sizes 33..64 always go to the tree); CPU 4 is the spare holding the counter.
    const domain = new IovaDomain(4096, 1, { cpus: 5, policy: "linux-6.4", maxRanges: 1 << 16 });
    const area = spareLockArea(domain, 4);
    pool = await CpuPool.start(domain, { workers: 4 });
    const iters = 300_000;
    const rs = await pool.all((cpu) => cpu < 2
      ? { kind: "lockedCount" as const, lockAddr: domain.base + treeLockOffset(domain), counterAddr: area.counterAddr, iters }
      : { kind: "workload" as const, spec: { seed: cpu, ops: 60_000, sizes: [1, 64] as [number, number], limits: [2 ** 20 - 1] } },
    { gate: true });
    const counter = new Uint32Array(domain.memory.buffer)[area.counterAddr >>> 2];
    expect(counter).toBe(2 * iters);
    const live = rs.slice(2).flatMap((r) => (r as { live: number[] }).live);
    assertDisjoint(live);
    auditBooks(domain, live);
    await pool.close();
    pool = null;
  });
});

interface CheckOut {
  node: string;
  ok: boolean;
  lock: LockRun[];
  workload: { ok: boolean };
  deadHolder: { hostMs: number; workerMs: number; ok: boolean };
  error?: string;
}

/** Runs lock-check.js with `node` (and V8 flags); asserts every check and returns the report. */
function runCheck(node: string, flags: string[] = []): CheckOut {
  const args = [...flags, LOCK_CHECK, "--workers", "2,8", "--iters", "400000", "--workload", "--dead-holder"];
  const r = spawnSync(node, args, { encoding: "utf8", timeout: 240_000 });
  expect(r.error, "timed out: a waiter hung?").toBeUndefined();
  expect(r.stderr).toBe("");
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as CheckOut;
  expect(out.error).toBeUndefined();
  expect(out.lock.map((x) => `${x.mode}/${x.workers}`)).toEqual(["bulk/2", "bulk/8", "interleaved/2", "interleaved/8", "handover/2", "handover/8"]);
  for (const x of out.lock) expectExact(x);
  expect(out.workload.ok).toBe(true);
  // A dead holder is reported after ~200 ms (100 parks of 2 ms), not waited on forever.
  expect(out.deadHolder.ok).toBe(true);
  expect(out.deadHolder.hostMs).toBeLessThan(10_000);
  expect(out.deadHolder.workerMs).toBeLessThan(10_000);
  expect(out.ok).toBe(true);
  expect(r.status).toBe(0);
  return out;
}

describe("Node 24", () => {
  it("lock-check.js under Node 24: exact counts (bulk, interleaved and handover, 2 and 8 workers), audited workload, dead holder reported", () => {
    const out = runCheck(ensureNode24());
    expect(out.node).toMatch(/^v24\./);
  }, 400_000);
});

describe("this Node, each wasm tier", () => {
  // Node 20's baseline compiler (Liftoff) once lost the lock's park counter
  // across memory.atomic.wait32, so a dead holder was never reported: run
  // the checks with the baseline tier only and with the optimising tier only.
  for (const flags of [[], ["--liftoff-only"], ["--no-liftoff"]]) {
    it(`lock-check.js ${flags.join(" ") || "(default tiering)"}`, () => {
      expect(runCheck(process.execPath, flags).node).toBe(process.version);
    }, 300_000);
  }
});
