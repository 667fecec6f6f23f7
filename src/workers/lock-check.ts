// Lock stress, runnable under any Node (the test runs it under Node 24 too):
//
//   node dist/src/workers/lock-check.js [--workers 2,8] [--iters 100000] [--workload] [--dead-holder]
//
// Three modes per worker count: "bulk" (one lockedCount(iters) call per
// worker, the loop inside wasm), "interleaved" (iters / 2 calls of one
// iteration each, via the lock-probe.ts run module, which also counts how
// often another worker got the lock in between: proof of contention) and
// "handover" (iters / 4 calls of one iteration whose unlock hands the lock
// over whenever a waiter is announced, assembly/lock.ts).
// For each worker count W: a domain with W + 1 CPUs; workers 0..W-1 each
// take one lock word W × iters times (lockedCount: lock, bump a plain
// non-atomic counter, unlock). The lock word and the counter live in the
// scratch slot of CPU W, which no worker attaches as, so nothing else
// touches them and they lie outside every domain region. The final count
// must be exactly W × iters. With --dead-holder, a lock word held by a dead
// CPU must make the host and a worker fail with LockHolderDeadError (about
// 200 ms since 2b82a37: a waiter checks the holder's liveness every 100 parks)
// rather than hang. With --workload, also a short 4-worker
// allocFast/freeFast run with cross-CPU frees and a full audit.
// Prints one JSON line; exit code 0 when every check held.
import { fileURLToPath } from "node:url";
import { IovaDomain, SCRATCH_BYTES } from "../domain/iova-domain.js";
import { LockHolderDeadError } from "../errors.js";
import { codes } from "../wasm/codes.js";
import { assertDisjoint, auditBooks } from "./audit.js";
import { CpuPool } from "./pool.js";
import { Mailboxes } from "./workload.js";

const PROBE = new URL("./lock-probe.js", import.meta.url).href;

export interface LockArea {
  /** Byte address of the lock word (the next word is its waiter count). */
  lockAddr: number;
  /** Byte address of the u32 counter (its own cache line). */
  counterAddr: number;
}

/**
 * A lock word and a counter for lock tests: in the scratch slot of CPU
 * `spareCpu`, a CPU of the domain that no worker attaches as. Checks that
 * the spot lies outside the domain's regions and inside the memory, and zeroes it.
 */
export function spareLockArea(domain: IovaDomain, spareCpu: number): LockArea {
  const scratchBase = domain.handle.scratchBase;
  const lockAddr = scratchBase + spareCpu * SCRATCH_BYTES;
  const counterAddr = lockAddr + 64;
  const domainEnd = domain.base + domain.ex.domainStat(domain.base, codes().Stat.totalBytes);
  if (lockAddr + 128 > domain.base && lockAddr < domainEnd) {
    throw new Error(`lock area ${lockAddr} overlaps the domain [${domain.base}, ${domainEnd})`);
  }
  if (counterAddr + 4 > domain.memory.buffer.byteLength) throw new Error("lock area lies past the memory");
  if (spareCpu >= domain.cpus) throw new Error(`CPU ${spareCpu} is not a CPU of the domain (${domain.cpus})`);
  const u32 = new Uint32Array(domain.memory.buffer, lockAddr, 32);
  u32.fill(0);
  return { lockAddr, counterAddr };
}

export interface LockRun {
  workers: number;
  iters: number;
  count: number;
  expected: number;
  /** Lock word and waiter count after the run: both must be 0. */
  lockWord: number;
  waiters: number;
  ms: number;
  /**
   * "bulk": one lockedCount(iters) call per worker; "interleaved": iters calls of one iteration each;
   * "handover": iters single-iteration lockedCountHandingOver calls (each unlock hands over to an announced waiter).
   */
  mode: "bulk" | "interleaved" | "handover";
  /** interleaved mode: times another CPU took the lock between two of a worker's iterations; handover mode: unlocks that handed over. */
  interleaves?: number;
  ok: boolean;
}

