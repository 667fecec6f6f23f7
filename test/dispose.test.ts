// `using` on domains, caches and arena views: each is released at the end of
// its scope, also when the scope throws, and disposing twice is harmless.
// (Node 20 has Symbol.dispose but not the `using` syntax; the test's
// transform lowers it, as TypeScript does for users with target < ESNext.)
import { describe, expect, it } from "vitest";
import { DomainDestroyedError, IovaDomain, LocalCache, SharedArena } from "../dist/src/index.js";

describe("Symbol.dispose", () => {
  it("is a symbol on this runtime, and every disposable class keys its method with it", () => {
    expect(typeof Symbol.dispose).toBe("symbol");
    for (const C of [IovaDomain, LocalCache, SharedArena]) {
      expect(typeof (C.prototype as unknown as Record<symbol, unknown>)[Symbol.dispose], C.name).toBe("function");
    }
  });

  it("destroys the domain its owner view made at the end of the scope", () => {
    let kept: IovaDomain;
    {
      using d = new IovaDomain(4096, 1, { cpus: 1, maxRanges: 64 });
      expect(d.alloc(8, 1000, true)).toBe(992);
      kept = d;
    }
    expect(kept.isDestroyed).toBe(true);
    expect(() => kept.alloc(1, 1000)).toThrow(DomainDestroyedError);
    kept[Symbol.dispose](); // a second dispose is a no-op, not a DomainDestroyedError
  });

  it("an attached view returns its CPU's cached ranges and leaves the shared domain alive", () => {
    using d = new IovaDomain(4096, 1, { cpus: 2, maxRanges: 1024 });
    {
      using cpu1 = IovaDomain.attach(d.handle, 1);
      const pfn = cpu1.allocFast(1, 100_000);
      cpu1.freeFast(pfn, 1); // parked in CPU 1's magazine
      expect(d.cacheStats().loaded[1]![0]).toBe(1);
    }
    expect(d.isDestroyed).toBe(false);
    expect(d.cacheStats().loaded[1]![0]).toBe(0);
    expect(d.alloc(1, 100_000)).not.toBe(0);
  });

  it("closes a LocalCache (its ranges go back to the domain), also when the scope throws", () => {
    using d = new IovaDomain(4096, 1, { cpus: 1, maxRanges: 4096 });
    let kept: LocalCache | undefined;
    let heldBefore = 0;
    expect(() => {
      using c = new LocalCache(d, { limitPfn: 1 << 20 });
      kept = c;
      c.free(c.alloc(1), 1);
      expect(c.held().some((n) => n > 0)).toBe(true);
      heldBefore = c.held().reduce((a, n) => a + n, 0);
      expect(d.cacheStats().total).toBe(0);
      throw new Error("boom");
    }).toThrow("boom");
    // The range the cache held is back in the domain's caches; the closed cache refuses every call.
    expect(d.cacheStats().total).toBe(heldBefore);
    expect(() => kept!.held()).toThrow(/closed/);
    expect(() => kept!.alloc(1)).toThrow(/closed/);
    kept![Symbol.dispose]();
  });

  it("closes an arena view; its worker index can be attached again", () => {
    const arena = SharedArena.create({ bytes: 1 << 20, workers: 1 });
    let view: SharedArena;
    {
      using w = SharedArena.attach(arena.handle, 0);
      view = w;
      w.free(w.alloc(100)!, 100);
    }
    expect(view.isClosed).toBe(true);
    using again = SharedArena.attach(arena.handle, 0);
    expect(again.alloc(100)).not.toBeNull();
    arena.close();
  });
});
