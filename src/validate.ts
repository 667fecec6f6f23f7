// Argument checks shared by every entry point. pfns cross into wasm as f64,
// which is exact only below 2^53: anything else is refused here, before it
// can become a silently wrong u64 inside.
import { InvalidArgumentError } from "./errors.js";

/** The largest pfn the API accepts (2^53 - 1): every such value is an exact f64. */
export const MAX_PFN = Number.MAX_SAFE_INTEGER;

export function pfnArg(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || Object.is(v, -0)) {
    throw new InvalidArgumentError(name, v, "must be a non-negative integer below 2^53");
  }
  return v;
}

export function sizeArg(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new InvalidArgumentError(name, v, "must be a positive integer below 2^53");
  }
  return v;
}

export function countArg(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(name, v, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function powerOfTwoArg(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max || (v & (v - 1)) !== 0) {
    throw new InvalidArgumentError(name, v, `must be a power of two from ${min} to ${max}`);
  }
  return v;
}

export function boolArg(name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new InvalidArgumentError(name, v, "must be a boolean");
  return v;
}

/** A time in ms of the domain clock: a finite number from `min` below 2^53 (fractions are truncated by the core). */
export function msArg(name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError(name, v, `must be a finite number of ms from ${min} below 2^53`);
  }
  return v;
}