/** lockedCount from `workers` workers on one lock word; see the top of this file. */
/**
 * `announced`: the host counts one waiter of its own in the lock's waiters
 * word for the whole run (raised before the workers start, lowered after),
 * as a waiter parked throughout would be; in "handover" mode every unlock
 * that sees it hands over, so the run's hand-over count cannot be 0 unless
 * the hand-over never happens.
 */
export async function lockStress(workers: number, iters: number, mode: LockRun["mode"] = "bulk", opts: { announced?: boolean } = {}): Promise<LockRun> {
  const domain = new IovaDomain(4096, 1, { cpus: workers + 1, policy: "linux-6.4", maxRanges: 64 });
  const area = spareLockArea(domain, workers);
  const pool = await CpuPool.start(domain, { workers });
  const waitersWord = new Uint32Array(domain.memory.buffer, area.lockAddr + 4, 1);
  try {
    // One announcement: count 1, generation bumped (assembly/lock.ts's announce).
    if (opts.announced) Atomics.add(waitersWord, 0, 1 + 0x10000);
    const t0 = performance.now();
    let interleaves: number | undefined;
    if (mode === "bulk") {
      await pool.all(() => ({ kind: "lockedCount", lockAddr: area.lockAddr, counterAddr: area.counterAddr, iters }), { gate: true });
    } else if (mode === "handover") {
      const args = { lockAddr: area.lockAddr, counterAddr: area.counterAddr, iters };
      const rs = await pool.all(() => ({ kind: "run", module: PROBE, fn: "handingOver", args }), { gate: true });
      interleaves = (rs as { interleaves: number }[]).reduce((a, r) => a + r.interleaves, 0);
    } else {
      const args = { lockAddr: area.lockAddr, counterAddr: area.counterAddr, iters };
      const rs = await pool.all(() => ({ kind: "run", module: PROBE, fn: "interleaved", args }), { gate: true });
      interleaves = (rs as { interleaves: number }[]).reduce((a, r) => a + r.interleaves, 0);
    }
    const ms = performance.now() - t0;
    if (opts.announced) {
      // The host's waiter leaves. The last unlock may have handed the word over to it (HANDOFF | giver, free for
      // anyone but the giver): it takes that word and releases it, as a waiter would.
      const word = new Uint32Array(domain.memory.buffer, area.lockAddr, 1);
      const v = Atomics.load(word, 0);
      if ((v & 0x80000000) !== 0) Atomics.compareExchange(word, 0, v, 0);
      Atomics.sub(waitersWord, 0, 1);
    }
    const u32 = new Uint32Array(domain.memory.buffer);
    const count = Atomics.load(u32, area.counterAddr >>> 2);
    const lockWord = Atomics.load(u32, area.lockAddr >>> 2);
    const waiters = Atomics.load(u32, (area.lockAddr >>> 2) + 1) & 0xffff;  // the count; the high half is its generation (assembly/lock.ts)
    const expected = workers * iters;
    return { workers, iters, count, expected, lockWord, waiters, ms: Math.round(ms), mode, interleaves, ok: count === expected && lockWord === 0 && waiters === 0 };
  } finally {
    await pool.close();
  }
}

