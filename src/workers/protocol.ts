// The message protocol between a CpuPool (host) and its CPU workers.
//
// Host → worker: one `Request` per command, `{ id, cmd }`. A worker runs one
// command at a time, in arrival order (commands are queued by the worker's
// event loop while one runs).
//
// Worker → host:
//   { type: "ready", cpu, view, holderId }  once, after IovaDomain.attach (view:
//                                           a sharer's view-table slot and token;
//                                           holderId: the id its locks carry)
//   { type: "reply", id, ok: true, result } the command finished
//   { type: "reply", id, ok: false, error } it threw (error is serialised)
//   { type: "partial", id, result }         sent at a safe point just before the
//                                           worker parks for a requested stop
//                                           (CpuPool.kill): what the command
//                                           did so far, its live pfns included
//   { type: "progress", id, data }          optional, from "run" modules
//
// Besides messages, the pool shares one Int32Array of control words with
// every worker (CONTROL_*): the host sets a worker's word to STOP; the
// worker's command loop checks it between two domain calls (a safe point:
// no lock held, no structure half-updated), posts its partial result, sets
// PARKED and blocks. The host then terminate()s it. Idle workers are at a
// safe point already. See CpuPool.kill.
import type { DomainHandle } from "../domain/iova-domain.js";

/** workerData of a CPU worker. */
export interface WorkerInit {
  handle: DomainHandle;
  cpu: number;
  /** This worker's number in its pool: its control word (the CPU, unless the pool's cpuOf says otherwise). */
  worker: number;
  /** Attach with shareCpu: other workers of the pool are the same CPU. */
  shareCpu: boolean;
  /** Int32Array over this SharedArrayBuffer: one control word per worker. */
  control: SharedArrayBuffer;
}

export const CONTROL_RUN = 0;
export const CONTROL_STOP = 1;
export const CONTROL_PARKED = 2;

/**
 * A start gate shared by several workers: Int32 [0] = arrivals, [1] = open
 * flag; Float64 [1] (bytes 8..16) = epoch ms at which the host opened it.
 * Workers increment arrivals and block until the flag is set, so a command
 * starts on every worker at once (see Gate in pool.ts).
 */
export type GateBuffer = SharedArrayBuffer;

/** Random allocFast/freeFast workload (see workload.ts). */
export interface WorkloadSpec {
  seed: number;
  /** Operations to run: each is one allocFast or one freeFast call. */
  ops: number;
  /** Requested sizes are uniform in [min, max]; > 32 pages go to the tree. Default [1, 64]. */
  sizes?: [number, number];
  /** limitPfn of each alloc is picked uniformly from this list. */
  limits: number[];
  /** With this many live ranges the worker only frees. Default 256. */
  maxLive?: number;
  /** Probability that an op allocates when 0 < live < maxLive. Default 0.5. */
  allocBias?: number;
  /**
   * Swing mode: every `phase` ops the alloc probability flips between
   * allocBias and 1 - allocBias, so live sets grow and shrink in bursts
   * (magazines fill and empty, depots fill). Default 0 (off).
   */
  phase?: number;
  /** The flush argument of allocFast. Default true. */
  flush?: boolean;
  /** Optional: hand some ranges to the next CPU to free (completion on another CPU). */
  mailbox?: MailboxSpec;
  /** Extra delay between ops, in busy-wait iterations (0 = none). Spreads a run out for fault tests. */
  pause?: number;
}

/** Cross-CPU hand-off: single-producer single-consumer rings (see Mailboxes in workload.ts). */
export interface MailboxSpec {
  sab: SharedArrayBuffer;
  /** Workers in the ring; worker k sends to slot (k + 1) % ring. */
  ring: number;
  /** This worker's position in the ring. */
  index: number;
  /** Capacity (ranges) of each ring. */
  capacity: number;
  /** Probability that a free is handed off instead of done locally. */
  prob: number;
}

export interface WorkloadResult {
  cpu: number;
  /** allocFast + freeFast calls made (incl. frees of received ranges). */
  ops: number;
  allocs: number;
  allocFails: number;
  frees: number;
  /** allocFast calls whose (rounded) size is cached: orders 0..5, sizes <= 32. */
  cachedAllocCalls: number;
  /** freeFast calls with sizes <= 32. */
  cachedFreeCalls: number;
  /** Ranges handed to the next CPU, and received from the previous one. */
  sent: number;
  received: number;
  /** Ranges still held (allocated, not freed): [pfn, size, pfn, size, ...], size as requested. */
  live: number[];
  /** True when the command stopped early at a requested stop. */
  stopped: boolean;
}

export interface FastLoopSpec {
  size: number;
  limit: number;
  /** Rounds per fastLoop call (one crossing into wasm). */
  chunk: number;
  /** Wall time to run, from the gate opening (or the command's start without a gate). */
  durationMs: number;
}

export interface FastLoopResult {
  cpu: number;
  pairs: number;
  fails: number;
  /** Epoch ms (performance.timeOrigin + now) of the first and the last call's end. */
  startMs: number;
  endMs: number;
}

export type Command =
  | { kind: "workload"; spec: WorkloadSpec; gate?: GateBuffer }
  | { kind: "lockedCount"; lockAddr: number; counterAddr: number; iters: number; gate?: GateBuffer }
  | { kind: "fastLoop"; spec: FastLoopSpec; gate?: GateBuffer }
  /** freeFast every [pfn, size, ...] pair on this CPU. */
  | { kind: "freeRanges"; ranges: number[] }
  /** Test path: take the lock word at addr with this CPU's holder id (CPU + 1), from JS, and keep it. */
  | { kind: "holdLock"; addr: number }
  /** Generic: import(module) and await its export `fn`(ctx, args); see RunContext in cpu-worker.ts. */
  | { kind: "run"; module: string; fn: string; args?: unknown; gate?: GateBuffer }
  | { kind: "ping" }
  /** The worker replies, then exits with code 0. */
  | { kind: "exit" };

export type CommandKind = Command["kind"];

export interface ResultMap {
  workload: WorkloadResult;
  lockedCount: { cpu: number; iters: number };
  fastLoop: FastLoopResult;
  freeRanges: { cpu: number; freed: number };
  holdLock: { cpu: number; addr: number; holder: number };
  run: unknown;
  ping: { cpu: number };
  exit: { cpu: number };
}

export interface Request {
  id: number;
  cmd: Command;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** LockHolderDeadError.holderCpu */
  holderCpu?: number;
}

export type Reply =
  | { type: "ready"; cpu: number; view: { slot: number; token: number } | null; holderId: number }
  | { type: "reply"; id: number; ok: true; result: unknown }
  | { type: "reply"; id: number; ok: false; error: SerializedError }
  | { type: "partial"; id: number; result: unknown }
  | { type: "progress"; id: number; data: unknown };
