// Times the steady window of a sequence (fill and drain run untimed) over
// several repetitions, each on a fresh allocator, and reports ns per
// alloc+free pair. Plain hrtime rather than tinybench: one repetition is one
// long replay with untimed setup around it, which tinybench's per-call
// sampling does not model.
import { replaySpan, replayState } from './replay.js';
import type { IdAllocator, RangeAllocator } from './types.js';
import type { OpSequence } from './workloads.js';

export interface MeasureOptions {
  /** Timed repetitions (default 7). */
  reps?: number;
  /** Untimed repetitions first, to let the JIT settle (default 2). */
  warmup?: number;
}

export interface Measurement {
  peer: string;
  workload: string;
  /** Alloc+free pairs per timed window. */
  pairs: number;
  reps: number;
  medianNs: number;
  minNs: number;
  maxNs: number;
  /** (max - min) / median, in percent. */
  spreadPct: number;
  /** Failed allocs per repetition (0 unless the arena is too small). */
  failures: number;
  samplesNs: number[];
}

function once(a: RangeAllocator | IdAllocator, seq: OpSequence): { ns: number; failures: number } {
  const state = replayState(seq, false);
  replaySpan(a, seq, 0, seq.steadyFrom, state);
  const t0 = process.hrtime.bigint();
  replaySpan(a, seq, seq.steadyFrom, seq.steadyTo, state);
  const t1 = process.hrtime.bigint();
  replaySpan(a, seq, seq.steadyTo, seq.count, state);
  return { ns: Number(t1 - t0), failures: state.failures };
}

/**
 * Note: replaySpan's call sites are shared by every peer measured in one
 * process, so after several peers they go megamorphic and cost a few ns per
 * call for everyone; measure each peer in its own process for small figures.
 */
export function measure(
  make: () => RangeAllocator | IdAllocator,
  seq: OpSequence,
  opts: MeasureOptions = {},
): Measurement {
  const reps = opts.reps ?? 7;
  const warmup = opts.warmup ?? 2;
  const pairs = Math.max(1, seq.steadyAllocs);
  const samples: number[] = [];
  let failures = 0;
  let name = '';
  for (let r = 0; r < warmup + reps; r++) {
    const a = make();
    name = a.name;
    const run = once(a, seq);
    failures = run.failures;
    if (r >= warmup) samples.push(run.ns / pairs);
  }
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  return {
    peer: name,
    workload: seq.name,
    pairs,
    reps,
    medianNs: median,
    minNs: min,
    maxNs: max,
    spreadPct: ((max - min) / median) * 100,
    failures,
    samplesNs: samples,
  };
}
