// The simulator's random draws: xorshift64* streams seeded through
// splitmix64. Nothing in the model may use anything else (no clock, no
// Math.random).
//
// Each job has a stream of its own for each kind of draw (Stream), seeded
// from the run's seed, the job's index and the kind, and kept in the job's
// record (layout.ts). A draw never depends on what another job or another
// kind drew before it, so a policy that changes the order or the number of
// events (one more reclaim, one failed map) cannot change the load: job j's
// n-th block size, n-th device latency and its migrations are the same under
// every policy of a seed (test/sim-streams). With one shared stream in event
// order, every draw after a policy's first extra event was another
// (docs/adaptive-policy.md 4344876).

/** The kinds of draw, each a stream per job: its index in the job record's streams (layout.ts JOB_STREAMS). */
export enum Stream {
  /** Block sizes: drawBytes, a merged request's count of reads. */
  SIZE = 0,
  /** The device's latency jitter. */
  DEVICE,
  /** Whether a merged request's map runs on kblockd (the kblockdShare experiment). */
  KBLOCKD,
  /** Migrations: the gaps of the job's Poisson process and the CPU it moves to. */
  MIGRATE,
  COUNT,
}

// @ts-ignore: decorator
@inline function splitmix(x: u64): u64 {
  let z = x + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/**
 * The first state of job j's stream of this kind for a run's seed:
 * splitmix64 of the seed's splitmix64 plus (j, kind) as one index, so that
 * every (seed, job, kind) gets its own well-spread state (never 0, which
 * xorshift would keep).
 */
export function streamSeed(seed: u64, j: u32, kind: u32): u64 {
  let z = splitmix(splitmix(seed) + ((<u64>j * <u64>Stream.COUNT + <u64>kind) + 1));
  return z == 0 ? 1 : z;
}

/** Uniform in [0, 1), 53 bits, from the stream whose state is at p. */
// @ts-ignore: decorator
@inline export function uniform(p: usize): f64 {
  let x = load<u64>(p);
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  store<u64>(p, x);
  return <f64>((x * 0x2545F4914F6CDD1D) >> 11) * (1.0 / 9007199254740992.0);
}

/** Exponential with this mean, from the stream at p. */
export function exponential(p: usize, mean: f64): f64 {
  return -mean * Math.log(1.0 - uniform(p));
}

/** Uniform integer in [0, n), from the stream at p. */
// @ts-ignore: decorator
@inline export function below(p: usize, n: u32): u32 {
  return <u32>(uniform(p) * <f64>n);
}
