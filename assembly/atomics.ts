// Atomic access to shared words, or plain access in the single-threaded build.
//
// The same sources build two modules (asconfig.json): the worker core
// (build/iova.wasm, --sharedMemory --enable threads), whose words other
// threads read and write, and the simulator's (build/iova-sim.wasm, no
// threads, a memory of its own), where one thread does everything and a
// seq-cst store or a `lock cmpxchg` would only cost time. THREADS is the
// compiler's feature flag: `if (THREADS)` is resolved at compile time and the
// other branch is never compiled, so the simulator's build contains no
// atomic instruction at all. Every atomic access of the core goes through
// these wrappers, so the two builds differ only here and in lock.ts.

// @ts-ignore: decorator
@inline export const THREADS: bool = ASC_FEATURE_THREADS;

// @ts-ignore: decorator
@inline export function atomicLoad<T>(ptr: usize): T {
  if (THREADS) return atomic.load<T>(ptr);
  return load<T>(ptr);
}

// @ts-ignore: decorator
@inline export function atomicStore<T>(ptr: usize, value: T): void {
  if (THREADS) atomic.store<T>(ptr, value);
  else store<T>(ptr, value);
}

/** Adds `value`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicAdd<T>(ptr: usize, value: T): T {
  if (THREADS) return atomic.add<T>(ptr, value);
  let old = load<T>(ptr);
  store<T>(ptr, old + value);
  return old;
}

/** Subtracts `value`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicSub<T>(ptr: usize, value: T): T {
  if (THREADS) return atomic.sub<T>(ptr, value);
  let old = load<T>(ptr);
  store<T>(ptr, old - value);
  return old;
}

/** Stores `replacement` if the word holds `expected`; returns what it held. */
// @ts-ignore: decorator
@inline export function atomicCmpxchg<T>(ptr: usize, expected: T, replacement: T): T {
  if (THREADS) return atomic.cmpxchg<T>(ptr, expected, replacement);
  let old = load<T>(ptr);
  if (old == expected) store<T>(ptr, replacement);
  return old;
}

/** Wakes up to `count` waiters of the word; with no threads there are none. */
// @ts-ignore: decorator
@inline export function atomicNotify(ptr: usize, count: i32): i32 {
  if (THREADS) return atomic.notify(ptr, count);
  return 0;
}

/**
 * Waits while the word holds `expected`, at most `timeoutNs`. With no threads
 * nobody could ever change the word: reaching a wait is a bug, so it traps.
 */
// @ts-ignore: decorator
@inline export function atomicWait32(ptr: usize, expected: i32, timeoutNs: i64): i32 {
  if (THREADS) return memory.atomic.wait32(ptr, expected, timeoutNs);
  unreachable();
  return 0;
}
