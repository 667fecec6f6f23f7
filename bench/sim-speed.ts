// The simulator's speed: simulated I/Os per wall second (and per CPU second
// of this thread) of the wasm event loop, on a CPU-bound load shaped like
// the thread's (12 jobs of 4 KiB reads, iodepth 32, a device fast enough
// that CPUs and locks set the IOPS), per policy on its own era. Prints how
// long `iova aging --hours 16` at 1.6M IOPS would take at that speed.
//
//   npm run bench:sim [-- --seconds 5 --policy linux-5.10]
//
// --wasm A.wasm,B.wasm runs each policy on each build in turn, --rounds
// times (default 3), in this one process: a before/after comparison on the
// same machine state (the builds must share this host's interface). It
// prints each build's median and best, and each build's median over the first's.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { simulate, type SimOptions } from '../src/sim/engine.js';
import { POLICIES, type DepotPolicy } from '../src/domain/policy.js';
import { adoptModule } from '../src/wasm/module.js';
import { median } from './tree/util.js';

const THREAD_IOPS = 1.6e6;
const THREAD_HOURS = 16;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export interface SimSpeedFigure {
  policy: DepotPolicy;
  era: string;
  ios: number;
  wallSeconds: number;
  cpuSeconds: number;
  iosPerWallSecond: number;
  iosPerCpuSecond: number;
  booksOk: boolean;
}

export function measureSimSpeed(policy: DepotPolicy, seconds: number): SimSpeedFigure {
  const o: SimOptions = {
    policy, cpus: 96, jobs: 12, iodepth: 32, bs: '4k', durationMs: seconds * 1000, intervalMs: 1000,
    completion: 'other', costs: { deviceBaseNs: 20_000, deviceBytesPerSec: 1e11, deviceSerialTransfers: 0 },
  };
  const c0 = process.cpuUsage();
  const r = simulate(o);
  const c = process.cpuUsage(c0);
  const ios = r.counters.ios + r.counters.drainedIos;
  const cpuSeconds = (c.user + c.system) / 1e6;
  return {
    policy, era: r.era, ios, wallSeconds: r.wallSeconds, cpuSeconds, iosPerWallSecond: r.simIosPerWallSecond,
    iosPerCpuSecond: ios / cpuSeconds, booksOk: r.books.ok,
  };
}

function hoursFor16(f: SimSpeedFigure): number {
  return (THREAD_IOPS * THREAD_HOURS * 3600) / f.iosPerWallSecond / 3600;
}

function printOne(label: string, f: SimSpeedFigure): void {
  console.log(
    `${label.padEnd(13)} ${f.era.padEnd(6)} ${String(f.ios).padStart(9)}  ${f.wallSeconds.toFixed(2).padStart(6)} ${f.cpuSeconds.toFixed(2).padStart(6)}` +
    `  ${(f.iosPerWallSecond / 1e6).toFixed(2).padStart(13)}  ${(f.iosPerCpuSecond / 1e6).toFixed(2).padStart(12)}  ${hoursFor16(f).toFixed(1).padStart(6)} h` +
    (f.booksOk ? '' : '  BOOKS DO NOT BALANCE'),
  );
}

/** Each policy on each build in turn, `rounds` times: medians and bests per build, and the ratios to the first build. */
function compareBuilds(files: string[], policies: DepotPolicy[], seconds: number, rounds: number): void {
  const modules = files.map((f) => new WebAssembly.Module(readFileSync(f)));
  console.log(`builds: ${files.map((f, i) => `${String.fromCharCode(65 + i)} = ${f}`).join(', ')}; ${rounds} rounds, interleaved`);
  console.log('policy        build  M I/Os/wall s (median, best)  M I/Os/cpu s (median, best)  wall vs A  cpu vs A');
  for (const p of policies) {
    const figs: SimSpeedFigure[][] = files.map(() => []);
    for (let r = 0; r < rounds; r++) {
      modules.forEach((m, i) => {
        adoptModule(m);
        figs[i]!.push(measureSimSpeed(p, seconds));
      });
    }
    const wall = figs.map((fs) => fs.map((f) => f.iosPerWallSecond / 1e6));
    const cpu = figs.map((fs) => fs.map((f) => f.iosPerCpuSecond / 1e6));
    files.forEach((_, i) => {
      const books = figs[i]!.every((f) => f.booksOk) ? '' : '  BOOKS DO NOT BALANCE';
      console.log(
        `${p.padEnd(13)} ${String.fromCharCode(65 + i).padEnd(5)}  ${median(wall[i]!).toFixed(2).padStart(10)} ${Math.max(...wall[i]!).toFixed(2).padStart(8)}` +
        `           ${median(cpu[i]!).toFixed(2).padStart(10)} ${Math.max(...cpu[i]!).toFixed(2).padStart(8)}` +
        `          ${(median(wall[i]!) / median(wall[0]!)).toFixed(2).padStart(8)}  ${(median(cpu[i]!) / median(cpu[0]!)).toFixed(2).padStart(8)}${books}`,
      );
    });
  }
}

function main(): void {
  const seconds = Number(arg('seconds', '3'));
  const only = arg('policy', '');
  const policies = (only ? only.split(',') : POLICIES) as DepotPolicy[];
  const wasm = arg('wasm', '');
  console.log(`simulator speed: ${seconds} simulated s per policy, 96 CPUs, 12 jobs x iodepth 32, 4 KiB, CPU-bound device`);
  if (wasm) {
    compareBuilds(wasm.split(','), policies, seconds, Number(arg('rounds', '3')));
    return;
  }
  console.log('policy        era    sim I/Os   wall s  cpu s   M I/Os/wall s  M I/Os/cpu s  16 h at 1.6M IOPS');
  for (const p of policies) printOne(p, measureSimSpeed(p, seconds));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
