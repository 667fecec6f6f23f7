// The simulator's random draws come from a stream per job and kind of draw
// (assembly/sim/random.ts), seeded from the run's seed, the job and the
// kind, so that two policies on one seed see the same load: job j's n-th
// block size and n-th device latency are the same draws, and the jobs
// migrate at the same times to the same CPUs, however differently the
// policies' events go. With one shared stream in event order they did not
// (docs/adaptive-policy.md 4344876).
import { describe, expect, it } from "vitest";
import { setUpRun } from "../dist/src/sim/setup.js";
import { resolveSimOptions } from "../dist/src/sim/options.js";
import type { SimOptions } from "../dist/src/sim/engine.js";

/**
 * The fill32 load of test/sim-mechanisms (a 32-bit window that fills, where
 * the v5.10 and v6.x eras part), with migrations every 2 ms per job on
 * average: block sizes from a table, device jitter and migrations all draw.
 */
const load: SimOptions = {
  policy: "linux-5.10", cpus: 8, jobs: 8, iodepth: 16, granule: 65536, bs: "64k/90:256k/7:4m/3",
  durationMs: 40, intervalMs: 10, pciWindows: [{ start: 0x4000_0000, end: 0xffff_ffff }], completion: "other",
  costs: { deviceBaseNs: 5000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0 }, migrateMs: 2, seed: 3,
};
const KINDS = ["SIZE", "DEVICE", "KBLOCKD", "MIGRATE"] as const;
const STEP_NS = 5e6;

type Job = ReturnType<ReturnType<typeof setUpRun>["sim"]["job"]>;

/** A run of `o` in steps of STEP_NS: the jobs' records at time 0 and after each step, and its totals at the end. */
function run(o: SimOptions) {
  const r = setUpRun(resolveSimOptions(o));
  const sim = r.sim;
  const jobs = (): Job[] => Array.from({ length: o.jobs! }, (_, j) => sim.job(j));
  const snaps: Job[][] = [jobs()];
  for (let t = STEP_NS; t <= o.durationMs! * 1e6; t += STEP_NS) {
    sim.runUntil(t);
    snaps.push(jobs());
  }
  while (sim.runUntil(Infinity));
  const out = {
    snaps, ios: sim.total("ios"), drained: sim.total("drainedIos"), migrations: sim.total("migrations"),
    maps: sim.total("maps"), treeWait: sim.lock(sim.lockIndex("tree")).wait,
  };
  r.domain.destroy();
  return out;
}

const MASK = (1n << 64n) - 1n;
/** xorshift64's step, as assembly/sim/random.ts uniform: an independent copy, to follow a stream from its first state. */
function step(x: bigint): bigint {
  x ^= x >> 12n;
  x = (x ^ (x << 25n)) & MASK;
  return x ^ (x >> 27n);
}
/** How many draws take the stream from `first` to each state of `want` (throws past `limit`). */
function drawsTo(first: bigint, want: bigint[], limit = 2_000_000): number[] {
  const left = new Map<bigint, number[]>();
  want.forEach((w, i) => left.set(w, [...(left.get(w) ?? []), i]));
  const out = new Array<number>(want.length).fill(-1);
  let x = first;
  for (let n = 0; left.size > 0; n++) {
    const hit = left.get(x);
    if (hit) { for (const i of hit) out[i] = n; left.delete(x); }
    if (n > limit) throw new Error(`a state is not on the stream within ${limit} draws`);
    x = step(x);
  }
  return out;
}

describe("a random stream per job and kind of draw", () => {
  const a = run(load);
  const b = run({ ...load, policy: "linux-6.4" });

  it("is deterministic per seed, and another seed draws other streams", () => {
    const again = run(load);
    expect(JSON.stringify(again, (_, v) => (typeof v === "bigint" ? v.toString() : v))).toBe(
      JSON.stringify(a, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
    const other = run({ ...load, seed: 4 });
    for (let j = 0; j < load.jobs!; j++) for (const k of KINDS) expect(other.snaps[0]![j]!.streams[k]).not.toBe(a.snaps[0]![j]!.streams[k]);
  });

  it("gives every job and kind a stream of its own", () => {
    const first = a.snaps[0]!.flatMap((job) => KINDS.map((k) => job.streams[k]));
    expect(new Set(first).size).toBe(first.length);
    // Not merely other states of one stream: none is within a million draws of another's first state.
    const [s0, ...rest] = first;
    expect(() => drawsTo(s0!, [rest[0]!], 1_000_000)).toThrow();
  });

  it("two policies see the same load: the same migrations, and each job's draws in its streams' order", () => {
    // The runs differ: linux-5.10 keeps its fast-fail armed and takes the tree lock far more often.
    expect(a.ios).not.toBe(b.ios);
    expect(a.treeWait).not.toBe(b.treeWait);
    // Migrations are a Poisson process per job, made in time order: where each job runs, when it
    // moves next and its MIGRATE stream are the same at every step, and they did happen.
    expect(a.migrations).toBeGreaterThan(load.jobs! * 5);
    expect(b.migrations).toBe(a.migrations);
    let moved = 0;
    a.snaps.forEach((snap, i) => snap.forEach((job, j) => {
      const other = b.snaps[i]![j]!;
      expect([other.cpu, other.nextMigrationNs, other.streams.MIGRATE]).toEqual([job.cpu, job.nextMigrationNs, job.streams.MIGRATE]);
      if (i > 0 && job.cpu !== a.snaps[i - 1]![j]!.cpu) moved++;
    }));
    expect(moved).toBeGreaterThan(0);
    // Sizes and device latencies: each job's states, at every step of both runs, lie on the stream
    // that job and kind started with (the same in both runs), n draws on: no other job's or kind's
    // draw took one of them. So the n-th size of job j is the same draw under both policies.
    let differ = 0;
    for (let j = 0; j < load.jobs!; j++) {
      for (const k of ["SIZE", "DEVICE"] as const) {
        const first = a.snaps[0]![j]!.streams[k];
        expect(b.snaps[0]![j]!.streams[k]).toBe(first);
        const na = drawsTo(first, a.snaps.map((s) => s[j]!.streams[k]));
        const nb = drawsTo(first, b.snaps.map((s) => s[j]!.streams[k]));
        for (let i = 1; i < na.length; i++) expect(na[i]).toBeGreaterThanOrEqual(na[i - 1]!);
        expect(na[na.length - 1]).toBeGreaterThan(100);
        if (na[na.length - 1] !== nb[nb.length - 1]) differ++;
      }
    }
    // ... though the two runs drew different numbers of them.
    expect(differ).toBeGreaterThan(0);
  });

  it("draws one device latency per request, from its job's stream", () => {
    // Drained to the end: every request issued completed. A request of this load is one I/O.
    for (const r of [a, b]) {
      let draws = 0;
      const end = r.snaps.length - 1;
      for (let j = 0; j < load.jobs!; j++) draws += drawsTo(r.snaps[0]![j]!.streams.DEVICE, [r.snaps[end]![j]!.streams.DEVICE])[0]!;
      // At the last step (the duration) the requests in flight have drawn theirs and complete in the drain.
      expect(draws).toBe(r.ios + r.drained);
    }
  });
});
