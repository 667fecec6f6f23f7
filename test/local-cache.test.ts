// LocalCache: a JS-side magazine in front of one CPU's wasm caches.
import { describe, expect, it } from 'vitest';
import { IovaDomain, LocalCache, InvalidArgumentError, CacheClosedError, DomainDestroyedError } from '../dist/src/index.js';

function domain() {
  return new IovaDomain(4096, 1, { maxRanges: 1 << 16, policy: 'linux-6.4' });
}

describe('LocalCache', () => {
  it('hands out size-aligned ranges under the limit, never one twice while live', () => {
    const d = domain();
    const c = new LocalCache(d, { limitPfn: 100_000, batch: 16 });
    const live = new Map<number, number>();
    const owner = new Uint8Array(100_001);  // 1 where a live range covers the page
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20_000; i++) {
      if (live.size === 0 || rnd() < 0.55) {
        const size = 1 << Math.floor(rnd() * 6);
        const pfn = c.alloc(size)!;
        expect(pfn).not.toBeNull();
        expect(pfn % size).toBe(0);
        expect(pfn + size - 1).toBeLessThanOrEqual(100_000);
        for (let q = pfn; q < pfn + size; q++) {
          if (owner[q]) throw new Error(`pfn ${q} handed out while live`);
          owner[q] = 1;
        }
        live.set(pfn, size);
      } else {
        const [p, s] = live.entries().next().value as [number, number];
        live.delete(p);
        owner.fill(0, p, p + s);
        c.free(p, s);
      }
      if (i % 5000 === 0) d.check();
    }
    // The domain sees every range this thread holds, live or cached, as allocated.
    const held = c.held().reduce((a, b) => a + b, 0);
    expect(d.stats().ranges).toBe(live.size + held + d.cacheStats().total);
    for (const [p, s] of live) c.free(p, s);
    c.flush();
    expect(c.held()).toEqual([0, 0, 0, 0, 0, 0]);
    c.close();
    expect(() => c.held()).toThrow(CacheClosedError);
    d.flushAll();
    expect(d.stats().ranges).toBe(0);
    d.check();
  });

  it('a second thread view cannot get what this cache holds', () => {
    const d = domain();
    const c = new LocalCache(d, { limitPfn: 64, batch: 64 });
    expect(c.alloc(1)).not.toBeNull();   // the refill took the whole space
    expect(d.allocFast(1, 64, true)).toBeNull();
    c.close();
    expect(d.allocFast(1, 64, true)).not.toBeNull();
  });

  it('refuses bad sizes, pfns and limits with typed errors naming the value', () => {
    const d = domain();
    const c = new LocalCache(d, { limitPfn: 1000 });
    for (const bad of [0, 33, 1.5, NaN, -1]) {
      expect(() => c.alloc(bad)).toThrow(InvalidArgumentError);
      try { c.alloc(bad); } catch (e) { expect((e as InvalidArgumentError).value).toBe(bad); }
    }
    expect(() => c.free(0, 1)).toThrow(InvalidArgumentError);
    expect(() => c.free(1001, 1)).toThrow(InvalidArgumentError);
    expect(() => new LocalCache(d, { limitPfn: 0 })).toThrow(InvalidArgumentError);
    expect(() => new LocalCache(d, { limitPfn: 10, batch: 0 })).toThrow(InvalidArgumentError);
    c.close();
    expect(() => c.alloc(1)).toThrow(CacheClosedError);
  });

  // alloc() and free() test one word (the domain's shared destroyed word, or
  // the cache's own after close()): each way of ending must still be told apart.
  it('after the domain\'s destroy(), alloc and free throw DomainDestroyedError; after close(), CacheClosedError', () => {
    const d = domain();
    const c = new LocalCache(d, { limitPfn: 1000, batch: 4 });
    const p = c.alloc(2)!;
    d.destroy();
    for (const call of [() => c.alloc(2), () => c.free(p, 2)]) {
      let caught: unknown;
      try { call(); } catch (e) { caught = e; }
      expect(caught).toBeInstanceOf(DomainDestroyedError);
    }
    const d2 = domain();
    const c2 = new LocalCache(d2, { limitPfn: 1000, batch: 4 });
    const p2 = c2.alloc(1)!;
    c2.free(p2, 1);
    c2.close();
    expect(() => c2.alloc(1)).toThrow(CacheClosedError);
    expect(() => c2.free(p2, 1)).toThrow(CacheClosedError);
    d2.destroy();
    expect(() => c2.alloc(1)).toThrow(CacheClosedError);  // closed first: the cache's own end is named
    // close() gave every range back: the domain held none of this cache's.
    const d3 = domain();
    const c3 = new LocalCache(d3, { limitPfn: 1000, batch: 4 });
    c3.free(c3.alloc(4)!, 4);
    c3.close();
    d3.flushAll();
    expect(d3.stats().ranges).toBe(0);
  });

  // The stacks are 32-bit while every pfn up to limitPfn fits in an int32,
  // doubles above: both layouts must hand out exactly what the domain gave,
  // at the int32 edge and far above it.
  for (const limitPfn of [2 ** 31 - 1, 2 ** 31, 2 ** 40 + 12_345]) {
    it(`keeps every pfn exact with limitPfn ${limitPfn} (near the top of the space)`, () => {
      const d = domain();
      const c = new LocalCache(d, { limitPfn, batch: 8 });
      const live = new Map<number, number>();
      const pages = new Set<number>();  // every page a live range covers
      for (let i = 0; i < 600; i++) {
        const size = 1 << (i % 6);
        const pfn = c.alloc(size)!;
        expect(pfn).not.toBeNull();
        expect(Number.isSafeInteger(pfn)).toBe(true);
        expect(pfn % size).toBe(0);
        expect(pfn + size - 1).toBeLessThanOrEqual(limitPfn);
        expect(pfn).toBeGreaterThan(limitPfn - 2 ** 20);  // from the top: the 32-bit edge is crossed where it exists
        for (let q = pfn; q < pfn + size; q++) {
          if (pages.has(q)) throw new Error(`pfn ${q} handed out while live`);
          pages.add(q);
        }
        live.set(pfn, size);
        if (i % 3 === 2) {  // give some back, so pfns go round through the stacks and the spills
          const [p, s] = live.entries().next().value as [number, number];
          live.delete(p);
          for (let q = p; q < p + s; q++) pages.delete(q);
          c.free(p, s);
        }
      }
      // What the domain holds is what is live here plus what the cache keeps.
      expect(d.stats().ranges).toBe(live.size + c.held().reduce((a, b) => a + b, 0) + d.cacheStats().total);
      for (const [p, s] of live) {
        expect(d.find(p)?.lo).toBe(p);  // the domain holds the exact pfn the cache handed out
        c.free(p, s);
      }
      c.close();
      d.flushAll();
      expect(d.stats().ranges).toBe(0);
      d.check();
      d.destroy();
    });
  }

  it('refuses an object that only looks like a domain', () => {
    const fake = { allocFastBatch() { return new Float64Array(0); }, freeFastBatch() {}, isDestroyed: false, startPfn: 1 };
    expect(() => new LocalCache(fake as never, { limitPfn: 10 })).toThrow(InvalidArgumentError);
    // Also one with every member the cache uses, the shared destroyed flag included.
    const d = domain();
    const lookalike = { ...fake, destroyedFlag: d.destroyedFlag, dma32Pfn: d.dma32Pfn };
    expect(() => new LocalCache(lookalike as never, { limitPfn: 10 })).toThrow(InvalidArgumentError);
    d.destroy();
  });
});
