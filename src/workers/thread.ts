// The one way the host starts a worker thread. CpuPool's CPUs (pool.ts) and
// the study's simulations (src/sim/parallel.ts) both start theirs here, so
// how a thread's messages, its uncaught error and its exit reach the host
// is written once: the error arrives before the exit, and the exit after
// every message the thread posted (Node delivers them first), carrying the
// error if there was one.
import { Worker, type WorkerOptions } from "node:worker_threads";

/** How a thread ended: its exit code, and its uncaught error if it crashed. */
export interface ThreadEnd {
  code: number;
  crash?: Error;
}

export interface ThreadHooks<M> {
  /** Each message the thread posts, in order. */
  onMessage(m: M): void;
  /** Its uncaught error, at once (onExit follows with it in `crash`). */
  onError?(e: Error): void;
  /** Once, after the last message. */
  onExit(end: ThreadEnd): void;
}

/**
 * Starts `script` as a worker thread. Throws what the Worker constructor throws (a
 * script or options it refuses); everything later arrives through `hooks`.
 */
export function startThread<M>(script: URL | string, options: WorkerOptions, hooks: ThreadHooks<M>): Worker {
  const worker = new Worker(script, options);
  let crash: Error | undefined;
  worker.on("message", (m: M) => hooks.onMessage(m));
  worker.on("error", (e: Error) => {
    crash = e;
    hooks.onError?.(e);
  });
  worker.on("exit", (code: number) => hooks.onExit({ code, crash }));
  return worker;
}
