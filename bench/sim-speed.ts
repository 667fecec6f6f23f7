// The simulator's speed: simulated I/Os and requests per wall second (and
// per CPU second of the thread that runs the simulation: its on-CPU time
// from /proc/thread-self/schedstat, so V8's background compiler and GC
// threads do not count; where that file is missing, process.cpuUsage,
// every thread of the process) of the wasm
// event loop on the study's own load (`iova aging`: the thread's 96 CPUs, 12 jobs of 4 KiB reads merged
// into requests of 7.37 reads on average, src/study/options.ts planStudy),
// per policy on its own era. An I/O is one fio 4 KiB read; a request is one
// map, one IOVA, one completion. Each run is one thread, so the figures are
// per core. Prints how long `iova aging --hours 16` at the thread's 1.6M
// IOPS would take per policy at that speed (computed from the measured rate).
//
//   npm run bench:sim [-- --seconds 20 --policy linux-5.10]
//
// Run it as npm does, with node --no-liftoff (wasm has no on-stack
// replacement). --seconds changes the study's compression along with the
// run's length (src/study/compression.ts), as `iova aging --seconds` does.
// --faithful runs the thread's system uncompressed, as `iova aging --hours`
// does (the 16-hour run's model), and --interval-ms sets the sampling
// interval (the 16-hour run's was 60000):
//
//   npm run bench:sim -- --faithful --seconds 120 --interval-ms 60000 --policy linux-5.10
//
// The runs use the simulator's own build (build/iova-sim.wasm: no threads,
// no atomics; src/sim/wasm-sim.ts simBuild) unless told otherwise.
// --wasm A.wasm,B.wasm runs each policy on each build in turn, --rounds
// times (default 3), in this one process: a before/after comparison on the
// same machine state (the builds must share this host's interface; each
// gets the memory it imports, shared or its own). It prints each build's
// median and best, each build's median over the first's, and the median of
// the per-round ratios to the first build's run just before it (a pair run
// seconds apart shares the machine's state: the steadier figure when the
// host's speed drifts between minutes). The worker
// core against the simulator's build:
//
//   npm run bench:sim -- --wasm build/iova.wasm,build/iova-sim.wasm
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { simulate } from '../src/sim/engine.js';
import { planStudy } from '../src/study/options.js';
import { POLICIES, type DepotPolicy } from '../src/domain/policy.js';
import type { WasmBuild } from '../src/wasm/module.js';
import { SIM_WASM_FILE, simBuild } from '../src/sim/wasm-sim.js';
import { cpuNs, median, threadCpuNs } from './clock.js';
import { arg } from './args.js';

const THREAD_IOPS = 1.6e6;
const THREAD_HOURS = 16;

export interface SimSpeedFigure {
  policy: DepotPolicy;
  era: string;
  /** I/Os: fio blocks of the study's bs (one 4 KiB read by default), drain included. */
  ios: number;
  /** Requests: one map, one IOVA, one completion each; a merged request carries several I/Os. */
  requests: number;
  wallSeconds: number;
  cpuSeconds: number;
  iosPerWallSecond: number;
  iosPerCpuSecond: number;
  requestsPerWallSecond: number;
  booksOk: boolean;
}

/** Whether the CPU figures are this thread's own (Linux: bench/clock.ts threadCpuNs) or the whole process's. */
export const CPU_OF_THREAD = Number.isFinite(threadCpuNs());

/** CPU seconds so far: this thread's on-CPU time, or the process's user + system time where that is not known. */
function cpuSecondsNow(): number {
  return (CPU_OF_THREAD ? threadCpuNs() : cpuNs()) / 1e9;
}

/** How the study is planned besides its policy and length: uncompressed (`--faithful`, `--hours`), the sampling interval. */
export interface SimSpeedPlan {
  faithful?: boolean;
  intervalMs?: number;
}

/** One policy's study run of `seconds` simulated seconds (the study's load and compression for that length), timed. */
export function measureSimSpeed(policy: DepotPolicy, seconds: number, build: WasmBuild = simBuild(), plan: SimSpeedPlan = {}): SimSpeedFigure {
  const cfg = planStudy({ policies: [policy], seconds, ...plan }).configs[0]!;
  const c0 = cpuSecondsNow();
  const r = simulate(cfg, build);
  const cpuSeconds = cpuSecondsNow() - c0;
  const ios = r.counters.ios + r.counters.drainedIos;
  return {
    policy, era: r.era, ios, requests: r.requests, wallSeconds: r.wallSeconds, cpuSeconds, iosPerWallSecond: r.simIosPerWallSecond,
    iosPerCpuSecond: ios / cpuSeconds, requestsPerWallSecond: r.simRequestsPerWallSecond, booksOk: r.books.ok,
  };
}

/** Hours of `iova aging --hours 16` at the thread's 1.6M IOPS (92G I/Os), computed at this many I/Os a second. */
function hoursFor16(iosPerSecond: number): number {
  return (THREAD_IOPS * THREAD_HOURS * 3600) / iosPerSecond / 3600;
}

// Columns of printOne: [heading line 1, heading line 2, width].
const COLUMNS: Array<[string, string, number]> = [
  ['', 'policy', 12], ['', 'era', 5], ['M I/Os', '(reads)', 7], ['M req.', 'done', 6], ['wall', 's', 6], ['cpu', 's', 6],
  ['M I/Os', '/wall s', 7], ['M I/Os', '/cpu s', 7], ['M req.', '/wall s', 7], ['ns per', 'req.', 6], ['16 h at 1.6M IOPS', '(computed) wall cpu', 19],
];

