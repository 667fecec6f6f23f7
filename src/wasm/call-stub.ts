// A call into one wasm instance's export through a function of its own, so
// the host's call site stays monomorphic however many domains a thread holds.
//
// Why: every domain is its own wasm instance, so IovaDomain.alloc()'s call
// `this.ex.alloc(...)` meets one target per domain. Once a second domain has
// called alloc(), V8 deopts alloc() ("wrong call target", --trace-deopt) and
// reaches the core through the generic JS-to-wasm wrapper instead of the
// inlined one: the fast-fail repeat read 29 -> 65 ns (4b971b6). A stub built
// from fresh source (new Function) is a function of its own with its own
// feedback, so the call inside it sees one target and V8 inlines it; the
// call from alloc() to the stub is a plain JS call, cheap when polymorphic.
// Closures of one function literal would not do: they share the literal's
// feedback, hence its polymorphism.
//
// Where eval is refused (a page's Content-Security-Policy without
// 'unsafe-eval'), the stub is a closure: the same results, the slower call.

export type Alloc4 = (base: number, size: number, limit: number, aligned: number) => number;

/** `f` behind a call site of its own (see above); same arguments, result and exceptions. */
export function ownCallSite(f: Alloc4): Alloc4 {
  try {
    return new Function("f", 'return function ownCallSite(a, b, c, d) { return f(a, b, c, d); };')(f) as Alloc4;
  } catch {
    return (a, b, c, d) => f(a, b, c, d);
  }
}
