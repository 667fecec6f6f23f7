// CpuPool: worker_threads acting as the CPUs of one IovaDomain.
//
//   const domain = new IovaDomain(4096, 1, { cpus: 4, policy: "linux-6.4" });
//   const pool = await CpuPool.start(domain);          // worker i is CPU i
//   const r = await pool.send(0, { kind: "workload", spec });
//   await pool.kill(1);                                 // CPU 1 goes offline
//   await pool.close();
//
// Each worker attaches to `domain.handle` as CPU i (cpu-worker.ts) and runs
// the commands of protocol.ts one at a time: built-ins (a seeded random
// allocFast/freeFast workload, the lock test's lockedCount, a timed fastLoop,
// a test-only holdLock) and a generic `run` (import a module, call one of its
// exports with a RunContext) for runners built on top of the pool.
//
// The CPU-dead path: whenever a worker's thread exits (exit command, crash,
// terminate()), the pool marks its CPU dead (setCpuAlive(cpu, false)) and
// runs free_cpu_cached_iovas for it (domain.freeCpuCached(cpu)), as the
// kernel's iova_cpuhp_dead does: the pfns in its magazines go back to the
// tree. With `cpuOf`, several workers may be one CPU, as tasks share a CPU
// in the kernel: each locks with an id of its own (assembly/holder.ts), so
// a dying one ends only its own view (domain.endView: a lock it died holding
// is reported, its view slot is freed) and the CPU-dead path runs when the
// last of them exits. The ranges the worker still held as allocated are the
// caller's: they are in the results (and, for a killed worker, in the
// partial result it posts before it is terminated).
//
// kill(cpu) takes a CPU offline at a safe point: a CPU in the kernel never
// goes offline in the middle of a spinlocked section, and a worker
// terminate()d inside a wasm call could leave a lock held or a tree
// half-rotated. So kill first asks the worker to stop (shared control word),
// the worker parks between two domain calls after posting what it did so far,
// and only then is it terminated. kill(cpu, { now: true }) terminates at once,
// wherever the worker is (that is how a lock with a dead holder arises); it
// first marks the worker dead (its CPU, or a sharer's view alone), so that
// waiters on its locks report it instead of waiting. A command still running
// then ends in WorkerExitedError, also when the worker saw its own mark and
// posted the failure (ViewClosedError) before it stopped: failed replies
// from then on are held back. A command that completed before the kill
// keeps its result: a successful reply posted before terminate() still
// resolves it.
//
// Events: "partial" (w, result) and "progress" (w, data) from a worker's
// run; "crash" (w, error); "cpu-dead" (CpuDeath) once a worker's exit is
// handled; "marked-dead" (w) inside kill({ now: true }), after the mark and
// before terminate() (a test holds the thread there to widen that window).
import { EventEmitter } from "node:events";
import type { Worker } from "node:worker_threads";
import { startThread, type ThreadEnd } from "./thread.js";
import { IovaDomain } from "../domain/iova-domain.js";
import { boolArg, countArg } from "../validate.js";
import { InvalidArgumentError, IovaError, LockHolderDeadError } from "../errors.js";
import {
  CONTROL_PARKED, CONTROL_RUN, CONTROL_STOP, type Command, type CommandKind, type Reply, type Request,
  type ResultMap, type SerializedError, type WorkerInit,
} from "./protocol.js";

export * from "./protocol.js";
export { Mailboxes, extentOf, splitmix32, CACHED_MAX } from "./workload.js";

/** A command failed in its worker; `remote` is the error as the worker saw it. */
export class WorkerCommandError extends IovaError {
  override name = "WorkerCommandError";
  constructor(readonly cpu: number, readonly remote: SerializedError) {
    super(`CPU ${IovaError.text(cpu)}: ${IovaError.text(fieldOf(remote, "name"))}: ${IovaError.text(fieldOf(remote, "message"))}`);
  }
}

