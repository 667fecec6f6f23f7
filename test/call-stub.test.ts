// The per-domain call stub alloc() goes through (src/wasm/call-stub.ts): it
// forwards arguments, results and exceptions, both as the stub built from
// fresh source and as the closure it falls back to where eval is refused.
import { describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/index.js";
import { ownCallSite } from "../dist/src/wasm/call-stub.js";

describe("ownCallSite", () => {
  it("forwards the four arguments and the result", () => {
    const seen: number[][] = [];
    const stub = ownCallSite((a, b, c, d) => {
      seen.push([a, b, c, d]);
      return a + b * c - d;
    });
    expect(stub(1, 2, 3, 4)).toBe(3);
    expect(seen).toEqual([[1, 2, 3, 4]]);
  });

  it("passes an exception through unchanged", () => {
    const boom = new RangeError("boom");
    const stub = ownCallSite(() => {
      throw boom;
    });
    expect(() => stub(0, 0, 0, 0)).toThrow(boom);
  });

  it("gives each domain its own stub, and each still allocates from its own instance", () => {
    const a = new IovaDomain(4096, 1, { maxRanges: 64, policy: "tree-only" });
    const b = new IovaDomain(4096, 1, { maxRanges: 64, policy: "tree-only" });
    expect(a.coreAlloc).not.toBe(b.coreAlloc);
    // Alternate the two through the one alloc() call site: each top-down from its own limit.
    expect(a.alloc(1, 100)).toBe(100);
    expect(b.alloc(1, 200)).toBe(200);
    expect(a.alloc(1, 100)).toBe(99);
    expect(b.alloc(1, 200)).toBe(199);
    a.destroy();
    b.destroy();
  });
});

describe("ownCallSite where new Function is refused (a Content-Security-Policy without 'unsafe-eval')", () => {
  /** Runs body with globalThis.Function replaced by one that throws as a refused eval does. */
  function withEvalRefused<T>(body: () => T): T {
    const real = globalThis.Function;
    let tried = 0;
    globalThis.Function = function refused() {
      tried++;
      throw new EvalError("Refused to evaluate a string as JavaScript: 'unsafe-eval' is not allowed");
    } as unknown as FunctionConstructor;
    try {
      const r = body();
      expect(tried).toBe(1);
      return r;
    } finally {
      globalThis.Function = real;
    }
  }

  it("the closure it falls back to forwards the arguments and the result", () => {
    const seen: number[][] = [];
    const stub = withEvalRefused(() => ownCallSite((a, b, c, d) => {
      seen.push([a, b, c, d]);
      return a + b * c - d;
    }));
    // Not the fresh-source stub: that one is named after the function it was built as.
    expect(stub.name).not.toBe("ownCallSite");
    expect(stub(1, 2, 3, 4)).toBe(3);
    expect(seen).toEqual([[1, 2, 3, 4]]);
  });

  it("the closure passes an exception through unchanged", () => {
    const boom = new RangeError("boom");
    const stub = withEvalRefused(() => ownCallSite(() => {
      throw boom;
    }));
    expect(() => stub(0, 0, 0, 0)).toThrow(boom);
  });
});
