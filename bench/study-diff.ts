// Compares two study.json files field by field, leaving out what depends on
// the wall clock and the machine (dates, wall seconds, the simulator's speed):
// a change to the simulator's speed must leave every other field identical.
//
//   node dist/bench/study-diff.js A/study.json B/study.json
// Prints each differing field (up to 20) and exits 1 if any differ.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Fields measured on the wall clock or naming the machine: not results of the model. */
const WALL_CLOCK = new Set(['date', 'node', 'machine', 'wallSeconds', 'runWallSeconds', 'simIosPerWallSecond', 'simRequestsPerWallSecond', 'cpuSeconds', 'simIosPerCpuSecond', 'speed']);

/** The paths where a and b differ, wall-clock fields left out. */
export function studyDiff(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      if (WALL_CLOCK.has(k)) continue;
      studyDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
  } else if (!Object.is(a, b)) {
    out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  return out;
}

function main(): void {
  const [fa, fb] = process.argv.slice(2);
  if (!fa || !fb) {
    console.error('usage: study-diff A/study.json B/study.json');
    process.exit(2);
  }
  const diffs = studyDiff(JSON.parse(readFileSync(fa, 'utf8')), JSON.parse(readFileSync(fb, 'utf8')));
  if (diffs.length === 0) {
    console.log('identical (wall-clock fields left out)');
    return;
  }
  for (const d of diffs.slice(0, 20)) console.log(d);
  console.log(`${diffs.length} fields differ`);
  process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
