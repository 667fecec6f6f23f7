// A peer and ours on the peer's workload in one process, round by round:
// each round replays the sequence once on a fresh instance of each, in
// alternating order, so a phase of the shared host (the on-CPU time of one
// unchanged loop doubles for seconds at a time, README "Performance") falls
// on both figures of a round alike. The ratio is taken per round.
//
// Why: each case in its own process (run.ts, ours/run.ts) times the two
// sides seconds apart. On emptyPool that put @thi.ng/malloc at 30-48 ns and
// ours at 18-29 ns from process to process, and the ratio landed anywhere
// from 1.5x to 2.5x; replayed side by side the two move together.
//
// Each side replays through its own copy of the replay loop (copyOf), so
// the loop's call sites stay monomorphic: one shared loop would see both
// allocators and go polymorphic for both (measure.ts).
//   node dist/bench/peers/side-by-side.js <workload>   JSON on stdout
import { fileURLToPath } from 'node:url';
import { cpuNs, median } from '../clock.js';
import { OUR_CASES } from '../ours/run.js';
import { replaySpan, replayState } from './replay.js';
import { CASES } from './run.js';
import type { IdAllocator, RangeAllocator } from './types.js';
import type { OpSequence } from './workloads.js';

/** The workloads with a target (compare.ts), their peer, and how many rounds (the slow peers take seconds a round). */
export const SIDE_BY_SIDE: Record<string, { peer: string; rounds: number; warmup: number }> = {
  idChurn: { peer: 'number-allocator', rounds: 15, warmup: 3 },
  emptyPool: { peer: 'thi.ng-malloc', rounds: 21, warmup: 5 },
  'mixedSizes-1k': { peer: 'thi.ng-malloc', rounds: 7, warmup: 2 },
  'mixedSizes-10k': { peer: 'thi.ng-malloc', rounds: 5, warmup: 1 },
};

export interface SideBySide {
  workload: string;
  peer: string;
  ours: string;
  rounds: number;
  /** Median CPU ns per pair of each side over the timed rounds. */
  peerNs: number;
  oursNs: number;
  /** peer / ours of each round, and their median, min and max. */
  ratios: number[];
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  peerSamplesNs: number[];
  oursSamplesNs: number[];
}

type Replay = typeof replaySpan;

/**
 * A fresh copy of the replay loop: same source, its own feedback. replaySpan
 * reads nothing but its arguments, so its source compiles on its own.
 */
function copyOf(fn: Replay): Replay {
  return new Function(`return ${fn.toString()}`)() as Replay;
}

/** CPU ns per pair of one replay of `seq` on a fresh allocator (fill and drain untimed). */
function round(make: () => RangeAllocator | IdAllocator, replay: Replay, seq: OpSequence): number {
  const a = make();
  const state = replayState(seq, false);
  replay(a, seq, 0, seq.steadyFrom, state);
  const c0 = cpuNs();
  replay(a, seq, seq.steadyFrom, seq.steadyTo, state);
  const c1 = cpuNs();
  replay(a, seq, seq.steadyTo, seq.count, state);
  a.destroy?.();  // a fresh instance a round: ours would otherwise leave one wasm domain behind per round
  if (state.failures !== 0) throw new Error(`${a.name} failed ${state.failures} allocs on ${seq.name}`);
  return (c1 - c0) / Math.max(1, seq.steadyAllocs);
}

export function sideBySide(workload: string, oursName = 'iova-wasm'): SideBySide {
  const spec = SIDE_BY_SIDE[workload];
  const peerCase = CASES[`${spec?.peer}/${workload}`];
  const ourCase = OUR_CASES[`${oursName}/${workload}`];
  if (!spec || !peerCase || !ourCase) throw new Error(`no side-by-side case for ${oursName} on ${workload}`);
  const seq = peerCase.seq();
  const sides = [
    { make: peerCase.make(seq), replay: copyOf(replaySpan), samples: [] as number[] },
    { make: ourCase.make(seq), replay: copyOf(replaySpan), samples: [] as number[] },
  ];
  for (let r = 0; r < spec.warmup + spec.rounds; r++) {
    // Alternate who goes first, so neither side always runs right after the other's garbage.
    const order = r % 2 === 0 ? sides : [sides[1], sides[0]];
    for (const s of order) {
      const ns = round(s.make, s.replay, seq);
      if (r >= spec.warmup) s.samples.push(ns);
    }
  }
  const [p, o] = sides;
  const ratios = p.samples.map((x, i) => x / o.samples[i]);
  return {
    workload, peer: spec.peer, ours: oursName, rounds: spec.rounds,
    peerNs: median(p.samples), oursNs: median(o.samples),
    ratios, ratio: median(ratios), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios),
    peerSamplesNs: p.samples, oursSamplesNs: o.samples,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(sideBySide(process.argv[2], process.argv[3])));
}
