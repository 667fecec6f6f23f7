// The WebAssembly JS API as far as this package uses it. Node has it at run
// time, but neither lib.es2022 nor @types/node declares it. Compile-time only:
// the public .d.ts use src/wasm/types.ts instead, so that they need no lib.
declare namespace WebAssembly {
  interface ModuleEntry {
    module?: string;
    name: string;
    kind: string;
  }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
    static exports(module: Module): ModuleEntry[];
    static imports(module: Module): (ModuleEntry & { module: string })[];
  }
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Global {
    value: number;
  }
  type Imports = Record<string, Record<string, unknown>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class RuntimeError extends Error {}
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  /** Takes a fetch() Response (served as application/wasm) or a promise of one. */
  function compileStreaming(source: unknown): Promise<Module>;
}
