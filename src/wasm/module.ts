// Loads the compiled module once per thread and instantiates it over a
// shared memory. Every worker instantiates the same Module over the same
// Memory; each instance has private globals, so shared state lives only in
// the domain regions (assembly/layout.ts).
//
// No Node built-in is imported here, so browsers load this file too: there the
// module is supplied with loadWasm() (src/wasm/load.ts) before the first
// domain; in Node, build/iova.wasm next to this package is read on first use
// through process.getBuiltinModule, which is not an import.
import type { IovaExports } from "./exports.js";
import type { WasmBuild, WasmMemory, WasmModule } from "./types.js";
import { WasmFileError } from "../errors.js";

export type { WasmBuild };

const WASM_PAGE = 65536;
let cached: WebAssembly.Module | undefined;

/** The little of Node this file uses, looked up at run time (absent in browsers). */
interface NodeProcess {
  env: Record<string, string | undefined>;
  getBuiltinModule?(id: "node:fs"): { readFileSync(path: URL): Uint8Array };
  getBuiltinModule?(id: "node:url"): { fileURLToPath(url: URL): string };
}
const node = (globalThis as { process?: NodeProcess }).process;

/** build/iova.wasm (release) or, with IOVA_WASM=debug, the build with assertions. */
function wasmFile(): string {
  return node?.env.IOVA_WASM === "debug" ? "iova.debug.wasm" : "iova.wasm";
}

/** build/`file` of this package (default: the worker core, wasmFile()). */
export function wasmUrl(file = wasmFile()): URL {
  return new URL(`../../../build/${file}`, import.meta.url);
}

/** The file wasmUrl() names, as a path (Node). */
export function wasmPath(file = wasmFile()): string {
  const url = node?.getBuiltinModule?.("node:url");
  return url ? url.fileURLToPath(wasmUrl(file)) : wasmUrl(file).href;
}

/** The packaged build build/`file`, read synchronously; undefined where there is no Node file system. */
export function readPackagedModule(file = wasmFile()): WebAssembly.Module | undefined {
  const fs = node?.getBuiltinModule?.("node:fs");
  if (!fs) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(wasmUrl(file));
  } catch (e) {
    throw new WasmFileError(wasmPath(file), `run \`npm run build\` first (${(e as Error).message})`);
  }
  return new WebAssembly.Module(bytes);
}

export function compiledModule(): WebAssembly.Module {
  cached ??= readPackagedModule();
  if (!cached) {
    const why = node ? `this Node (${(globalThis as { process?: { version?: string } }).process?.version}) has no process.getBuiltinModule (20.16+)`
      : "no wasm module loaded";
    throw new Error(`iova-wasm: ${why}: call \`await loadWasm(url | bytes | module)\` before creating a domain or arena`);
  }
  return cached;
}

/** True once a module is installed (loaded, adopted or read from the package). */
export function hasModule(): boolean {
  return cached !== undefined;
}

/**
 * Why `m` is not an iova-wasm module, or null when it is: it must import
 * only what instantiate() supplies and export the entry points a domain
 * calls first. Checked before a module is installed, so a foreign one is
 * refused instead of breaking every later domain of the thread.
 */
export function moduleProblem(m: WebAssembly.Module): string | null {
  const exports = new Set(WebAssembly.Module.exports(m).map((e) => e.name));
  const missing = CORE_ENTRY_POINTS.filter((n) => !exports.has(n));
  if (missing.length > 0) return `is not iova-wasm's (it exports no ${missing.join(", ")})`;
  const unknown = WebAssembly.Module.imports(m).filter((i) => i.module !== "env" || !SUPPLIED_IMPORTS.has(i.name));
  if (unknown.length > 0) return `is not iova-wasm's (it imports ${unknown.map((i) => `${i.module}.${i.name}`).join(", ")})`;
  return null;
}

/** What instantiate() gives the module (env.*). */
const SUPPLIED_IMPORTS = new Set(["memory", "flushIotlb", "abort"]);
/** The exports a domain calls before anything else (IovaDomain's constructor and attach). */
const CORE_ENTRY_POINTS = ["heapBase", "layoutBytes", "layoutMaxBytes", "domainInit", "domainProbe", "attach", "layoutField"];

/** Installs a compiled module: from loadWasm(), or passed from another thread (Modules are transferable). */
export function adoptModule(m: WasmModule): void {
  cached = m as WebAssembly.Module;
}

/** Most pages a 32-bit wasm memory can have (4 GiB). */
export const MAX_WASM_PAGES = 65536;

/**
 * A shared memory of `bytes` bytes that can grow to `maxBytes` (capped at
 * 4 GiB). Only the initial pages are allocated; the maximum is an address
 * reservation, which a shared memory needs because it can never move.
 */
export function newSharedMemory(bytes: number, maxBytes = bytes): WebAssembly.Memory {
  const pages = Math.ceil(bytes / WASM_PAGE);
  const maximum = Math.min(MAX_WASM_PAGES, Math.max(pages, Math.ceil(maxBytes / WASM_PAGE)));
  return new WebAssembly.Memory({ initial: pages, maximum, shared: true });
}

/**
 * A memory of one thread's own (not shared), for the single-threaded build
 * (build/iova-sim.wasm), made at its full `bytes` from the start: a
 * non-shared memory moves when it grows, which detaches every view the host
 * holds of it, so it must never grow. Pages never written are never backed.
 */
export function newPrivateMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.min(MAX_WASM_PAGES, Math.ceil(bytes / WASM_PAGE));
  return new WebAssembly.Memory({ initial: pages, maximum: pages });
}

/** A memory for `build`: shared and growable to `maxBytes`, or private at its full `maxBytes`. */
export function newMemoryFor(build: WasmBuild, bytes: number, maxBytes = bytes): WebAssembly.Memory {
  return build.shared ? newSharedMemory(bytes, maxBytes) : newPrivateMemory(maxBytes);
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

export function instantiate(memory: WasmMemory, module: WasmModule = compiledModule()): IovaExports {
  const inst = new WebAssembly.Instance(module as WebAssembly.Module, {
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
function readString(memory: WasmMemory, ptr: number): string {
  if (!ptr) return "";
  const u32 = new Uint32Array(memory.buffer);
  const len = u32[(ptr - 4) >>> 2] >>> 1;
  const u16 = new Uint16Array(memory.buffer, ptr, len);
  return String.fromCharCode(...u16);
}