/** The worker exited before replying. `partial` is what it posted at its safe point, if it did. */
export class WorkerExitedError extends IovaError {
  override name = "WorkerExitedError";
  constructor(readonly cpu: number, readonly exitCode: number, readonly partial?: unknown) {
    super(`CPU ${IovaError.text(cpu)}: the worker exited (code ${IovaError.text(exitCode)}) before replying`);
  }
}

export interface CpuPoolOptions {
  /** Workers to start; worker i is CPU i. Default: domain.cpus. */
  workers?: number;
  /**
   * The CPU of each worker, instead of `workers`: worker w is CPU cpuOf[w].
   * Workers of one CPU attach with shareCpu (they share its caches and its
   * scratch slot, see IovaDomain.attach). Every method's `cpu` argument is
   * then the worker's number. Used by the fio runner, whose job clones may
   * share a CPU.
   */
  cpuOf?: readonly number[];
  /** Attach every worker with shareCpu, also one alone on its CPU (its view claims nothing). Default false. */
  shareCpu?: boolean;
  /** Worker script. Default: cpu-worker.js next to this file. */
  script?: URL | string;
  /** Extra argv/execArgv/resourceLimits for each Worker. */
  workerOptions?: { execArgv?: string[]; resourceLimits?: import("node:worker_threads").ResourceLimits };
  /** Run the CPU-dead path when a worker exits. Default true. */
  cpuDeadPath?: boolean;
}

/** What happened when a CPU's worker exited. */
export interface CpuDeath {
  cpu: number;
  exitCode: number;
  /** The worker's uncaught error, if it crashed. */
  crash?: Error;
  /** Partial result the worker posted at its safe point before being terminated. */
  partial?: unknown;
  /** The CPU-dead path ran (setCpuAlive false, freeCpuCached). */
  cpuDeadPath: boolean;
  /** freeCpuCached failed: e.g. LockHolderDeadError when the worker died holding a lock. */
  cpuDeadPathError?: Error;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  kind: CommandKind;
}

