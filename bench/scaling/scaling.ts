// Scaling of the fast path across worker threads: aggregate allocFast +
// freeFast pairs per second with 1, 2, 4, 8 and 16 workers over one domain.
//
//   node dist/bench/scaling/scaling.js [--ms 2000] [--policy linux-6.4] [--size 1] [--workers 1,2,4,8,16] [--round-ms <--ms>] [--rounds 4] [--strict]
//
// Each point gets a fresh domain with as many CPUs as workers and a
// CpuPool. Every worker loops fastLoop (allocFast+freeFast pairs inside wasm,
// `chunk` pairs per call) on its own CPU; all start at one gate and stop at
// the same deadline, so the aggregate is sum(pairs) / wall time. A short
// warm-up run first lets the JIT tier up and fills the CPUs' magazines.
//
// Expectations on a machine with C cores: the per-CPU magazines share
// nothing on this path, so 2 workers reach close to 2x of 1 when C >= 2;
// beyond C workers the OS time-slices them and the aggregate should stay
// flat (a preempted worker holds only its own CPU's lock, nobody waits on it).
// The checks: 2 vs 1 >= 1.6x, 16 vs 2 >= 0.8x.
//
// 16 vs 2 is judged on repeated rounds, not on the sweep's two points alone:
// the sweep measures 16 workers about 8 s after 2, and on this shared 2-core
// host the on-CPU speed of an unchanged loop drifts by up to 2x over seconds
// (README "Performance"). Run F read 0.56x with cpu/wall 1.99 at both points
// (4 and 8 workers were already down to 1.35x and 1.28x of one); runs C, D,
// E and E2 read 1.04x, 0.94x, 1.07x and 1.43x. So after the sweep, `rounds`
// rounds each measure 2 and 16 workers back to back (alternating which goes
// first), and the ratio is the median of the sweep's and the rounds' ratios.
// Each round also gives pairs per CPU-second (process CPU time), which does
// not depend on how much of the 2 cores other processes left us, and the
// context switches of the point (getrusage, every thread of the process): a
// worker that parks on a lock shows as voluntary switches, preemption as
// involuntary ones.
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { IovaDomain } from "../../src/domain/iova-domain.js";
import type { DepotPolicy } from "../../src/domain/policy.js";
import { CpuPool } from "../../src/workers/pool.js";
import { median } from "../clock.js";

export interface ScalingOptions {
  workers?: number[];
  /** Measured wall time per point. Default 2000 ms. */
  durationMs?: number;
  /** Warm-up per point (not measured). Default 300 ms. */
  warmupMs?: number;
  policy?: DepotPolicy;
  /** Pages per allocation. Default 1. */
  size?: number;
  limitPfn?: number;
  /** Pairs per fastLoop call. Default 2048. */
  chunk?: number;
  /** Extra rounds of 2 and 16 workers back to back after the sweep (when both are in `workers`). Default 4. */
  rounds?: number;
  /** Measured wall time per point of those rounds. Default durationMs, so the median mixes ratios of one duration. */
  roundMs?: number;
}

export interface ScalingPoint {
  workers: number;
  pairs: number;
  seconds: number;
  pairsPerSec: number;
  /** pairsPerSec / pairsPerSec at 1 worker (NaN if 1 was not measured). */
  vsOne: number;
  /** Pairs per worker: how evenly the OS shared the cores. */
  perWorker: number[];
  fails: number;
  /**
   * CPU time of this process (all threads) / wall time during the measured
   * run: about min(workers, cores) on a quiet machine; less means other
   * processes took cores and the point says little about our scaling.
   */
  cpuPerWall: number;
  /** pairs / process CPU seconds: the aggregate per core actually used. */
  pairsPerCpuSec: number;
  /** Context switches of the process during the measured run (getrusage): voluntary (parking, waiting) and involuntary (preempted). */
  voluntarySwitches: number;
  involuntarySwitches: number;
}

