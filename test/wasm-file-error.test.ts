// A build file this package reads from build/ that is absent: WasmFileError
// naming the file (the path it looked at), never a raw ENOENT or a module
// compiled from nothing. And the per-domain call stub alloc() goes through
// (src/wasm/call-stub.ts): it forwards arguments, results and exceptions.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { IovaDomain } from "../dist/src/index.js";
import { IovaError, WasmFileError } from "../dist/src/errors.js";
import { ownCallSite } from "../dist/src/wasm/call-stub.js";
import { readPackagedModule, wasmPath } from "../dist/src/wasm/module.js";

describe("WasmFileError", () => {
  it("names the absent build file and says how to make it", () => {
    const file = "no-such-build.wasm";
    expect(existsSync(wasmPath(file))).toBe(false);
    let caught: unknown;
    try {
      readPackagedModule(file);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WasmFileError);
    expect(caught).toBeInstanceOf(IovaError);
    const err = caught as WasmFileError;
    expect(err.name).toBe("WasmFileError");
    expect(err.file).toBe(wasmPath(file));
    expect(err.message).toContain(wasmPath(file));
    expect(err.message).toContain("npm run build");
    expect(err.message).toContain("ENOENT");
  });

  it("reads a build file that is present", () => {
    const m = readPackagedModule("iova.wasm");
    expect(m).toBeInstanceOf(WebAssembly.Module);
  });
});

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