interface Slot {
  /** The worker's number (its index in the pool). */
  worker: number;
  cpu: number;
  thread: Worker;
  alive: boolean;
  /** The worker's view-table place when it shares its CPU (from its ready message), else null. */
  view: { slot: number; token: number } | null;
  /** The id the worker's view writes into the lock words it takes (from its ready message; IovaDomain.holderId). */
  holderId: number;
  pending: Map<number, Pending>;
  partial?: unknown;
  /**
   * Set by kill({ now: true }) when it marks the worker dead, before the
   * thread is terminated. The worker may still run a few instructions: its
   * next domain call then fails (ViewClosedError, or LockHolderDeadError
   * naming its own CPU) and it may post that failure before it stops. Such
   * a reply is the kill, not the command's outcome: it is held back, and
   * the exit rejects the command with WorkerExitedError. A successful reply
   * (the command completed before the kill reached it) is not held back.
   */
  killed?: boolean;
  exited: Promise<CpuDeath>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CpuPool extends EventEmitter {
  readonly domain: IovaDomain;
  /** One control word per CPU of the domain (protocol.ts CONTROL_*). */
  readonly control: Int32Array;
  /** Every CPU death so far, in order. */
  readonly deaths: CpuDeath[] = [];
  private readonly slots: Slot[] = [];
  private nextId = 1;

  /** The CPU each worker is (worker i is CPU i unless CpuPoolOptions.cpuOf). */
  readonly cpuOf: readonly number[];

  private constructor(domain: IovaDomain, cpuOf: readonly number[]) {
    super();
    this.domain = domain;
    this.cpuOf = cpuOf;
    this.control = new Int32Array(new SharedArrayBuffer(4 * Math.max(domain.cpus, cpuOf.length)));
  }

  /** Starts the workers and resolves once every one has attached. */
  static async start(domain: IovaDomain, options: CpuPoolOptions = {}): Promise<CpuPool> {
    if (!(domain instanceof IovaDomain)) throw new InvalidArgumentError("domain", domain, "must be an IovaDomain");
    if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", options, "must be an object");
    const cpuOf = options.cpuOf ?? Array.from({ length: countArg("workers", options.workers ?? domain.cpus, 1, domain.cpus) }, (_, i) => i);
    const n = cpuOf.length;
    if (options.cpuDeadPath !== undefined) boolArg("cpuDeadPath", options.cpuDeadPath);
    if (options.script !== undefined && typeof options.script !== "string" && !(options.script instanceof URL)) {
      throw new InvalidArgumentError("script", options.script, "must be a path or a URL of a worker script");
    }
    if (options.workerOptions !== undefined && (typeof options.workerOptions !== "object" || options.workerOptions === null)) {
      throw new InvalidArgumentError("workerOptions", options.workerOptions, "must be an object");
    }
    if (n < 1) throw new RangeError("cpuOf must name at least one worker's CPU");
    const bad = cpuOf.findIndex((c) => !Number.isInteger(c) || c < 0 || c >= domain.cpus);
    if (bad >= 0) throw new RangeError(`cpuOf[${bad}] must be a CPU of the domain (0-${domain.cpus - 1}): got ${cpuOf[bad]}`);
    const pool = new CpuPool(domain, [...cpuOf]);
    const script = options.script ?? new URL("./cpu-worker.js", import.meta.url);
    const shared = new Set(cpuOf.filter((c, i) => cpuOf.indexOf(c) !== i));
    const ready: Promise<void>[] = [];
    try {
      for (let w = 0; w < n; w++) ready.push(pool.spawn(w, options.shareCpu === true || shared.has(cpuOf[w]!), script, options));
    } catch (e) {
      // startThread refused the script or its options: end the workers already started.
      for (const r of ready) r.catch(() => {});
      await pool.terminateAll();
      throw new InvalidArgumentError("script", options.script ?? script, `cannot start a worker (${(e as Error).message})`);
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.terminateAll();
      throw e;
    }
    return pool;
  }

  /** Starts worker `w` (its slot and control word are w) as CPU cpuOf[w]. */
  private spawn(w: number, shareCpu: boolean, script: URL | string, options: CpuPoolOptions): Promise<void> {
    const cpu = this.cpuOf[w]!;
    const init: WorkerInit = { handle: this.domain.handle, cpu, worker: w, shareCpu, control: this.control.buffer as SharedArrayBuffer };
    let onReady!: () => void;
    let onFail!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => { onReady = res; onFail = rej; });
    let readyDone = false;
    let resolveExit!: (d: CpuDeath) => void;
    // The hooks run only after startThread has returned, when `slot` (below) is set.
    const onMessage = (m: Reply): void => {
      switch (m.type) {
        case "ready":
          slot.view = m.view;
          slot.holderId = m.holderId;
          readyDone = true;
          onReady();
          return;
        case "partial":
          slot.partial = m.result;
          this.emit("partial", w, m.result);
          return;
        case "progress":
          this.emit("progress", w, m.data);
          return;
        case "reply": {
          const p = slot.pending.get(m.id);
          if (!p || (slot.killed && !m.ok)) return;
          slot.pending.delete(m.id);
          if (m.ok) p.resolve(m.result);
          else p.reject(reviveError(w, m.error));
        }
      }
    };
    const onError = (e: Error): void => {
      this.emit("crash", w, e);
    };
    const onExit = ({ code, crash }: ThreadEnd): void => {
      // Every message the worker posted has been delivered (thread.ts).
      slot.alive = false;
      const death: CpuDeath = { cpu, exitCode: code, crash, partial: slot.partial, cpuDeadPath: false };
      // A sharer's view ends alone: a lock it died holding is reported (the domain is poisoned), its slot is freed.
      if (slot.view) {
        try {
          this.domain.endView(slot.view);
        } catch (e) {
          death.cpuDeadPathError = e as Error;
        }
      }
      // The CPU goes offline with the last of its workers.
      const lastOfCpu = !this.slots.some((o) => o !== slot && o.alive && o.cpu === cpu);
      if (options.cpuDeadPath !== false && lastOfCpu) {
        death.cpuDeadPath = true;
        try {
          this.domain.setCpuAlive(cpu, false);
          // Every worker of the CPU has exited: a cache lock one left between two batch operations is taken over.
          this.domain.takeOverDeadCpu(cpu);
          this.domain.freeCpuCached(cpu);
        } catch (e) {
          death.cpuDeadPathError ??= e as Error;
        }
      }
      for (const [, p] of slot.pending) p.reject(p.kind === "exit" && code === 0 ? new WorkerExitedError(w, code) : new WorkerExitedError(w, code, slot.partial));
      slot.pending.clear();
      this.deaths.push(death);
      // A worker that died before it was ready (its attach refused, its script threw): typed, with the worker's reason.
      if (!readyDone) {
        onFail(crash ? new WorkerCommandError(w, { name: crash.name, message: crash.message, stack: crash.stack })
          : new WorkerExitedError(w, code));
      }
      resolveExit(death);
      this.emit("cpu-dead", death);
    };
    Atomics.store(this.control, w, CONTROL_RUN);
    const slot: Slot = {
      worker: w, cpu, alive: true, view: null, holderId: 0, pending: new Map(),
      exited: new Promise<CpuDeath>((r) => { resolveExit = r; }),
      thread: startThread<Reply>(script, { workerData: init, ...options.workerOptions }, { onMessage, onError, onExit }),
    };
    this.slots[w] = slot;
    return ready;
  }

