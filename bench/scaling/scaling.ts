// Scaling of the fast path across worker threads: aggregate allocFast +
// freeFast pairs per second with 1, 2, 4, 8 and 16 workers over one domain.
//
//   node dist/bench/scaling/scaling.js [--ms 2000] [--policy linux-6.4] [--size 1] [--workers 1,2,4,8,16] [--strict]
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
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { IovaDomain } from "../../src/domain/iova-domain.js";
import type { DepotPolicy } from "../../src/domain/policy.js";
import { CpuPool } from "../../src/workers/pool.js";

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
}

export interface ScalingResult {
  node: string;
  cores: number;
  policy: DepotPolicy;
  size: number;
  durationMs: number;
  points: ScalingPoint[];
  /** 2 workers vs 1; must be >= 1.6. */
  twoVsOne: number;
  /** 16 workers vs 2; must be >= 0.8. */
  sixteenVsTwo: number;
  pass: boolean;
}

export async function measurePoint(workers: number, o: Required<ScalingOptions>): Promise<Omit<ScalingPoint, "vsOne">> {
  const domain = new IovaDomain(4096, 1, { cpus: workers, policy: o.policy, maxRanges: 4096 });
  const pool = await CpuPool.start(domain);
  try {
    const spec = (durationMs: number) => ({ size: o.size, limit: o.limitPfn, chunk: o.chunk, durationMs });
    if (o.warmupMs > 0) await pool.all(() => ({ kind: "fastLoop", spec: spec(o.warmupMs) }), { gate: true });
    const cpu0 = process.cpuUsage();
    const rs = await pool.all(() => ({ kind: "fastLoop", spec: spec(o.durationMs) }), { gate: true });
    const cpu = process.cpuUsage(cpu0);
    const start = rs[0].startMs;
    const end = Math.max(...rs.map((r) => r.endMs));
    const pairs = rs.reduce((a, r) => a + r.pairs, 0);
    const seconds = (end - start) / 1000;
    return {
      workers, pairs, seconds, pairsPerSec: pairs / seconds, perWorker: rs.map((r) => r.pairs),
      fails: rs.reduce((a, r) => a + r.fails, 0),
      cpuPerWall: (cpu.user + cpu.system) / 1e6 / seconds,
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
  };
  const raw = [];
  for (const w of o.workers) raw.push(await measurePoint(w, o));
  const one = raw.find((p) => p.workers === 1)?.pairsPerSec ?? NaN;
  const points: ScalingPoint[] = raw.map((p) => ({ ...p, vsOne: p.pairsPerSec / one }));
  const at = (w: number) => points.find((p) => p.workers === w)?.pairsPerSec ?? NaN;
  const twoVsOne = at(2) / at(1);
  const sixteenVsTwo = at(16) / at(2);
  return {
    node: process.version, cores: availableParallelism(), policy: o.policy, size: o.size, durationMs: o.durationMs,
    points, twoVsOne, sixteenVsTwo, pass: twoVsOne >= 1.6 && sixteenVsTwo >= 0.8,
  };
}

const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });

export function formatScaling(r: ScalingResult): string {
  const lines = [
    `fast path scaling: allocFast+freeFast pairs/s, policy ${r.policy}, size ${r.size}, ${r.durationMs} ms per point, ${r.cores} cores, Node ${r.node}`,
    `${"workers".padStart(7)}${"pairs/s".padStart(14)}${"vs 1".padStart(8)}${"ns/pair".padStart(10)}${"fails".padStart(7)}${"cpu/wall".padStart(10)}  per-worker share (min..max % of even)`,
  ];
  for (const p of r.points) {
    const even = p.pairs / p.workers;
    const share = `${Math.round((100 * Math.min(...p.perWorker)) / even)}..${Math.round((100 * Math.max(...p.perWorker)) / even)}%`;
    lines.push(
      `${String(p.workers).padStart(7)}${fmt(p.pairsPerSec).padStart(14)}${`${p.vsOne.toFixed(2)}x`.padStart(8)}` +
      `${(1e9 / p.pairsPerSec).toFixed(1).padStart(10)}${String(p.fails).padStart(7)}${p.cpuPerWall.toFixed(2).padStart(10)}  ${share}`,
    );
  }
  const busy = r.points.filter((p) => p.cpuPerWall < Math.min(p.workers, r.cores) * 0.85);
  if (busy.length > 0) {
    lines.push(`note: other processes took CPU during ${busy.map((p) => p.workers).join(", ")} worker(s) (cpu/wall below ${r.cores} cores); rerun on a quiet machine`);
  }
  const verdict = (x: number, need: number) =>
    Number.isFinite(x) ? `${x.toFixed(2)}x (need >= ${need.toFixed(2)}) ${x >= need ? "ok" : "FAIL"}` : "not measured";
  lines.push(`2 vs 1: ${verdict(r.twoVsOne, 1.6)}; 16 vs 2: ${verdict(r.sixteenVsTwo, 0.8)}`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : undefined;
  };
  const r = await measureScaling({
    durationMs: arg("--ms") ? Number(arg("--ms")) : undefined,
    policy: arg("--policy") as DepotPolicy | undefined,
    size: arg("--size") ? Number(arg("--size")) : undefined,
    workers: arg("--workers")?.split(",").map(Number),
  });
  console.log(formatScaling(r));
  if (argv.includes("--json")) console.log(JSON.stringify(r));
  return argv.includes("--strict") && !r.pass ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
