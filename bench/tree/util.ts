// Small helpers of the tree benchmark: a seeded PRNG, timing, medians.
import { IovaDomain } from "../../src/index.js";
import { cpuNs, median } from "../clock.js";

export { cpuNs, median };

/** xorshift32: the same stream on every run and every machine. */
export interface Prng {
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

export function prng(seed: number): Prng {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

/** FNV-1a, 32 bits, over the pfns fed to it (each as its low and high 32 bits). */
export function placementHash(): { add(pfn: number): void; hex(): string } {
  let h = 0x811c9dc5;
  const mix = (w: number) => {
    for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((w >>> s) & 0xff), 0x01000193) >>> 0;
  };
  return {
    add(pfn: number) { mix(pfn >>> 0); mix(Math.floor(pfn / 2 ** 32) >>> 0); },
    hex: () => h.toString(16).padStart(8, "0"),
  };
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/**
 * Runs `batch(reps)` `batches` times after `warmup` untimed batches; returns
 * the median of the per-operation CPU times in ns.
 */
export function perOpNs(batch: (reps: number) => void, reps: number, batches: number, warmup = 1): number {
  return perOpNsInterleaved([batch], reps, batches, warmup)[0];
}

/**
 * perOpNs for several batches at once, interleaved: each of `rounds` rounds
 * times one batch of every entry in turn (after `warmup` untimed rounds), so
 * a drift of the host's speed, or whatever the first batches of a process
 * pay, falls on every entry alike and their ratios stay fair. Medians per
 * entry, in order.
 */
export function perOpNsInterleaved(batches: ((reps: number) => void)[], reps: number, rounds: number, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) for (const b of batches) b(reps);
  const samples: number[][] = batches.map(() => []);
  for (let k = 0; k < rounds; k++) {
    batches.forEach((b, j) => {
      const t0 = cpuNs();
      b(reps);
      samples[j].push((cpuNs() - t0) / reps);
    });
  }
  return samples.map(median);
}

/** Nodes the kernel's own loop would have visited so far, on this domain's instance. */
export function walkSteps(d: IovaDomain): number {
  return d.ex.walkSteps();
}

/** Turns the kernel-walk counter on or off (it costs two ranks per alloc, so timed loops run without it). */
export function countWalk(d: IovaDomain, on: boolean): void {
  d.ex.setWalkCounting(d.base, on ? 1 : 0);
}

/** A domain holding only the tree (no range caches), as the benchmark needs. */
export function treeDomain(granule: number, startPfn: number, maxRanges: number): IovaDomain {
  return new IovaDomain(granule, startPfn, { maxRanges, policy: "tree-only" });
}

export function must<T>(v: T | null, what: string): T {
  if (v === null) throw new Error(`tree bench: ${what} failed`);
  return v;
}