  /** Workers started (dead ones included). */
  get size(): number {
    return this.slots.length;
  }

  /** CPUs whose worker is still running (with cpuOf: the workers' numbers). */
  get liveCpus(): number[] {
    return this.slots.filter((s) => s.alive).map((s) => s.worker);
  }

  /**
   * The id worker `cpu`'s view (the worker's number, as send() takes it) writes into every lock word it takes
   * (assembly/holder.ts: cpu + 1 for a worker that owns its CPU, cpus + 1 + k
   * for shared view k), as its own IovaDomain.holderId reported it when it
   * was ready. A waiter that finds this id in a lock word after the worker's
   * death reports LockHolderDeadError naming the worker's CPU; tests use it
   * to stand a lock up as the worker's. Stays readable after the worker
   * exits (the id of the view it had). Throws InvalidArgumentError for a
   * number that is not one of this pool's workers.
   */
  holderIdOf(cpu: number): number {
    return this.slot(cpu).holderId;
  }

  isAlive(cpu: number): boolean {
    return this.slot(cpu).alive;
  }

  /** Sends one command to CPU `cpu`'s worker; resolves with its result. */
  send<K extends CommandKind>(cpu: number, cmd: Extract<Command, { kind: K }>): Promise<ResultMap[K]> {
    let s: Slot;
    try {
      s = this.slot(cpu);
      commandArg(cmd);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!s.alive) return Promise.reject(new WorkerExitedError(cpu, -1));
    const id = this.nextId++;
    return new Promise<ResultMap[K]>((resolve, reject) => {
      const req: Request = { id, cmd };
      try {
        s.thread.postMessage(req);
      } catch (e) {
        reject(new InvalidArgumentError("cmd", cmd, `cannot be posted to a worker (${(e as Error).message})`));
        return;
      }
      s.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, kind: cmd.kind });
    });
  }

  /**
   * Sends `make(cpu)` to each of `cpus` (default: every live CPU). With
   * `gate: true` they all start at once: each command gets the same gate,
   * which opens when every worker has reached it. Rejects on the first
   * failure (the others keep running); see allSettled.
   */
  async all<K extends CommandKind>(
    make: (cpu: number) => Extract<Command, { kind: K }>, opts: { cpus?: number[]; gate?: boolean } = {},
  ): Promise<ResultMap[K][]> {
    return Promise.all(await this.launch(make, opts));
  }

  /** As all(), but waits for every command and reports each outcome (a killed CPU's is a WorkerExitedError). */
  async allSettled<K extends CommandKind>(
    make: (cpu: number) => Extract<Command, { kind: K }>, opts: { cpus?: number[]; gate?: boolean } = {},
  ): Promise<PromiseSettledResult<ResultMap[K]>[]> {
    return Promise.allSettled(await this.launch(make, opts));
  }

  /** Sends the commands; with a gate, resolves once it is open (or a worker failed before reaching it). */
  private async launch<K extends CommandKind>(
    make: (cpu: number) => Extract<Command, { kind: K }>, opts: { cpus?: number[]; gate?: boolean },
  ): Promise<Promise<ResultMap[K]>[]> {
    if (typeof make !== "function") throw new InvalidArgumentError("make", make, "must be a function from a CPU to its command");
    if (typeof opts !== "object" || opts === null) throw new InvalidArgumentError("opts", opts, "must be an object");
    if (opts.gate !== undefined) boolArg("opts.gate", opts.gate);
    if (opts.cpus !== undefined && !Array.isArray(opts.cpus)) throw new InvalidArgumentError("opts.cpus", opts.cpus, "must be an array of CPUs");
    const cpus = opts.cpus ?? this.liveCpus;
    for (const cpu of cpus) {
      try {
        this.slot(cpu);
      } catch {
        throw new InvalidArgumentError("opts.cpus", cpus, `holds ${typeof cpu === "number" ? cpu : typeof cpu}, not a CPU of this pool (0 to ${this.slots.length - 1})`);
      }
    }
    const cmds = cpus.map((cpu) => commandArg(make(cpu)));
    const gate = opts.gate ? new Gate(cpus.length) : null;
    const runs = cpus.map((cpu, i) => {
      const cmd = cmds[i]!;
      if (gate) (cmd as { gate?: SharedArrayBuffer }).gate = gate.buffer;
      return this.send<K>(cpu, cmd);
    });
    if (gate) {
      let settled = 0;
      for (const r of runs) r.then(() => settled++, () => settled++);
      // A command that settles before the gate opens (a worker failed) stops the wait.
      while (!gate.allArrived() && settled === 0) await sleep(1);
      gate.open();
    }
    return runs;
  }

  /** Asks CPU `cpu`'s worker to stop at its next safe point (it parks there until killed). */
  requestStop(cpu: number): void {
    this.slot(cpu);
    Atomics.store(this.control, cpu, CONTROL_STOP);
  }

  /**
   * Takes CPU `cpu` offline. By default at a safe point (see the top of
   * this file): the running command, if any, stops between two domain calls
   * and posts its partial result (in the returned CpuDeath and in the
   * command's WorkerExitedError). With `now: true` the worker is terminated
   * wherever it is. Either way the CPU-dead path then runs.
   */
  async kill(cpu: number, opts: { now?: boolean; timeoutMs?: number } = {}): Promise<CpuDeath> {
    const s = this.slot(cpu);
    if (typeof opts !== "object" || opts === null) throw new InvalidArgumentError("opts", opts, "must be an object");
    if (opts.now !== undefined) boolArg("opts.now", opts.now);
    if (opts.timeoutMs !== undefined) countArg("opts.timeoutMs", opts.timeoutMs, 0, 2 ** 31);
    if (!s.alive) return s.exited;
    if (!opts.now) {
      this.requestStop(cpu);
      const until = Date.now() + (opts.timeoutMs ?? 30_000);
      // Parked, or idle (no command in flight: it is between messages, outside wasm).
      while (Atomics.load(this.control, cpu) !== CONTROL_PARKED && s.pending.size > 0 && s.alive) {
        if (Date.now() > until) throw new Error(`CPU ${cpu} did not reach a safe point in ${opts.timeoutMs ?? 30_000} ms`);
        await sleep(1);
      }
    } else {
      this.markKilled(s);
      // Marked dead, not yet terminated: the worker may still post a reply (see Slot.killed).
      this.emit("marked-dead", cpu);
    }
    await s.thread.terminate();
    return s.exited;
  }

  /**
   * Marks a worker dead before it is terminated anywhere: a thread of this
   * process that waits on a lock the worker holds (this one too, inside a
   * synchronous domain call, when it cannot see the exit event) then
   * reports LockHolderDeadError instead of waiting for a liveness change
   * that only the exit event would make. A worker that shares its CPU has
   * its own lock-holder id, so only its view is marked: the CPU's other
   * sharers keep running, and the CPU-dead path waits for the last of them.
   */
  private markDead(s: Slot): void {
    try {
      if (s.view) this.domain.markViewDead(s.view);
      else this.domain.setCpuAlive(s.cpu, false);
    } catch {
      // A destroyed domain: nothing waits on it.
    }
  }

  /** A worker about to be terminated with no safe point: its failed replies are held back (Slot.killed), and it is marked dead. */
  private markKilled(s: Slot): void {
    s.killed = true;
    this.markDead(s);
  }

  /** Resolves when CPU `cpu`'s worker has exited and its CPU-dead path ran. */
  exited(cpu: number): Promise<CpuDeath> {
    return this.slot(cpu).exited;
  }

  /** Sends `exit` to every live worker and waits for all of them. */
  async close(): Promise<CpuDeath[]> {
    const live = this.slots.filter((s) => s.alive);
    await Promise.allSettled(live.map((s) => this.send(s.worker, { kind: "exit" })));
    return Promise.all(this.slots.map((s) => s.exited));
  }

  /** Terminates every live worker at once (no safe point). */
  async terminateAll(): Promise<CpuDeath[]> {
    const live = this.slots.filter((s) => s && s.alive);
    for (const s of live) this.markKilled(s);
    await Promise.all(live.map((s) => s.thread.terminate()));
    return Promise.all(this.slots.filter((s) => s).map((s) => s.exited));
  }

  private slot(cpu: number): Slot {
    countArg("cpu", cpu, 0, Math.max(this.domain.cpus, this.slots.length) - 1);
    const s = this.slots[cpu];
    if (!s) throw new InvalidArgumentError("cpu", cpu, `has no worker (this pool started ${this.slots.length})`);
    return s;
  }
}