/** One round of 2 and 16 workers back to back. */
export interface ScalingRound {
  first: number;
  two: Omit<ScalingPoint, "vsOne">;
  sixteen: Omit<ScalingPoint, "vsOne">;
  /** Pairs per wall second, 16 / 2. */
  sixteenVsTwo: number;
  /** Pairs per CPU-second, 16 / 2. */
  sixteenVsTwoPerCpu: number;
  /** os.loadavg() at the round's end. */
  loadAverage: number[];
}

export interface ScalingResult {
  node: string;
  cores: number;
  policy: DepotPolicy;
  size: number;
  durationMs: number;
  /** Measured wall time per point of the extra rounds. */
  roundMs: number;
  points: ScalingPoint[];
  /** 2 workers vs 1; must be >= 1.6. */
  twoVsOne: number;
  /** 16 workers vs 2: the median of the sweep's ratio and every round's; must be >= 0.8. */
  sixteenVsTwo: number;
  /** The sweep's own 16 / 2 (the figure this row printed before the rounds). */
  sixteenVsTwoSweep: number;
  /** Every ratio the median is taken over: the sweep's first, then each round's. */
  sixteenVsTwoAll: number[];
  /** The same per CPU-second: sweep first, then each round; and their median. */
  sixteenVsTwoPerCpuAll: number[];
  sixteenVsTwoPerCpu: number;
  rounds: ScalingRound[];
  /** os.loadavg() before the sweep and after the last round. */
  loadAverage: { before: number[]; after: number[] };
  pass: boolean;
}

export async function measurePoint(workers: number, o: Required<ScalingOptions>): Promise<Omit<ScalingPoint, "vsOne">> {
  const domain = new IovaDomain(4096, 1, { cpus: workers, policy: o.policy, maxRanges: 4096 });
  const pool = await CpuPool.start(domain);
  try {
    const spec = (durationMs: number) => ({ size: o.size, limit: o.limitPfn, chunk: o.chunk, durationMs });
    if (o.warmupMs > 0) await pool.all(() => ({ kind: "fastLoop", spec: spec(o.warmupMs) }), { gate: true });
    const cpu0 = process.cpuUsage();
    const ru0 = process.resourceUsage();
    const rs = await pool.all(() => ({ kind: "fastLoop", spec: spec(o.durationMs) }), { gate: true });
    const cpu = process.cpuUsage(cpu0);
    const ru1 = process.resourceUsage();
    const start = rs[0].startMs;
    const end = Math.max(...rs.map((r) => r.endMs));
    const pairs = rs.reduce((a, r) => a + r.pairs, 0);
    const seconds = (end - start) / 1000;
    return {
      workers, pairs, seconds, pairsPerSec: pairs / seconds, perWorker: rs.map((r) => r.pairs),
      fails: rs.reduce((a, r) => a + r.fails, 0),
      cpuPerWall: (cpu.user + cpu.system) / 1e6 / seconds,
      pairsPerCpuSec: pairs / ((cpu.user + cpu.system) / 1e6),
      voluntarySwitches: ru1.voluntaryContextSwitches - ru0.voluntaryContextSwitches,
      involuntarySwitches: ru1.involuntaryContextSwitches - ru0.involuntaryContextSwitches,
    };
  } finally {
    await pool.close();
  }
}

