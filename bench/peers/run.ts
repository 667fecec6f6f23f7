// Measures every peer on every benchmark point, each case in its own Node
// process so one peer's JIT feedback cannot slow another (see measure.ts).
//   node dist/bench/peers/run.js            all cases, table on stdout
//   node dist/bench/peers/run.js <case-id>  one case, JSON on stdout
import { fileURLToPath } from 'node:url';
import { runIsolated } from '../isolated.js';
import { measure, type Measurement } from './measure.js';
import { NumberAllocatorPeer } from './number-allocator.js';
import { SortedFreeList } from './sorted-free-list.js';
import { ThingMalloc } from './thing-malloc.js';
import { JsStack, NullAllocator } from './harness-floor.js';
import type { IdAllocator, RangeAllocator } from './types.js';
import { emptyPool, idChurn, mixedSizes, suggestedArena, type OpSequence } from './workloads.js';

const SEED = 42;
const ID_SPACE = 65536; // MQTT-style 16-bit ids, number-allocator's home use

interface Case {
  seq: () => OpSequence;
  make: (seq: OpSequence) => () => RangeAllocator | IdAllocator;
}

const byteList = (seq: OpSequence) => () => new SortedFreeList(suggestedArena(seq), { align: 8 });
const thing = (seq: OpSequence) => () => new ThingMalloc(suggestedArena(seq));
const churn = () => idChurn(200_000, SEED, 1000);
const empty = () => emptyPool(1_000_000, 64);
const mixed1k = () => mixedSizes(1_000, 100_000, SEED);
const mixed10k = () => mixedSizes(10_000, 20_000, SEED);

export const CASES: Record<string, Case> = {
  'number-allocator/idChurn': { seq: churn, make: () => () => new NumberAllocatorPeer(0, ID_SPACE - 1) },
  'sorted-free-list/idChurn': { seq: churn, make: () => () => new SortedFreeList(ID_SPACE) },
  'thi.ng-malloc/emptyPool': { seq: empty, make: thing },
  'sorted-free-list/emptyPool': { seq: empty, make: byteList },
  'thi.ng-malloc/mixedSizes-1k': { seq: mixed1k, make: thing },
  'sorted-free-list/mixedSizes-1k': { seq: mixed1k, make: byteList },
  'thi.ng-malloc/mixedSizes-10k': { seq: mixed10k, make: thing },
  'sorted-free-list/mixedSizes-10k': { seq: mixed10k, make: byteList },
  // Not peers: the floor of every emptyPool figure (harness-floor.ts).
  'null/emptyPool': { seq: empty, make: () => () => new NullAllocator() },
  'js-stack/emptyPool': { seq: empty, make: () => () => new JsStack(64, 64) },
};

export function runCase(id: string): Measurement {
  const c = CASES[id];
  if (!c) throw new Error(`unknown case ${id}; one of: ${Object.keys(CASES).join(', ')}`);
  const seq = c.seq();
  return measure(c.make(seq), seq);
}

function main(args: string[]): void {
  if (args.length > 0) {
    console.log(JSON.stringify(runCase(args[0])));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  console.log('case'.padEnd(34) + 'pairs'.padStart(9) + 'median ns/pair'.padStart(16) + 'min..max'.padStart(22) + '  fails');
  for (const id of Object.keys(CASES)) {
    const m = runIsolated(self, id);
    const range = `${m.minNs.toFixed(1)}..${m.maxNs.toFixed(1)}`;
    console.log(id.padEnd(34) + String(m.pairs).padStart(9) + m.medianNs.toFixed(1).padStart(16) + range.padStart(22) + String(m.failures).padStart(7));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
