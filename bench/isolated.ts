// One benchmark case in its own Node process, on the tier this run was
// started with (npm run bench: --no-liftoff; without execArgv the children
// ran on V8's defaults). Its own process so that call sites shared by the
// cases do not go megamorphic across them (bench/peers/measure.ts).
import { execFileSync } from 'node:child_process';
import type { Measurement } from './peers/measure.js';

/** Runs `script id` in a child Node process and parses the Measurement it prints as JSON. */
export function runIsolated(script: string, id: string): Measurement {
  return runIsolatedJson<Measurement>(script, id);
}

/** Runs `script ...args` in a child Node process (the same flags) and parses the JSON it prints. */
export function runIsolatedJson<T>(script: string, ...args: string[]): T {
  return JSON.parse(execFileSync(process.execPath, [...process.execArgv, script, ...args], { encoding: 'utf8' })) as T;
}
