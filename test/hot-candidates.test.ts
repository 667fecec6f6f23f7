// Issue 15's bench-only candidates (assembly/api/hot-candidates.ts, reached through IovaDomain.ex) refuse
// what would break the domain: fastLoopOneCas works on the order-0 cache of one of the domain's CPUs, and
// stickyBegin never starts over a burst whose hold is still open (that would leave the CPU cache lock held).
import { describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/index.js";

function domain() {
  const d = new IovaDomain(4096, 1, { cpus: 2, maxRanges: 1 << 12 });
  return { d, limit: d.dma32Pfn - 1 };
}

describe("hot-path candidates' guards", () => {
  it("fastLoopOneCas traps on a size other than 1 and on a cpu past the domain's, before touching it", () => {
    const { d, limit } = domain();
    expect(() => d.ex.fastLoopOneCas(d.base, 0, 2, limit, 10)).toThrow(/size must be 1/);
    expect(() => d.ex.fastLoopOneCas(d.base, 2, 1, limit, 10)).toThrow(/cpu is not below/);
    expect(d.stats().ranges).toBe(0);
    expect(d.ex.fastLoopOneCas(d.base, 1, 1, limit, 100)).toBe(0);
    d.check();
  });

  it("the sticky calls trap on a cpu past the domain's", () => {
    const { d, limit } = domain();
    expect(() => d.ex.allocFastSticky(d.base, 2, 1, limit, 1)).toThrow(/cpu is not below/);
    expect(() => d.ex.freeFastSticky(d.base, 2, 1, 1)).toThrow(/cpu is not below/);
  });

  it("stickyBegin refuses while a burst's hold is open, and accepts again after stickyEnd", () => {
    const { d, limit } = domain();
    const ex = d.ex;
    expect(ex.stickyBegin()).toBe(0);
    const pfn = ex.allocFastSticky(d.base, 0, 1, limit, 1);
    expect(pfn).toBeGreaterThan(0);
    ex.freeFastSticky(d.base, 0, pfn, 1);
    expect(ex.stickyBegin()).toBe(1);  // refused: the lock is still held by the open burst
    ex.stickyEnd();
    expect(ex.stickyBegin()).toBe(0);
    ex.stickyEnd();
    // The lock was released: a locked call on the same CPU completes (it would spin for ever on a leaked hold).
    const q = d.allocFast(1, limit, true);
    expect(q).not.toBeNull();
    d.freeFast(q!, 1);
    d.check();
  });
});
