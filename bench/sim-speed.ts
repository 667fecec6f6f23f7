// The simulator's speed: simulated I/Os per wall second (and per CPU second
// of this thread) of the wasm event loop, on a CPU-bound load shaped like
// the thread's (12 jobs of 4 KiB reads, iodepth 32, a device fast enough
// that CPUs and locks set the IOPS), per policy on its own era. Prints how
// long `iova aging --hours 16` at 1.6M IOPS would take at that speed.
//
//   npm run bench:sim [-- --seconds 5 --policy linux-5.10]
import { pathToFileURL } from 'node:url';
import { simulate, type SimOptions } from '../src/sim/engine.js';
import { POLICIES, type DepotPolicy } from '../src/domain/policy.js';

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

function main(): void {
  const seconds = Number(arg('seconds', '3'));
  const only = arg('policy', '');
  const policies = (only ? [only] : POLICIES) as DepotPolicy[];
  console.log(`simulator speed: ${seconds} simulated s per policy, 96 CPUs, 12 jobs x iodepth 32, 4 KiB, CPU-bound device`);
  console.log('policy        era    sim I/Os   wall s  cpu s   M I/Os/wall s  M I/Os/cpu s  16 h at 1.6M IOPS');
  for (const p of policies) {
    const f = measureSimSpeed(p, seconds);
    const hours = (THREAD_IOPS * THREAD_HOURS * 3600) / f.iosPerWallSecond / 3600;
    console.log(
      `${p.padEnd(13)} ${f.era.padEnd(6)} ${String(f.ios).padStart(9)}  ${f.wallSeconds.toFixed(2).padStart(6)} ${f.cpuSeconds.toFixed(2).padStart(6)}` +
      `  ${(f.iosPerWallSecond / 1e6).toFixed(2).padStart(13)}  ${(f.iosPerCpuSecond / 1e6).toFixed(2).padStart(12)}  ${hours.toFixed(1).padStart(6)} h` +
      (f.booksOk ? '' : '  BOOKS DO NOT BALANCE'),
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
