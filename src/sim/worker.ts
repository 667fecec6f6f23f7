// worker_threads entry: runs one simulation and posts progress and the
// result back (src/sim/parallel.ts is the other side).
import { parentPort } from "node:worker_threads";
import { simulate } from "./engine.js";
import type { SimOptions } from "./options.js";

export type WorkerMessage =
  | { kind: "progress"; progress: import("./options.js").SimProgress }
  | { kind: "done"; result: import("./engine.js").SimResult }
  | { kind: "error"; message: string; stack?: string };

const port = parentPort;
if (!port) throw new Error("src/sim/worker.js must run in a worker thread");

port.once("message", (opts: SimOptions) => {
  try {
    const result = simulate({ ...opts, onProgress: (progress) => port.postMessage({ kind: "progress", progress } satisfies WorkerMessage) });
    port.postMessage({ kind: "done", result } satisfies WorkerMessage);
  } catch (e) {
    const err = e as Error;
    port.postMessage({ kind: "error", message: err.message, stack: err.stack } satisfies WorkerMessage);
  }
});
