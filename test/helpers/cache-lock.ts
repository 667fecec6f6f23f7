// Where CPU 0's order-0 cache lock word lives in a domain's memory, for the
// lock tests that stand up or inspect that word by hand.
import { expect } from "vitest";
import type { IovaDomain } from "../../dist/src/index.js";
import { layoutOf } from "../../dist/src/wasm/exports.js";

/**
 * Byte address of CPU 0's order-0 cache lock word: the first CPU cache
 * line, at the domain's offCpuCaches (assembly/layout.ts cpuCacheAt). Its
 * waiter count is the next word.
 */
export function cpu0CacheLockAddr(d: IovaDomain): number {
  const off = new DataView(d.memory.buffer).getUint32(d.base + layoutOf(d.ex).offCpuCaches, true);
  expect(Number.isInteger(off) && off > 0, `offCpuCaches ${off}`).toBe(true);
  return d.base + off;
}
