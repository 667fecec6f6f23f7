// Our allocator on the peers' own workloads (bench/peers/run.ts), one case
// per process like the peers, so JIT feedback cannot leak between them.
//   node dist/bench/ours/run.js            all cases, table on stdout
//   node dist/bench/ours/run.js <case-id>  one case, JSON on stdout
import { fileURLToPath } from 'node:url';
import { runIsolated } from '../isolated.js';
import { measure, type Measurement } from '../peers/measure.js';
import { emptyPool, idChurn, mixedSizes, suggestedArena, type OpSequence } from '../peers/workloads.js';
import type { IdAllocator, RangeAllocator } from '../peers/types.js';
import { IovaDirectIdAllocator, IovaDirectRangeAllocator, IovaIdAllocator, IovaRangeAllocator } from './adapters.js';

const SEED = 42;
const ID_SPACE = 65536;

interface Case {
  seq: () => OpSequence;
  make: (seq: OpSequence) => () => IdAllocator | RangeAllocator;
}

// Power-of-two rounding of cached sizes can double a block: give the arena 4x the live peak.
const arena = (seq: OpSequence) => () => new IovaRangeAllocator(suggestedArena(seq, 4));
const direct = (seq: OpSequence) => () => new IovaDirectRangeAllocator(suggestedArena(seq, 4));

/** Case ids match the peers' (bench/peers/run.ts) after the slash. */
export const OUR_CASES: Record<string, Case> = {
  'iova-wasm/idChurn': { seq: () => idChurn(200_000, SEED, 1000), make: () => () => new IovaIdAllocator(ID_SPACE) },
  'iova-wasm/emptyPool': { seq: () => emptyPool(1_000_000, 64), make: arena },
  'iova-wasm/mixedSizes-1k': { seq: () => mixedSizes(1_000, 100_000, SEED), make: arena },
  'iova-wasm/mixedSizes-10k': { seq: () => mixedSizes(10_000, 20_000, SEED), make: arena },
  // The same without the LocalCache: every alloc and free crosses into wasm.
  'iova-wasm-direct/idChurn': { seq: () => idChurn(200_000, SEED, 1000), make: () => () => new IovaDirectIdAllocator(ID_SPACE) },
  'iova-wasm-direct/emptyPool': { seq: () => emptyPool(1_000_000, 64), make: direct },
  'iova-wasm-direct/mixedSizes-1k': { seq: () => mixedSizes(1_000, 100_000, SEED), make: direct },
  'iova-wasm-direct/mixedSizes-10k': { seq: () => mixedSizes(10_000, 20_000, SEED), make: direct },
};

export function runOurCase(id: string): Measurement {
  const c = OUR_CASES[id];
  if (!c) throw new Error(`unknown case ${id}; one of: ${Object.keys(OUR_CASES).join(', ')}`);
  const seq = c.seq();
  return measure(c.make(seq), seq);
}

/** Runs one case in a child process and returns its measurement. */
export function runOurCaseIsolated(id: string): Measurement {
  return runIsolated(fileURLToPath(import.meta.url), id);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.length > 0) console.log(JSON.stringify(runOurCase(args[0])));
  else for (const id of Object.keys(OUR_CASES)) {
    const m = runOurCaseIsolated(id);
    console.log(id.padEnd(30) + m.medianNs.toFixed(1).padStart(12) + ' ns/pair  fails ' + m.failures);
  }
}
