// A CPU worker: attaches to the domain as CPU `cpu` and runs the commands a
// CpuPool sends (protocol.ts), one at a time.
//
// Generic commands: { kind: "run", module, fn, args } imports `module` (a
// path or file: URL, resolved once and cached) and awaits
// `module[fn](ctx, args)`, where ctx is a RunContext. A later runner (an
// fio-style job runner, say) puts its per-CPU loop in such a module and
// reuses the pool unchanged: it gets the domain, the gate, the stop checks
// and progress messages for free.
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { isAbsolute } from "node:path";
import { IovaDomain } from "../domain/iova-domain.js";
import { LockHolderDeadError } from "../errors.js";
import {
  CONTROL_PARKED, CONTROL_STOP, type Command, type FastLoopResult, type GateBuffer, type Reply, type Request,
  type SerializedError, type WorkerInit,
} from "./protocol.js";
import { runWorkload } from "./workload.js";

/** What a "run" module's function receives. */
export interface RunContext {
  domain: IovaDomain;
  cpu: number;
  /** True once the host asked this worker to stop (CpuPool.kill): end at the next safe point. */
  stopRequested(): boolean;
  /**
   * Call between two domain calls. If a stop was requested, posts
   * `partial()` to the host and blocks until the worker is terminated.
   */
  safePoint(partial?: () => unknown): void;
  /** Posts a progress message to the host (CpuPool 'progress' event). */
  progress(data: unknown): void;
  /** Epoch ms (performance.timeOrigin + performance.now()). */
  now(): number;
}

const init = workerData as WorkerInit;
const port = parentPort!;
const cpu = init.cpu;
const control = new Int32Array(init.control);
const slot = init.worker;
const domain = IovaDomain.attach(init.handle, cpu, { shareCpu: init.shareCpu });

const now = () => performance.timeOrigin + performance.now();
const stopRequested = () => Atomics.load(control, slot) === CONTROL_STOP;

/** Posts what was done so far, then blocks until terminate(). Never returns. */
function park(id: number, partial: unknown): never {
  post({ type: "partial", id, result: partial });
  Atomics.store(control, slot, CONTROL_PARKED);
  Atomics.notify(control, slot);
  for (;;) Atomics.wait(control, slot, CONTROL_PARKED);
}

function post(m: Reply): void {
  port.postMessage(m);
}

/** Arrive at a start gate and block until the host opens it; returns the open time (epoch ms). */
function passGate(gate: GateBuffer | undefined): number {
  if (!gate) return now();
  const g = new Int32Array(gate, 0, 2);
  Atomics.add(g, 0, 1);
  Atomics.notify(g, 0);
  while (Atomics.load(g, 1) === 0) Atomics.wait(g, 1, 0, 50);
  return new Float64Array(gate, 8, 1)[0];
}

/** The domain's lockedCount export, with a dead holder turned into LockHolderDeadError as IovaDomain does. */
function lockedCount(lockAddr: number, counterAddr: number, iters: number): void {
  try {
    domain.ex.lockedCount(domain.base, lockAddr, counterAddr, iters);
  } catch (e) {
    const holder = domain.ex.deadHolder.value as number;
    if (holder !== 0) throw new LockHolderDeadError(holder - 1);
    throw e;
  }
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

function importModule(spec: string): Promise<Record<string, unknown>> {
  let m = modules.get(spec);
  if (!m) {
    const url = spec.startsWith("file:") ? spec : isAbsolute(spec) ? pathToFileURL(spec).href : spec;
    m = import(url) as Promise<Record<string, unknown>>;
    modules.set(spec, m);
  }
  return m;
}

async function execute(id: number, cmd: Command): Promise<unknown> {
  switch (cmd.kind) {
    case "ping":
      return { cpu };
    case "workload": {
      passGate(cmd.gate);
      const r = runWorkload(domain, cpu, cmd.spec, stopRequested);
      if (r.stopped) park(id, r);
      return r;
    }
    case "lockedCount": {
      passGate(cmd.gate);
      lockedCount(cmd.lockAddr, cmd.counterAddr, cmd.iters);
      return { cpu, iters: cmd.iters };
    }
    case "fastLoop": {
      const { size, limit, chunk, durationMs } = cmd.spec;
      const start = passGate(cmd.gate);
      const deadline = start + durationMs;
      const r: FastLoopResult = { cpu, pairs: 0, fails: 0, startMs: start, endMs: start };
      for (;;) {
        const t = now();
        if (t >= deadline) {
          r.endMs = t;
          break;
        }
        if (stopRequested()) park(id, r);
        r.fails += domain.fastLoop(size, limit, chunk, cpu);
        r.pairs += chunk;
      }
      return r;
    }
    case "freeRanges": {
      const rs = cmd.ranges;
      for (let i = 0; i < rs.length; i += 2) domain.freeFast(rs[i], rs[i + 1], cpu);
      return { cpu, freed: rs.length / 2 };
    }
    case "holdLock": {
      const i32 = new Int32Array(domain.memory.buffer);
      const who = domain.holderId;
      // The lock protocol of assembly/lock.ts: cmpxchg 0 -> holder id.
      while (Atomics.compareExchange(i32, cmd.addr >>> 2, 0, who) !== 0) Atomics.wait(i32, cmd.addr >>> 2, Atomics.load(i32, cmd.addr >>> 2), 1);
      return { cpu, addr: cmd.addr, holder: who };
    }
    case "run": {
      const m = await importModule(cmd.module);
      const fn = m[cmd.fn];
      if (typeof fn !== "function") throw new Error(`${cmd.module} has no exported function ${cmd.fn}`);
      const ctx: RunContext = {
        domain, cpu, stopRequested, now,
        safePoint(partial) {
          if (stopRequested()) park(id, partial ? partial() : undefined);
        },
        progress(data) {
          post({ type: "progress", id, data });
        },
      };
      passGate(cmd.gate);
      return await (fn as (ctx: RunContext, args: unknown) => unknown)(ctx, cmd.args);
    }
    case "exit":
      return { cpu };
  }
}

function serialize(e: unknown): SerializedError {
  if (e instanceof Error) {
    const s: SerializedError = { name: e.name, message: e.message, stack: e.stack };
    if (e instanceof LockHolderDeadError) s.holderCpu = e.holderCpu;
    return s;
  }
  return { name: "Error", message: String(e) };
}

// Commands run strictly one after another, even when one awaits.
let queue: Promise<void> = Promise.resolve();
port.on("message", (req: Request) => {
  queue = queue.then(async () => {
    try {
      const result = await execute(req.id, req.cmd);
      post({ type: "reply", id: req.id, ok: true, result });
    } catch (e) {
      post({ type: "reply", id: req.id, ok: false, error: serialize(e) });
    }
    if (req.cmd.kind === "exit") process.exit(0);
  });
});

post({ type: "ready", cpu, view: domain.sharedView, holderId: domain.holderId });
