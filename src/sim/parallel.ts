// Runs simulations in worker threads, at most `parallel` at a time, so the
// policies of a study share the machine's cores. Each run is the same
// deterministic simulation as simulate() in this thread. The threads start
// as CpuPool's do (src/workers/thread.ts); a simulation needs no shared
// domain, so it is not a pool CPU.
import { startThread } from "../workers/thread.js";
import type { SimResult } from "./engine.js";
import type { SimOptions, SimProgress } from "./options.js";
import type { WorkerMessage } from "./worker.js";

/** simulate() in a worker thread: the same result, books verdict included (options.stop ends it early, drained). */
export function simulateInWorker(options: SimOptions, onProgress?: (p: SimProgress) => void): Promise<SimResult> {
  const { onProgress: _ignored, ...opts } = options;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    const worker = startThread<WorkerMessage>(new URL("./worker.js", import.meta.url), {}, {
      onMessage: (m) => {
        if (m.kind === "progress") onProgress?.(m.progress);
        else if (m.kind === "done") finish(() => resolve(m.result));
        else finish(() => reject(Object.assign(new Error(m.message), { stack: m.stack })));
      },
      onError: (e) => finish(() => reject(e)),
      onExit: ({ code }) => finish(() => reject(new Error(`simulation worker exited with code ${code}`))),
    });
    worker.postMessage(opts);
  });
}

/**
 * Runs every option set, `parallel` at a time (1: one after another, in
 * worker threads all the same). Results come back in input order, each with
 * its books verdict (`result.books`); a run that fails otherwise rejects the
 * whole batch. Once a run's `stop` flag is set, the runs not yet started
 * are skipped: their entries stay undefined.
 */
export async function simulateAll(
  runs: readonly SimOptions[],
  parallel: number,
  hooks: { onProgress?: (index: number, p: SimProgress) => void; onDone?: (index: number, r: SimResult) => void } = {},
): Promise<Array<SimResult | undefined>> {
  const out: Array<SimResult | undefined> = new Array(runs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runs.length) {
      const i = next++;
      const stop = runs[i]!.stop;
      if (stop && Atomics.load(stop, 0) !== 0) continue;  // stopped: runs not yet started are left out
      out[i] = await simulateInWorker(runs[i]!, (p) => hooks.onProgress?.(i, p));
      hooks.onDone?.(i, out[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, runs.length)) }, lane));
  return out;
}