function row(cells: string[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(COLUMNS[i]![2]) : c.padStart(COLUMNS[i]![2]))).join(' ');
}

function printHeader(): void {
  console.log(row(COLUMNS.map((c) => c[0])));
  console.log(row(COLUMNS.map((c) => c[1])));
}

function printOne(label: string, f: SimSpeedFigure): void {
  console.log(row([
    label, f.era, (f.ios / 1e6).toFixed(1), (f.requests / 1e6).toFixed(2), f.wallSeconds.toFixed(2), f.cpuSeconds.toFixed(2),
    (f.iosPerWallSecond / 1e6).toFixed(2), (f.iosPerCpuSecond / 1e6).toFixed(2), (f.requestsPerWallSecond / 1e6).toFixed(2),
    (1e9 / f.requestsPerWallSecond).toFixed(0),
    `${hoursFor16(f.iosPerWallSecond).toFixed(1)} h ${hoursFor16(f.iosPerCpuSecond).toFixed(1)} h`,
  ]) + (f.booksOk ? '' : '  BOOKS DO NOT BALANCE'));
}

/** Does `m` import a shared memory? Such a module refuses a memory of its own at link time. */
function importsSharedMemory(m: WebAssembly.Module): boolean {
  try {
    new WebAssembly.Instance(m, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1 }), flushIotlb() {}, abort() {} } });
    return false;
  } catch (e) {
    if ((e as Error).name === 'LinkError') return true;
    throw e;
  }
}

/** Each policy on each build in turn, `rounds` times: medians and bests per build, and the ratios to the first build. */
function compareBuilds(files: string[], policies: DepotPolicy[], seconds: number, rounds: number, plan: SimSpeedPlan): void {
  const builds = files.map((f) => {
    const module = new WebAssembly.Module(readFileSync(f));
    return { module, shared: importsSharedMemory(module) };
  });
  const kind = (b: WasmBuild) => (b.shared ? 'shared memory, atomics' : 'own memory, no atomics');
  console.log(`builds: ${files.map((f, i) => `${String.fromCharCode(65 + i)} = ${f} (${kind(builds[i]!)})`).join(', ')}; ${rounds} rounds, interleaved`);
  console.log('policy        build  M I/Os/wall s (median, best)  M I/Os/cpu s (median, best)  wall vs A  cpu vs A  paired cpu vs A');
  for (const p of policies) {
    const figs: SimSpeedFigure[][] = files.map(() => []);
    for (let r = 0; r < rounds; r++) {
      builds.forEach((b, i) => figs[i]!.push(measureSimSpeed(p, seconds, b, plan)));
    }
    const wall = figs.map((fs) => fs.map((f) => f.iosPerWallSecond / 1e6));
    const cpu = figs.map((fs) => fs.map((f) => f.iosPerCpuSecond / 1e6));
    files.forEach((_, i) => {
      const books = figs[i]!.every((f) => f.booksOk) ? '' : '  BOOKS DO NOT BALANCE';
      console.log(
        `${p.padEnd(13)} ${String.fromCharCode(65 + i).padEnd(5)}  ${median(wall[i]!).toFixed(2).padStart(10)} ${Math.max(...wall[i]!).toFixed(2).padStart(8)}` +
        `           ${median(cpu[i]!).toFixed(2).padStart(10)} ${Math.max(...cpu[i]!).toFixed(2).padStart(8)}` +
        `          ${(median(wall[i]!) / median(wall[0]!)).toFixed(2).padStart(8)}  ${(median(cpu[i]!) / median(cpu[0]!)).toFixed(2).padStart(8)}` +
        `  ${median(cpu[i]!.map((v, r) => v / cpu[0]![r]!)).toFixed(3).padStart(15)}${books}`,
      );
    });
  }
}

function main(): void {
  const seconds = Number(arg('seconds', '10'));
  const only = arg('policy', '');
  const policies = (only ? only.split(',') : POLICIES) as DepotPolicy[];
  const wasm = arg('wasm', '');
  const plan: SimSpeedPlan = { faithful: process.argv.includes('--faithful') };
  if (process.argv.includes('--interval-ms')) plan.intervalMs = Number(arg('interval-ms', ''));
  const how = `${plan.faithful ? ' --faithful' : ''}${plan.intervalMs !== undefined ? ` --interval-ms ${plan.intervalMs}` : ''}`;
  console.log(`simulator speed: the study's load (iova aging --seconds ${seconds}${how}), one thread per run; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('an I/O is one 4 KiB read; a request carries several (7.37 on average): one map, one IOVA, one completion');
  console.log(`cpu s: ${CPU_OF_THREAD ? 'the simulating thread\'s own on-CPU time (/proc/thread-self/schedstat)' : 'the process\'s user + system time (every thread)'}`);
  if (wasm) {
    compareBuilds(wasm.split(','), policies, seconds, Number(arg('rounds', '3')), plan);
    return;
  }
  console.log(`build: ${process.env.IOVA_WASM === 'debug' ? 'build/iova.debug.wasm (shared memory, assertions)' : `build/${SIM_WASM_FILE} (own memory, no atomics)`}`);
  printHeader();
  for (const p of policies) printOne(p, measureSimSpeed(p, seconds, simBuild(), plan));
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