/** Measures every point, in order; returns the figures and the two ratios. */
export async function measureScaling(opts: ScalingOptions = {}): Promise<ScalingResult> {
  const o: Required<ScalingOptions> = {
    workers: opts.workers ?? [1, 2, 4, 8, 16],
    durationMs: opts.durationMs ?? 2000,
    warmupMs: opts.warmupMs ?? 300,
    policy: opts.policy ?? "linux-6.4",
    size: opts.size ?? 1,
    limitPfn: opts.limitPfn ?? 2 ** 32 - 1,
    chunk: opts.chunk ?? 2048,
    rounds: opts.rounds ?? 4,
    roundMs: opts.roundMs ?? opts.durationMs ?? 2000,
  };
  // A NaN duration never ends a worker's timed loop (its clock never passes
  // it): refuse it, and every other count that is not one, naming the value.
  const counts: Array<[string, number, number]> = [
    ["durationMs", o.durationMs, 1], ["roundMs", o.roundMs, 1], ["warmupMs", o.warmupMs, 0], ["rounds", o.rounds, 0],
    ["chunk", o.chunk, 1], ["size", o.size, 1], ...o.workers.map((w): [string, number, number] => ["workers", w, 1]),
  ];
  for (const [name, v, least] of counts) {
    if (!(Number.isSafeInteger(v) && v >= least)) throw new RangeError(`scaling: ${name} ${v} must be an integer >= ${least}`);
  }
  const loadBefore = loadavg();
  const raw = [];
  for (const w of o.workers) raw.push(await measurePoint(w, o));
  const one = raw.find((p) => p.workers === 1)?.pairsPerSec ?? NaN;
  const points: ScalingPoint[] = raw.map((p) => ({ ...p, vsOne: p.pairsPerSec / one }));
  const sweep = (w: number) => points.find((p) => p.workers === w);
  const at = (w: number) => sweep(w)?.pairsPerSec ?? NaN;
  const twoVsOne = at(2) / at(1);
  const two = sweep(2), sixteen = sweep(16);
  const rounds: ScalingRound[] = [];
  const all: number[] = [], perCpu: number[] = [];
  if (two && sixteen) {
    all.push(sixteen.pairsPerSec / two.pairsPerSec);
    perCpu.push(sixteen.pairsPerCpuSec / two.pairsPerCpuSec);
    const ro = { ...o, durationMs: o.roundMs };
    for (let r = 0; r < o.rounds; r++) {
      // Alternate the order: the sweep ran 2 first, so round 0 runs 16 first.
      const first = r % 2 === 0 ? 16 : 2;
      const a = await measurePoint(first, ro);
      const b = await measurePoint(first === 16 ? 2 : 16, ro);
      const [p2, p16] = first === 16 ? [b, a] : [a, b];
      const round = {
        first, two: p2, sixteen: p16,
        sixteenVsTwo: p16.pairsPerSec / p2.pairsPerSec, sixteenVsTwoPerCpu: p16.pairsPerCpuSec / p2.pairsPerCpuSec,
        loadAverage: loadavg(),
      };
      rounds.push(round);
      all.push(round.sixteenVsTwo);
      perCpu.push(round.sixteenVsTwoPerCpu);
    }
  }
  const sixteenVsTwo = all.length > 0 ? median(all) : NaN;
  return {
    node: process.version, cores: availableParallelism(), policy: o.policy, size: o.size, durationMs: o.durationMs, roundMs: o.roundMs,
    points, twoVsOne, sixteenVsTwo, sixteenVsTwoSweep: all[0] ?? NaN, sixteenVsTwoAll: all,
    sixteenVsTwoPerCpuAll: perCpu, sixteenVsTwoPerCpu: perCpu.length > 0 ? median(perCpu) : NaN,
    rounds, loadAverage: { before: loadBefore, after: loadavg() },
    pass: twoVsOne >= 1.6 && sixteenVsTwo >= 0.8,
  };
}

const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });

