// loadWasm(): supplies the compiled module where this package cannot read its
// own build/iova.wasm (browsers, bundlers, Deno without file access), or
// replaces it. Takes what a page has at hand: a URL to fetch, the bytes, or a
// WebAssembly.Module compiled elsewhere. Workers need not call it: the
// module travels to them inside every domain and arena handle.
import { InvalidArgumentError } from "../errors.js";
import { adoptModule, moduleProblem } from "./module.js";
import type { WasmModule } from "./types.js";

/** Where the module comes from: a URL (string or URL object), its bytes, or the compiled module. */
export type WasmSource = string | { readonly href: string } | ArrayBuffer | ArrayBufferView | WasmModule;

/** fetch() as far as this file uses it: declared here so the .d.ts needs neither lib.dom nor @types/node. */
interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
  clone(): FetchResponse;
}
type Fetch = (url: string) => Promise<FetchResponse>;

async function fetchModule(href: string): Promise<WebAssembly.Module> {
  const fetchFn = (globalThis as { fetch?: Fetch }).fetch;
  if (!fetchFn) throw new InvalidArgumentError("source", href, "is a URL, but this runtime has no fetch(): pass the bytes instead");
  const res = await fetchFn(href);
  if (!res.ok) throw new InvalidArgumentError("source", href, `could not be fetched (HTTP ${res.status})`);
  // Streaming compilation needs the right MIME type; without it, compile the bytes.
  if (res.headers.get("content-type")?.split(";")[0]?.trim() === "application/wasm") {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

/**
 * Compiles (or takes) the iova-wasm module and installs it for this thread;
 * domains and arenas created afterwards use it. Resolves with the module.
 * @throws InvalidArgumentError for a source that is none of the above, a URL that fails, or bytes that are not a module
 */
export async function loadWasm(source: WasmSource): Promise<WasmModule> {
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) {
    module = source;
  } else if (typeof source === "string" || (typeof source === "object" && source !== null && "href" in source)) {
    const href = typeof source === "string" ? source : (source as { href: unknown }).href;
    if (typeof href !== "string") throw new InvalidArgumentError("source", source, "has an href that is not a string");
    try {
      module = await fetchModule(href);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw e;
      throw new InvalidArgumentError("source", href, `could not be fetched and compiled (${(e as Error)?.message ?? String(e)})`);
    }
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    try {
      module = await WebAssembly.compile(source);
    } catch (e) {
      throw new InvalidArgumentError("source", `(${source.byteLength} bytes)`, `is not a WebAssembly module (${(e as Error).message})`);
    }
  } else {
    throw new InvalidArgumentError("source", source, "must be a URL, an ArrayBuffer or typed array of the module's bytes, or a WebAssembly.Module");
  }
  const problem = moduleProblem(module);
  if (problem !== null) throw new InvalidArgumentError("source", "(a WebAssembly module)", problem);
  adoptModule(module);
  return module;
}
