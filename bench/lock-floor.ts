// The lock booking's floor (assembly/sim/clock.ts): when a lock's booking is
// full, the holds that ended before the simulated present leave it, else its
// earliest; an arrival before the latest dropped hold's end waits until
// then, although the lock may have been free at its time. Those waits are
// counted apart (floorWaits, floorWaitNs). This prints the floor's share of
// each lock class's wait, so that the artefact stays measured: on the fill32
// load of test/sim-mechanisms.test.ts (a 32-bit window that fills, where
// v5.10's fast-fails take the tree lock ~100K times in 300 ms) for a few
// seeds, and on a short faithful run (`iova aging --faithful`, linux-6.4,
// a migration a second).
//
//   node --no-liftoff dist/bench/lock-floor.js [--seeds 1,7] [--faithful-seconds 5] [--wasm A.wasm,B.wasm]
//
// --wasm runs every load on each build in turn (builds sharing this host's
// interface), to compare a change of the booking.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { simulate, type SimOptions } from '../src/sim/engine.js';
import type { LockTotals, SimResult } from '../src/sim/result.js';
import { planStudy } from '../src/study/options.js';
import type { WasmBuild } from '../src/wasm/module.js';
import { simBuild } from '../src/sim/wasm-sim.js';
import { arg } from './args.js';
import { FILL32 } from './fill32-load.js';

/** Every lock of a class summed: its wait and the floor's part of it. */
function classes(r: SimResult): [string, LockTotals[]][] {
  return [['tree', [r.locks.tree]], ['depot', r.locks.depot], ['fq', [r.locks.fq]]];
}

function share(locks: LockTotals[]): string {
  const wait = locks.reduce((a, l) => a + l.waitNs, 0);
  const floor = locks.reduce((a, l) => a + l.floorWaitNs, 0);
  const waits = locks.reduce((a, l) => a + l.floorWaits, 0);
  const pct = wait > 0 ? `${((100 * floor) / wait).toFixed(2)}%` : '-';
  return `${wait.toExponential(2).padStart(9)} ${floor.toExponential(2).padStart(9)} ${String(waits).padStart(7)} ${pct.padStart(7)}`;
}

function main(): void {
  const seeds = arg('seeds', '1,7').split(',').map(Number);
  const faithfulSeconds = Number(arg('faithful-seconds', '5'));
  const files = arg('wasm', '').split(',').filter((f) => f);
  const builds: [string, WasmBuild][] = files.length
    ? files.map((f) => [f, { module: new WebAssembly.Module(readFileSync(f)), shared: false }])
    : [['build/iova-sim.wasm', simBuild()]];
  const loads: [string, SimOptions][] = seeds.map((seed) => [`fill32 seed ${seed}`, { ...FILL32, seed }]);
  const faithful = planStudy({ faithful: true, seconds: faithfulSeconds, policies: ['linux-6.4'], migrateMs: 1000, seed: 1 }).configs[0]!;
  loads.push([`faithful ${faithfulSeconds} s linux-6.4 seed 1`, faithful]);
  console.log(`the lock booking's floor: its share of each lock class's wait (simulated ns); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('load                               build  class     wait     floor  floor#   share');
  for (const [name, o] of loads) {
    for (const [file, b] of builds) {
      const r = simulate(o, b);
      for (const [cls, locks] of classes(r)) {
        console.log(`${name.padEnd(34)} ${file.split('/').pop()!.slice(0, 6).padEnd(6)} ${cls.padEnd(6)} ${share(locks)}${r.books.ok ? '' : '  BOOKS DO NOT BALANCE'}`);
      }
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
