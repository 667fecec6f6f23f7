// Symbol.dispose, so that `using` releases domains, caches and arena views
// (TypeScript 5.2+ with lib esnext.disposable, or runtimes with explicit
// resource management). Node 20.4+ and current browsers define the symbol;
// older runtimes get the polyfill TypeScript's own helpers look for, so the
// methods below are never keyed "undefined".
if (typeof Symbol.dispose !== "symbol") {
  Object.defineProperty(Symbol, "dispose", { value: Symbol.for("Symbol.dispose"), configurable: false, writable: false });
}

// The declaration lib.esnext.disposable and @types/node make, repeated so the
// .d.ts of this package compile under a plain ES2022 lib too (identical
// declarations merge).
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** What `using` needs: a [Symbol.dispose]() method. */
export interface DisposableView {
  [Symbol.dispose](): void;
}
