// The core's I/O path (assembly/iommu/): the v5.10 flush queue and its timer,
// dma-iommu's mapping with the 32-bit-first rule, PCI window reservations,
// and the books check, through the host's DmaPath.
import { describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/domain/iova-domain.js";
import { DmaPath } from "../dist/src/domain/dma.js";
import { codes } from "../dist/src/wasm/codes.js";

function make(cpus = 4, granule = 4096, hz = 250): { d: IovaDomain; dma: DmaPath } {
  const d = new IovaDomain(granule, 1, { cpus, policy: "linux-5.10", maxRanges: 200_000, flushQueue: { size: 256, timeoutMs: 10, hz } });
  return { d, dma: new DmaPath(d) };
}

describe("flush queue (iova.c v5.10)", () => {
  it("holds size - 1 entries; the next queue_iova flushes and frees them on its own CPU", () => {
    const { d, dma } = make();
    const out = new Float64Array(2);
    const pfns: number[] = [];
    for (let i = 0; i < 256; i++) {
      expect(dma.mapIo(0, 4096, 1 << 20, 2 ** 36 - 1, true, out, 0)).toBe(1);
      pfns.push(out[0]!);
    }
    let bits = 0;
    for (let i = 0; i < 255; i++) bits |= dma.unmapIova(0, pfns[i]!, 1, false, 0);
    expect(bits & codes().Queued.FULL_FLUSH).toBe(0);
    expect(dma.statsDump().cpu(0).depth).toBe(255);
    const last = dma.unmapIova(0, pfns[255]!, 1, false, 0);
    expect(last & codes().Queued.FULL_FLUSH).toBe(codes().Queued.FULL_FLUSH);
    expect(last >>> codes().Queued.FLUSHES_SHIFT).toBe(1);
    expect(dma.statsDump().cpu(0).depth).toBe(1);
    expect(dma.statsDump().cpu(0).freed).toBe(255);
    // The dump holds the domain's 4 CPUs and refuses any other.
    expect(dma.statsDump().cpus).toBe(4);
    for (const bad of [4, -1, 1.5]) expect(() => dma.statsDump().cpu(bad)).toThrow(/cpu/);
    // The 255 went into CPU 0's magazines (128 + 127), none to the tree.
    expect(d.cacheStats().cpuTotal).toBe(255);
    d.destroy();
  });

  it("the timer is armed once, expires on a jiffy boundary, and drains every CPU's queue on the CPU it fires on", () => {
    const { d, dma } = make(4, 4096, 250);
    const out = new Float64Array(2);
    let armed = 0;
    for (let c = 0; c < 4; c++) {
      for (let i = 0; i < 10; i++) {
        dma.mapIo(c, 4096, 1 << 20, 2 ** 36 - 1, true, out, 0);
        armed += (dma.unmapIova(c, out[0]!, 1, false, 1.5) & codes().Queued.ARMED_TIMER) !== 0 ? 1 : 0;
      }
    }
    expect(armed).toBe(1);
    // HZ=250: jiffy 0 (0-4 ms) + msecs_to_jiffies(10) = 3 jiffies -> 12 ms.
    expect(dma.timerDueMs()).toBeCloseTo(12, 9);
    expect(dma.pollTimer(2, 11.9)).toBe(-1);
    const before = d.cacheStats();
    expect(dma.pollTimer(2, 12)).toBe(40);
    expect(dma.pollTimer(2, 13)).toBe(-1);  // fired once
    const after = d.cacheStats();
    expect(after.loaded[2]![0]! + after.prev[2]![0]! - (before.loaded[2]![0]! + before.prev[2]![0]!)).toBe(40);
    expect(dma.statsDump().cpu(2).timerFirings).toBe(1);
    expect(dma.pending()).toBe(0);
    d.destroy();
  });

  it("strict unmap invalidates once per IOVA and frees at once; the host's invalidation hook runs each time", () => {
    const { d, dma } = make();
    let calls = 0;
    dma.hostInvalidation(() => { calls++; });
    const out = new Float64Array(2);
    for (let i = 0; i < 5; i++) {
      dma.mapIo(1, 8192, 1 << 20, 2 ** 36 - 1, true, out, 0);
      expect(dma.unmapIova(1, out[0]!, out[1]!, true, 0)).toBe(0);
    }
    expect(calls).toBe(5);
    expect(dma.flushCounts()).toEqual({ flushes: 0, invalidations: 5 });
    expect(dma.pending()).toBe(0);
    dma.hostInvalidation(null);
    d.destroy();
  });
});

describe("dma-iommu mapping (v5.10)", () => {
  it("rounds cacheable lengths up to a power of two, tries 32-bit first for PCI, falls back when it is full", () => {
    // 64 KiB granule: the 32-bit space is 65536 pfns.
    const { d, dma } = make(1, 65536);
    const out = new Float64Array(16);
    expect(dma.mapIo(0, 3 * 65536, 1 << 30, 2 ** 32 - 1, true, out, 0)).toBe(1);
    expect(out[1]).toBe(3);                        // the unrounded length, as the driver frees it
    expect(d.find(out[0]!)).toEqual({ lo: out[0], hi: out[0]! + 3 });  // 4 pages allocated
    dma.unmapIova(0, out[0]!, out[1]!, true, 0);
    // Not PCI: straight to the full limit, above 4 GiB.
    dma.mapIo(0, 65536, 1 << 30, 2 ** 20 - 1, false, out, 0);
    expect(out[0]).toBeGreaterThanOrEqual(65536);
    expect(dma.lastFellBack).toBe(false);
    // PCI: below 4 GiB until it is full, then above.
    let below = 0;
    for (;;) {
      dma.mapIo(0, 32 * 65536, 1 << 30, 2 ** 20 - 1, true, out, 0);
      if (out[0]! >= 65536) break;
      expect(dma.lastFellBack).toBe(false);
      below++;
    }
    expect(dma.lastFellBack).toBe(true);
    // 2048 aligned blocks of 32 below 4 GiB; the lowest holds pfn 0 (start_pfn is 1), and the
    // top one holds the 4-page IOVA freed above, which sits cached in a magazine.
    expect(below).toBe(2046);
    expect(d.stats().max32AllocSize).toBe(32);     // the failed 32-bit walk armed the fast-fail
    d.destroy();
  });

  it("segments an I/O and unwinds a failed map", () => {
    const { d, dma } = make(1, 65536);
    const out = new Float64Array(16);
    expect(dma.mapIo(0, 5 * 65536, 2 * 65536, 2 ** 20 - 1, true, out, 0)).toBe(3);
    expect([out[1], out[3], out[5]]).toEqual([2, 2, 1]);
    const ranges = d.stats().ranges;
    // A limit with room for nothing: the first segment fails, nothing stays mapped.
    expect(dma.mapIo(0, 65536, 1 << 30, 0, false, out, 0)).toBe(0);
    expect(d.stats().ranges).toBe(ranges);
    d.destroy();
  });

  it("reserves the host bridge windows: nothing is mapped inside them, and the books count them", () => {
    const { d, dma } = make(1, 65536);
    // Everything from 0x1000_0000 (pfn 4096) to the top of 4 GiB is a window: 4095 pfns stay usable.
    dma.reservePciWindows([{ start: 0x1000_0000, end: 0xffff_ffff }]);
    expect(dma.reservedRanges).toBe(1);
    const out = new Float64Array(2);
    const got: number[] = [];
    for (;;) {
      dma.mapIo(0, 65536, 1 << 30, 2 ** 20 - 1, true, out, 0);
      if (dma.lastFellBack) break;
      expect(out[0]).toBeLessThan(4096);
      got.push(out[0]!);
    }
    expect(got.length).toBe(4095);
    expect(dma.books(got.length + 1).ok).toBe(true);
    expect(dma.books(got.length).ok).toBe(false);  // one range nobody accounts for
    expect(dma.books(got.length).problem).toMatch(/neither reserved, mapped nor cached/);
    d.destroy();
  });
});

describe("books", () => {
  it("refuse a run that left entries in a flush queue", () => {
    const { d, dma } = make();
    const out = new Float64Array(2);
    dma.mapIo(0, 4096, 1 << 20, 2 ** 36 - 1, true, out, 0);
    dma.unmapIova(0, out[0]!, 1, false, 0);
    expect(dma.books(0)).toEqual({ ok: false, problem: "entries are still in a flush queue" });
    expect(dma.drain(3)).toBe(1);
    expect(dma.books(0)).toEqual({ ok: true, problem: null });
    d.destroy();
  });

  it("refuse a domain made without a flush queue", () => {
    const d = new IovaDomain(4096, 1, { cpus: 1 });
    expect(() => new DmaPath(d)).toThrow(/flushQueue/);
  });
});
