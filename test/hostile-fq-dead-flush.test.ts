// A domain flush whose CPU died in its IOTLB invalidation (a worker
// terminated in the host's modelled wait) raised start_cnt and never
// finish_cnt: finish_cnt stays one behind for good. The end-of-run drain
// (fqDrain, also the host's recovery after a dead worker: fio's recover.ts)
// must still free every queued entry, by its own flush's start count. Here
// the death is the host hook throwing out of the invalidation, which leaves
// the counters exactly as a terminated worker does, on one thread.
import { describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/domain/iova-domain.js";
import { DmaPath } from "../dist/src/domain/dma.js";

function make(cpus: number): { d: IovaDomain; dma: DmaPath } {
  const d = new IovaDomain(4096, 1, { cpus, policy: "linux-5.10", maxRanges: 10_000, flushQueue: { size: 64, timeoutMs: 10, hz: 250 } });
  return { d, dma: new DmaPath(d) };
}

function mapAndQueue(dma: DmaPath, cpu: number, n: number, nowMs: number): void {
  const out = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    expect(dma.mapIo(cpu, 4096, 1 << 20, 2 ** 36 - 1, true, out, 0)).toBe(1);
    dma.unmapIova(cpu, out[0]!, 1, false, nowMs);
  }
}

/** Runs `flush` with the invalidation dying inside it; returns what it threw. */
function dyingFlush(dma: DmaPath, flush: () => unknown): unknown {
  dma.hostInvalidation(() => { throw new Error("the CPU died in the IOTLB wait"); });
  try {
    flush();
    return null;
  } catch (e) {
    return e;
  } finally {
    dma.hostInvalidation(null);
  }
}

describe("fqDrain after a flush whose CPU died", () => {
  it("a dead timer flush: the drain frees the entries queued before and after it, and the books close", () => {
    const { d, dma } = make(2);
    mapAndQueue(dma, 0, 3, 0);
    mapAndQueue(dma, 1, 2, 0);
    expect(String(dyingFlush(dma, () => dma.pollTimer(1, 100)))).toMatch(/died in the IOTLB wait/);
    const g = dma.statsDump();
    expect(g.global("startCnt") - g.global("finishCnt")).toBe(1);  // the dead flush's lag
    mapAndQueue(dma, 0, 4, 101);
    mapAndQueue(dma, 1, 1, 101);
    expect(dma.pending()).toBe(10);
    // Before: the drain's flush left finish_cnt at the stamp of the 5 queued after the dead flush; 5 stayed.
    expect(dma.drain(0)).toBe(10);
    expect(dma.pending()).toBe(0);
    expect(dma.books(0)).toEqual({ ok: true, problem: null });
    d.destroy();
  });

  it("after a dead flush a full ring still frees (two flushes, not a wrap) and the drain closes the books", () => {
    const { d, dma } = make(1);
    expect(dyingFlush(dma, () => dma.drain(0))).not.toBeNull();  // a drain's flush dies, nothing queued yet
    mapAndQueue(dma, 0, 63, 101);  // 63: a 64-slot ring is full
    const out = new Float64Array(2);
    expect(dma.mapIo(0, 4096, 1 << 20, 2 ** 36 - 1, true, out, 0)).toBe(1);
    const bits = dma.unmapIova(0, out[0]!, 1, false, 101);
    // The first flush covers nothing queued since the dead one started (finish_cnt one behind); the second does.
    expect(bits >>> 2).toBe(2);
    expect(dma.pending()).toBe(1);
    expect(dma.drain(0)).toBe(1);
    expect(dma.books(0)).toEqual({ ok: true, problem: null });
    d.destroy();
  });
});