/** A short multi-worker allocFast/freeFast run with cross-CPU frees, audited. Throws on any mismatch. */
export async function workloadCheck(workers = 4, ops = 50_000): Promise<{ workers: number; ops: number; ranges: number; ok: true }> {
  const domain = new IovaDomain(4096, 1, { cpus: workers, policy: "linux-6.4", maxRanges: 1 << 17, magazineSize: 8 });
  const pool = await CpuPool.start(domain);
  try {
    const cap = 128;
    const ring = Mailboxes.create(workers, cap);
    const rs = await pool.all((cpu) => ({
      kind: "workload",
      spec: { seed: 7 + cpu, ops, limits: [2 ** 20 - 1, 2 ** 32 - 1], phase: 2000, allocBias: 0.75, maxLive: 500,
        mailbox: Mailboxes.spec(ring, workers, cap, cpu, 0.25) },
    }), { gate: true });
    const live = [...rs.flatMap((r) => r.live), ...Mailboxes.pending(ring, workers, cap)];
    assertDisjoint(live);
    const books = auditBooks(domain, live);
    const cs = domain.cacheStats();
    const calls = rs.reduce((a, r) => a + r.cachedAllocCalls, 0);
    if (cs.hits + cs.misses !== calls) throw new Error(`hits + misses ${cs.hits + cs.misses} != cached alloc calls ${calls}`);
    const perCpu = rs.map((r) => [...r.live]);
    Mailboxes.drainAll(ring, workers, cap).forEach((x, k) => perCpu[(k + 1) % workers].push(...x));
    await pool.all((cpu) => ({ kind: "freeRanges", ranges: perCpu[cpu] }));
    domain.flushAll();
    if (domain.stats().ranges !== 0) throw new Error(`${domain.stats().ranges} ranges left after freeing everything`);
    domain.check();
    return { workers, ops, ranges: books.treeRanges, ok: true };
  } finally {
    await pool.close();
  }
}

export interface DeadHolderRun {
  /** ms until the host's lockedCount gave up with LockHolderDeadError. */
  hostMs: number;
  /** ms until a worker's lockedCount did. */
  workerMs: number;
  ok: boolean;
}

/**
 * A lock word held by CPU 2, whose worker is gone (it never attached, so its
 * alive flag is 0): the host and a worker (CPU 1) must each get
 * LockHolderDeadError(2) after about 200 ms instead of waiting forever.
 */
export async function deadHolderCheck(): Promise<DeadHolderRun> {
  const domain = new IovaDomain(4096, 1, { cpus: 4, policy: "linux-6.4", maxRanges: 64 });
  const area = spareLockArea(domain, 3);
  const u32 = new Uint32Array(domain.memory.buffer);
  Atomics.store(u32, area.lockAddr >>> 2, 3);   // holder id 3 = CPU 2
  domain.setCpuAlive(2, false);
  const isDead = (e: unknown) => e instanceof LockHolderDeadError && e.holderCpu === 2;
  let t = performance.now();
  let hostOk = false;
  try {
    domain.ex.lockedCount(domain.base, area.lockAddr, area.counterAddr, 1);
  } catch (e) {
    const h = domain.ex.deadHolder.value as number;
    hostOk = isDead(h !== 0 ? new LockHolderDeadError(h - 1) : e);
  }
  const hostMs = Math.round(performance.now() - t);
  const pool = await CpuPool.start(domain, { workers: 2 });
  try {
    t = performance.now();
    const err = await pool.send(1, { kind: "lockedCount", lockAddr: area.lockAddr, counterAddr: area.counterAddr, iters: 1 }).then(() => null, (e) => e);
    const workerMs = Math.round(performance.now() - t);
    return { hostMs, workerMs, ok: hostOk && isDead(err) && Atomics.load(u32, area.counterAddr >>> 2) === 0 };
  } finally {
    await pool.terminateAll();
  }
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  const counts = arg("--workers", "2,8").split(",").map(Number);
  const iters = Number(arg("--iters", "100000"));
  const out: { node: string; ok: boolean; lock: LockRun[]; workload?: unknown; deadHolder?: DeadHolderRun; error?: string } = { node: process.version, ok: true, lock: [] };
  try {
    for (const mode of ["bulk", "interleaved", "handover"] as const) {
      for (const w of counts) {
        const r = await lockStress(w, mode === "bulk" ? iters : Math.ceil(iters / (mode === "handover" ? 4 : 2)), mode);
        out.lock.push(r);
        out.ok &&= r.ok;
      }
    }
    if (argv.includes("--workload")) out.workload = await workloadCheck();
    if (argv.includes("--dead-holder")) {
      const r = await deadHolderCheck();
      out.deadHolder = r;
      out.ok &&= r.ok;
    }
  } catch (e) {
    out.ok = false;
    out.error = (e as Error).stack ?? String(e);
  }
  console.log(JSON.stringify(out));
  return out.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
