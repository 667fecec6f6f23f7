// A build file this package reads from build/ that is absent: WasmFileError
// naming the file (the path it looked at), never a raw ENOENT or a module
// compiled from nothing.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { IovaError, WasmFileError } from "../dist/src/errors.js";
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
