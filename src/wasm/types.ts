// The WebAssembly objects the public API hands out, declared by this package
// for its own .d.ts. Only lib.dom declares the global WebAssembly namespace
// (not lib.es*, not @types/node), and a global declaration shipped here would
// clash with the DOM's in browser projects; these module-scoped shapes need no
// lib at all, and real WebAssembly.Memory / WebAssembly.Module values satisfy
// them, so typed code on either side passes its objects straight through.

/** A WebAssembly.Memory (shared: its buffer is a SharedArrayBuffer). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(delta: number): number;
}

/** A compiled WebAssembly.Module (opaque here; structured-cloneable to workers). */
export interface WasmModule {}

/**
 * A compiled build of the core and the memory it imports: the worker core
 * (shared memory, atomics) or the single-threaded simulator's (a private
 * memory, plain loads and stores: assembly/atomics.ts).
 */
export interface WasmBuild {
  module: WasmModule;
  shared: boolean;
}

/** A WebAssembly.Global holding an i32. */
export interface WasmGlobal {
  value: number;
}
