// Tiny seeded PRNG (splitmix32: Weyl sequence + integer hash) so every
// workload is the same sequence on every machine and run.

export type Rng = () => number;

/** Uniform uint32 stream from a 32-bit seed. */
export function splitmix32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

/** Uniform float in [0, 1). */
export function unit(rng: Rng): number {
  return rng() / 0x1_0000_0000;
}

/** Uniform integer in [0, n). */
export function below(rng: Rng, n: number): number {
  return Math.floor(unit(rng) * n);
}