/**
 * A start gate for n workers (layout in protocol.ts GateBuffer): workers
 * arrive and block; open() records the time and releases them all.
 */
export class Gate {
  readonly buffer = new SharedArrayBuffer(16);
  private readonly i32 = new Int32Array(this.buffer, 0, 2);
  constructor(readonly n: number) {}
  allArrived(): boolean {
    return Atomics.load(this.i32, 0) >= this.n;
  }
  /** Opens the gate; returns the opening time (epoch ms). */
  open(): number {
    const t = performance.timeOrigin + performance.now();
    new Float64Array(this.buffer, 8, 1)[0] = t;
    Atomics.store(this.i32, 1, 1);
    Atomics.notify(this.i32, 1);
    return t;
  }
}

/** A field of what a worker posted, or undefined when it is not an object (or reading it throws). */
function fieldOf(o: unknown, k: string): unknown {
  try {
    return typeof o === "object" && o !== null ? (o as Record<string, unknown>)[k] : undefined;
  } catch {
    return undefined;
  }
}

/** The kinds of command a CPU worker runs (protocol.ts Command; cpu-worker.ts execute). */
const COMMAND_KINDS: ReadonlySet<unknown> = new Set<CommandKind>(["workload", "lockedCount", "fastLoop", "freeRanges", "holdLock", "run", "ping", "exit"]);

/** A command as send() posts it: an object whose kind the worker knows (anything else would crash or mislead it). */
function commandArg<C>(cmd: C): C {
  if (typeof cmd !== "object" || cmd === null) throw new InvalidArgumentError("cmd", cmd, "must be a command object ({ kind, ... })");
  const kind = (cmd as { kind?: unknown }).kind;
  if (!COMMAND_KINDS.has(kind)) throw new InvalidArgumentError("cmd.kind", kind, `must be one of ${[...COMMAND_KINDS].join(", ")}`);
  return cmd;
}

function reviveError(cpu: number, e: SerializedError): Error {
  if (e.name === "LockHolderDeadError" && typeof e.holderCpu === "number") {
    const err = new LockHolderDeadError(e.holderCpu);
    if (e.stack) err.stack = `${err.name}: ${err.message}\n    (in CPU ${cpu}'s worker)\n${e.stack.split("\n").slice(1).join("\n")}`;
    return err;
  }
  return new WorkerCommandError(cpu, e);
}
