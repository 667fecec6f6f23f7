// Loads the compiled module once per thread and instantiates it over a
// shared memory. Every worker instantiates the same Module over the same
// Memory; each instance has private globals, so shared state lives only in
// the domain regions (assembly/layout.ts).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { IovaExports } from "./exports.js";

const WASM_PAGE = 65536;
let cached: WebAssembly.Module | undefined;

/** build/iova.wasm (release) or, with IOVA_WASM=debug, the build with assertions. */
export function wasmPath(): string {
  const file = process.env.IOVA_WASM === "debug" ? "iova.debug.wasm" : "iova.wasm";
  return fileURLToPath(new URL(`../../../build/${file}`, import.meta.url));
}

export function compiledModule(): WebAssembly.Module {
  if (!cached) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(wasmPath());
    } catch (e) {
      throw new Error(`iova-wasm: cannot read ${wasmPath()}; run \`npm run build\` first (${(e as Error).message})`);
    }
    cached = new WebAssembly.Module(bytes);
  }
  return cached;
}

/** Installs a module passed from another thread (Modules are transferable). */
export function adoptModule(m: WebAssembly.Module): void {
  cached = m;
}

export function newSharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / WASM_PAGE);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

let iotlbHook: () => void = () => {};

/**
 * What this thread does for each IOTLB invalidation the core makes when its
 * flush queue has hostFlush set (fqSetHostFlush): the real-clock runner's
 * modelled wait. The simulator leaves it unset and charges the cost itself.
 */
export function setIotlbFlushHook(fn: () => void): void {
  iotlbHook = fn;
}

export function instantiate(memory: WebAssembly.Memory, module = compiledModule()): IovaExports {
  const inst = new WebAssembly.Instance(module, {
    env: {
      memory,
      flushIotlb() {
        iotlbHook();
      },
      abort(msg: number, file: number, line: number, col: number) {
        throw new Error(`iova-wasm: wasm abort at ${readString(memory, file)}:${line}:${col}: ${readString(memory, msg)}`);
      },
    },
  });
  return inst.exports as unknown as IovaExports;
}

/** AssemblyScript strings: UTF-16 with the byte length at ptr - 4. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return "";
  const u32 = new Uint32Array(memory.buffer);
  const len = u32[(ptr - 4) >>> 2] >>> 1;
  const u16 = new Uint16Array(memory.buffer, ptr, len);
  return String.fromCharCode(...u16);
}
