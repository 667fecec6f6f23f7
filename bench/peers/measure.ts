// Times the steady window of a sequence (fill and drain run untimed) over
// several repetitions, each on a fresh allocator, and reports ns per
// alloc+free pair. Plain timers rather than tinybench: one repetition is one
// long replay with untimed setup around it, which tinybench's per-call
// sampling does not model.
//
// The figure is CPU time (process.cpuUsage: user + system of this process),
// like the kernel's figures in ../shared/anchors.md (thread CPU time): on a
// shared machine the wall clock also counts the time other processes held
// the core, which swung the same case 2x between runs. Wall time is kept
// alongside. Warm-up: the JIT took up to 6 repetitions to settle on the
// short cases (emptyPool: 50 ns per pair in repetitions 2-5, 26 ns after),
// so every case warms up for `warmup` repetitions or `warmupMs`, whichever
// ends first: the same rule for every allocator.
import { cpuNs, median } from '../clock.js';
import { replaySpan, replayState } from './replay.js';
import type { IdAllocator, RangeAllocator } from './types.js';
import type { OpSequence } from './workloads.js';

export interface MeasureOptions {
  /** Timed repetitions (default 7). */
  reps?: number;
  /** Untimed repetitions first, to let the JIT settle (default 6)... */
  warmup?: number;
  /** ...or fewer, once this many milliseconds of warm-up have passed (default 3000; at least one repetition). */
  warmupMs?: number;
}

export interface Measurement {
  peer: string;
  workload: string;
  /** Alloc+free pairs per timed window. */
  pairs: number;
  reps: number;
  /** Untimed repetitions run before the timed ones. */
  warmupReps: number;
  /** CPU time per pair (process.cpuUsage), the figure every ratio uses. */
  medianNs: number;
  minNs: number;
  maxNs: number;
  /** (max - min) / median, in percent. */
  spreadPct: number;
  /** Failed allocs per repetition (0 unless the arena is too small). */
  failures: number;
  samplesNs: number[];
  /** Wall-clock time per pair, the same repetitions. */
  wallMedianNs: number;
  wallSamplesNs: number[];
}

function once(a: RangeAllocator | IdAllocator, seq: OpSequence): { ns: number; wallNs: number; failures: number } {
  const state = replayState(seq, false);
  replaySpan(a, seq, 0, seq.steadyFrom, state);
  const c0 = cpuNs();
  const t0 = process.hrtime.bigint();
  replaySpan(a, seq, seq.steadyFrom, seq.steadyTo, state);
  const t1 = process.hrtime.bigint();
  const c1 = cpuNs();
  replaySpan(a, seq, seq.steadyTo, seq.count, state);
  return { ns: c1 - c0, wallNs: Number(t1 - t0), failures: state.failures };
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
  const warmup = opts.warmup ?? 6;
  const warmupMs = opts.warmupMs ?? 3000;
  const pairs = Math.max(1, seq.steadyAllocs);
  const samples: number[] = [];
  const wall: number[] = [];
  let failures = 0;
  let name = '';
  let warmupReps = 0;
  const warmStart = performance.now();
  while (warmupReps < Math.max(1, warmup) && (warmupReps === 0 || performance.now() - warmStart < warmupMs)) {
    const a = make();
    name = a.name;
    once(a, seq);
    warmupReps++;
  }
  for (let r = 0; r < reps; r++) {
    const a = make();
    const run = once(a, seq);
    failures = run.failures;
    samples.push(run.ns / pairs);
    wall.push(run.wallNs / pairs);
  }
  const median_ = median(samples);
  const min = Math.min(...samples);
  const max = Math.max(...samples);
  return {
    peer: name,
    workload: seq.name,
    pairs,
    reps,
    warmupReps,
    medianNs: median_,
    minNs: min,
    maxNs: max,
    spreadPct: ((max - min) / median_) * 100,
    failures,
    samplesNs: samples,
    wallMedianNs: median(wall),
    wallSamplesNs: wall,
  };
}
