// The simulator's random draws: xorshift64* seeded through splitmix64. A seed
// gives the same stream everywhere; nothing in the model may use anything
// else (no clock, no Math.random).

import { Sim } from "./layout";

export function seedRng(s: Sim, seed: u64): void {
  // splitmix64: spreads any seed (0 included) over the state, never 0.
  let z = seed + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  z = z ^ (z >> 31);
  s.rng = z == 0 ? 1 : z;
}

/** Uniform in [0, 1), 53 bits. */
// @ts-ignore: decorator
@inline export function uniform(s: Sim): f64 {
  let x = s.rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  s.rng = x;
  return <f64>((x * 0x2545F4914F6CDD1D) >> 11) * (1.0 / 9007199254740992.0);
}

/** Exponential with this mean. */
export function exponential(s: Sim, mean: f64): f64 {
  return -mean * Math.log(1.0 - uniform(s));
}

/** Uniform integer in [0, n). */
// @ts-ignore: decorator
@inline export function below(s: Sim, n: u32): u32 {
  return <u32>(uniform(s) * <f64>n);
}
