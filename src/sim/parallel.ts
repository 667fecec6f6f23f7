// Runs simulations in worker threads, at most `parallel` at a time, so the
// policies of a study share the machine's cores. Each run is the same
// deterministic simulation as simulate() in this thread.
import { Worker } from "node:worker_threads";
import { SimBooksError, type SimResult } from "./engine.js";
import type { SimOptions, SimProgress } from "./options.js";
import type { WorkerMessage } from "./worker.js";

/** simulate() in a worker thread. Rejects with SimBooksError (carrying the result) when the books fail. */
export function simulateInWorker(options: SimOptions, onProgress?: (p: SimProgress) => void): Promise<SimResult> {
  const { onProgress: _ignored, ...opts } = options;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./worker.js", import.meta.url));
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on("message", (m: WorkerMessage) => {
      if (m.kind === "progress") onProgress?.(m.progress);
      else if (m.kind === "done") finish(() => (m.booksFailed ? reject(new SimBooksError(m.result)) : resolve(m.result)));
      else finish(() => reject(Object.assign(new Error(m.message), { stack: m.stack })));
    });
    worker.on("error", (e) => finish(() => reject(e)));
    worker.on("exit", (code) => finish(() => reject(new Error(`simulation worker exited with code ${code}`))));
    worker.postMessage(opts);
  });
}

/**
 * Runs every option set, `parallel` at a time (1: one after another, in
 * worker threads all the same). Results come back in input order; a failed
 * run rejects the whole batch, except SimBooksError, which is returned as
 * its result so the caller can report it. Once a run's `stop` flag is set,
 * the runs not yet started are skipped: their entries stay undefined.
 */
export async function simulateAll(
  runs: readonly SimOptions[],
  parallel: number,
  hooks: { onProgress?: (index: number, p: SimProgress) => void; onDone?: (index: number, r: SimResult, booksOk: boolean) => void } = {},
): Promise<Array<{ result: SimResult; booksOk: boolean } | undefined>> {
  const out: Array<{ result: SimResult; booksOk: boolean } | undefined> = new Array(runs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runs.length) {
      const i = next++;
      const stop = runs[i]!.stop;
      if (stop && Atomics.load(stop, 0) !== 0) continue;  // stopped: runs not yet started are left out
      let result: SimResult;
      let booksOk = true;
      try {
        result = await simulateInWorker(runs[i]!, (p) => hooks.onProgress?.(i, p));
      } catch (e) {
        if (!(e instanceof SimBooksError)) throw e;
        result = e.result;
        booksOk = false;
      }
      out[i] = { result, booksOk };
      hooks.onDone?.(i, result, booksOk);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, runs.length)) }, lane));
  return out;
}