export function formatScaling(r: ScalingResult): string {
  const lines = [
    `fast path scaling: allocFast+freeFast pairs/s, policy ${r.policy}, size ${r.size}, ${r.durationMs} ms per point (rounds ${r.roundMs} ms), ${r.cores} cores, Node ${r.node}`,
    `${"workers".padStart(7)}${"pairs/s".padStart(14)}${"vs 1".padStart(8)}${"ns/pair".padStart(10)}${"fails".padStart(7)}${"cpu/wall".padStart(10)}${"pairs/cpu-s".padStart(14)}${"vol/invol sw".padStart(14)}  per-worker share (min..max % of even)`,
  ];
  for (const p of r.points) {
    const even = p.pairs / p.workers;
    const share = `${Math.round((100 * Math.min(...p.perWorker)) / even)}..${Math.round((100 * Math.max(...p.perWorker)) / even)}%`;
    lines.push(
      `${String(p.workers).padStart(7)}${fmt(p.pairsPerSec).padStart(14)}${`${p.vsOne.toFixed(2)}x`.padStart(8)}` +
      `${(1e9 / p.pairsPerSec).toFixed(1).padStart(10)}${String(p.fails).padStart(7)}${p.cpuPerWall.toFixed(2).padStart(10)}` +
      `${fmt(p.pairsPerCpuSec).padStart(14)}${`${p.voluntarySwitches}/${p.involuntarySwitches}`.padStart(14)}  ${share}`,
    );
  }
  for (const [i, x] of r.rounds.entries()) {
    lines.push(
      `round ${i + 1} (${x.first} first): 2 workers ${fmt(x.two.pairsPerSec)}/s (cpu/wall ${x.two.cpuPerWall.toFixed(2)}, ${x.two.voluntarySwitches}/${x.two.involuntarySwitches} sw),` +
      ` 16 workers ${fmt(x.sixteen.pairsPerSec)}/s (cpu/wall ${x.sixteen.cpuPerWall.toFixed(2)}, ${x.sixteen.voluntarySwitches}/${x.sixteen.involuntarySwitches} sw):` +
      ` 16 vs 2 ${x.sixteenVsTwo.toFixed(2)}x, per CPU-second ${x.sixteenVsTwoPerCpu.toFixed(2)}x; load ${x.loadAverage.map((v) => v.toFixed(2)).join(" ")}`,
    );
  }
  if (r.sixteenVsTwoAll.length > 1) {
    lines.push(
      `16 vs 2, the sweep then each round: ${r.sixteenVsTwoAll.map((x) => `${x.toFixed(2)}x`).join(", ")} (median ${r.sixteenVsTwo.toFixed(2)}x);` +
      ` per CPU-second ${r.sixteenVsTwoPerCpuAll.map((x) => `${x.toFixed(2)}x`).join(", ")} (median ${r.sixteenVsTwoPerCpu.toFixed(2)}x)`,
    );
  }
  lines.push(`load average before the sweep ${r.loadAverage.before.map((v) => v.toFixed(2)).join(" ")}, after the last round ${r.loadAverage.after.map((v) => v.toFixed(2)).join(" ")}`);
  const busy = r.points.filter((p) => p.cpuPerWall < Math.min(p.workers, r.cores) * 0.85);
  if (busy.length > 0) {
    lines.push(`note: other processes took CPU during ${busy.map((p) => p.workers).join(", ")} worker(s) (cpu/wall below ${r.cores} cores); rerun on a quiet machine`);
  }
  const verdict = (x: number, need: number) =>
    Number.isFinite(x) ? `${x.toFixed(2)}x (need >= ${need.toFixed(2)}) ${x >= need ? "ok" : "FAIL"}` : "not measured";
  lines.push(`2 vs 1: ${verdict(r.twoVsOne, 1.6)}; 16 vs 2 (median of ${r.sixteenVsTwoAll.length}): ${verdict(r.sixteenVsTwo, 0.8)}`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : undefined;
  };
  const r = await measureScaling({
    durationMs: arg("--ms") ? Number(arg("--ms")) : undefined,
    roundMs: arg("--round-ms") ? Number(arg("--round-ms")) : undefined,
    policy: arg("--policy") as DepotPolicy | undefined,
    size: arg("--size") ? Number(arg("--size")) : undefined,
    workers: arg("--workers")?.split(",").map(Number),
    rounds: arg("--rounds") ? Number(arg("--rounds")) : undefined,
  });
  console.log(formatScaling(r));
  if (argv.includes("--json")) console.log(JSON.stringify(r));
  return argv.includes("--strict") && !r.pass ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
