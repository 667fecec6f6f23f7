// loadWasm(): the module from a URL (fetched; streaming compile when served as
// application/wasm), from bytes, or as a compiled Module; anything else, a
// failed fetch or bytes that are no module are refused with a typed error.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { IovaDomain, InvalidArgumentError, loadWasm } from "../dist/src/index.js";
import { wasmPath } from "../dist/src/wasm/module.js";
import { serveExample, type ExampleServer } from "../dist/examples/browser/serve.js";

const bytes = readFileSync(wasmPath());
let server: ExampleServer | undefined;
afterAll(() => server?.close());

/** A domain works on whatever module is installed now. */
function works(): void {
  const d = new IovaDomain(4096, 1, { maxRanges: 64 });
  expect(d.alloc(8, 1000, true)).toBe(992);
  d.destroy();
}

describe("loadWasm", () => {
  it("takes the bytes (Buffer, ArrayBuffer) and a compiled WebAssembly.Module", async () => {
    const m = await loadWasm(bytes);
    expect(m).toBeInstanceOf(WebAssembly.Module);
    works();
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(await loadWasm(ab)).toBeInstanceOf(WebAssembly.Module);
    const compiled = new WebAssembly.Module(bytes);
    expect(await loadWasm(compiled)).toBe(compiled);
    works();
  });

  it("fetches a URL (string or URL object)", async () => {
    server = await serveExample(0);
    const url = new URL("/iova-wasm/iova.wasm", server.url);
    expect(await loadWasm(url)).toBeInstanceOf(WebAssembly.Module);
    expect(await loadWasm(url.href)).toBeInstanceOf(WebAssembly.Module);
    works();
  });

  it("refuses a failed fetch, bytes that are no module, and other values, naming them", async () => {
    server ??= await serveExample(0);
    const missing = new URL("/iova-wasm/missing.js", server.url).href;
    await expect(loadWasm(missing)).rejects.toThrow(InvalidArgumentError);
    await expect(loadWasm(missing)).rejects.toThrow(`source could not be fetched (HTTP 404): got "${missing}"`);
    const junk = loadWasm(new Uint8Array([1, 2, 3, 4]));
    await expect(junk).rejects.toThrow(InvalidArgumentError);
    await expect(loadWasm(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/source is not a WebAssembly module/);
    for (const bad of [42, null, undefined, {}, [1, 2]]) {
      await expect(loadWasm(bad as never)).rejects.toMatchObject({ name: "InvalidArgumentError", argument: "source" });
    }
    works(); // a refused source leaves the installed module alone
  });
});
