// Tiny seeded PRNG (splitmix32: Weyl sequence + integer hash) so every
// workload is the same sequence on every machine and run.
import { splitmix32 } from '../../src/util/splitmix32.js';

export type Rng = () => number;

/** Uniform uint32 stream from a 32-bit seed (shared with the worker loads). */
export { splitmix32 };

/** Uniform float in [0, 1). */
export function unit(rng: Rng): number {
  return rng() / 0x1_0000_0000;
}

/** Uniform integer in [0, n). */
export function below(rng: Rng, n: number): number {
  return Math.floor(unit(rng) * n);
}
