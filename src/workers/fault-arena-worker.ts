// A SharedArena worker for the fault suite: attaches as worker `index`, runs
// the fault loop (fault-driver.ts) on its view and posts the result, or the
// error it ended with. Plain worker_threads, no CpuPool: this is how an
// arena's user runs workers, and a dead one is reclaimed with reclaimWorker.
import { parentPort, workerData } from "node:worker_threads";
import { SharedArena, type SharedArenaHandle } from "../arena/shared-arena.js";
import { LockHolderDeadError } from "../errors.js";
import { arenaFaultRun, type FaultRunSpec } from "./fault-driver.js";

export interface ArenaFaultInit {
  handle: SharedArenaHandle;
  index: number;
  spec: FaultRunSpec;
}

const init = workerData as ArenaFaultInit;
const port = parentPort!;
const arena = SharedArena.attach(init.handle, init.index);
try {
  const result = arenaFaultRun(arena, init.spec);
  arena.close();
  port.postMessage({ type: "done", result });
} catch (e) {
  const err = e as Error;
  port.postMessage({
    type: "error", name: err.name, message: err.message,
    holderCpu: e instanceof LockHolderDeadError ? e.holderCpu : undefined,
  });
}
