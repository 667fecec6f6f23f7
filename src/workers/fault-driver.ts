// The fault suite's worker side (test/faults-*.test.ts): a seeded loop of
// domain (or SharedArena) calls that keeps, in shared memory the host can
// read after the worker is terminated, exactly what the worker holds.
//
// The journal (one SharedArrayBuffer per worker) is written so that a
// terminate() between any two statements leaves it meaningful:
//  - before a call that hands ranges out or takes them back, the ranges or
//    sizes involved are written as `pending`, then the call, then the live
//    table is updated, then pending is cleared;
//  - the live table is append-only with tombstones (pfn 0); when it is full
//    it is compacted into the other half and one store switches halves.
// So after a death the host knows the worker's live ranges exactly, and at
// most the pending call's ranges are in doubt: each may or may not have been
// handed out (or taken back), which the host settles against the tree.
//
// A worker can also be armed to park at its k-th lock event inside one
// chosen operation (debug build, assembly/fault.ts), so that the host's
// terminate() lands at a known place: inside a critical section or between
// two of them.
import type { IovaDomain } from "../domain/iova-domain.js";
import type { RunContext } from "./cpu-worker.js";
import { splitmix32 } from "./workload.js";

/** Operations of the loop; the journal's `op` word holds the index of the one running. */
export const FAULT_OPS = [
  "alloc", "free", "allocFast", "freeFast", "allocFastBatch", "freeFastBatch",
  "flushAll", "freeCpuCached", "tick", "depotWork",
] as const;
export type FaultOp = (typeof FAULT_OPS)[number];

/** What a pending call does with the ranges in the pending area. */
export const PENDING_NONE = 0;
export const PENDING_ALLOC = 1;
export const PENDING_FREE = 2;

/** Most ranges one batch call moves here. */
export const FAULT_BATCH = 8;

// Int32 header words.
const H_ACTIVE = 0;      // which half of the live table is current (0 or 1)
const H_COUNT0 = 1;      // entries used in half 0 (tombstones included)
const H_COUNT1 = 2;
const H_PENDING = 3;     // PENDING_*
const H_PENDING_N = 4;   // entries in the pending area
const H_OP = 5;          // FAULT_OPS index of the running op, -1 between ops
const H_OPS_DONE = 6;
const H_ARMED = 7;       // 1 while armed (debug build)
const H_ARM_EVENTS = 8;  // lock events of the last armed invocation that did not fire
const HEADER_BYTES = 64;
const PENDING_BYTES = FAULT_BATCH * 16;

/** A worker's journal: [header | pending (pfn, size) x FAULT_BATCH | live table half 0 | half 1]. */
export class Journal {
  readonly i32: Int32Array;
  readonly pending: Float64Array;
  private readonly halves: [Float64Array, Float64Array];

  constructor(readonly sab: SharedArrayBuffer, readonly capacity: number) {
    this.i32 = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.pending = new Float64Array(sab, HEADER_BYTES, FAULT_BATCH * 2);
    const at = HEADER_BYTES + PENDING_BYTES;
    this.halves = [new Float64Array(sab, at, capacity * 2), new Float64Array(sab, at + capacity * 16, capacity * 2)];
  }

  static create(capacity: number): Journal {
    const j = new Journal(new SharedArrayBuffer(HEADER_BYTES + PENDING_BYTES + capacity * 32), capacity);
    j.i32[H_OP] = -1;
    return j;
  }

  /** Live entries [a, b, a, b, ...] (pfn and size, or offset and bytes). */
  live(): number[] {
    const h = Atomics.load(this.i32, H_ACTIVE);
    const t = this.halves[h];
    const n = Atomics.load(this.i32, H_COUNT0 + h);
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (t[2 * i] !== 0) out.push(t[2 * i], t[2 * i + 1]);
    return out;
  }

  /** The call in doubt, if the worker died inside one. */
  pendingCall(): { kind: number; entries: number[] } {
    const kind = Atomics.load(this.i32, H_PENDING);
    const n = Atomics.load(this.i32, H_PENDING_N);
    return { kind, entries: kind === PENDING_NONE ? [] : Array.from(this.pending.subarray(0, 2 * n)) };
  }

  /** FAULT_OPS name of the op running at the death, or null between ops. */
  op(): FaultOp | null {
    const k = Atomics.load(this.i32, H_OP);
    return k < 0 ? null : FAULT_OPS[k];
  }

  opsDone(): number {
    return Atomics.load(this.i32, H_OPS_DONE);
  }

  armed(): boolean {
    return Atomics.load(this.i32, H_ARMED) !== 0;
  }

  /** Lock events of the last armed invocation that ended without reaching its event. */
  armEvents(): number {
    return Atomics.load(this.i32, H_ARM_EVENTS);
  }

  // ---- worker side

  /** Live entries with their slots, for picking what to free. */
  slots(): number[] {
    const h = this.i32[H_ACTIVE];
    const t = this.halves[h];
    const n = this.i32[H_COUNT0 + h];
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (t[2 * i] !== 0) out.push(i);
    return out;
  }

  entry(slot: number): [number, number] {
    const t = this.halves[this.i32[H_ACTIVE]];
    return [t[2 * slot], t[2 * slot + 1]];
  }

  setPending(kind: number, entries: ArrayLike<number>): void {
    for (let i = 0; i < entries.length; i++) this.pending[i] = entries[i];
    this.i32[H_PENDING_N] = entries.length / 2;
    Atomics.store(this.i32, H_PENDING, kind);
  }

  clearPending(): void {
    Atomics.store(this.i32, H_PENDING, PENDING_NONE);
  }

  /** Appends one live entry (a != 0), compacting first when the half is full. */
  add(a: number, b: number): void {
    let h = this.i32[H_ACTIVE];
    if (this.i32[H_COUNT0 + h] === this.capacity) h = this.compact();
    const t = this.halves[h];
    const n = this.i32[H_COUNT0 + h];
    if (n === this.capacity) throw new Error(`fault journal full (${this.capacity} live entries)`);
    t[2 * n + 1] = b;
    t[2 * n] = a;
    Atomics.store(this.i32, H_COUNT0 + h, n + 1);
  }

  /** Tombstones a slot: one store. */
  remove(slot: number): void {
    this.halves[this.i32[H_ACTIVE]][2 * slot] = 0;
  }

  /** Copies the live entries into the other half, then switches to it with one store. */
  private compact(): number {
    const h = this.i32[H_ACTIVE];
    const from = this.halves[h];
    const to = this.halves[1 - h];
    let m = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (from[2 * i] === 0) continue;
      to[2 * m] = from[2 * i];
      to[2 * m + 1] = from[2 * i + 1];
      m++;
    }
    Atomics.store(this.i32, H_COUNT0 + 1 - h, m);
    Atomics.store(this.i32, H_ACTIVE, 1 - h);
    return 1 - h;
  }

  setOp(op: number): void {
    Atomics.store(this.i32, H_OP, op);
  }

  opDone(): void {
    Atomics.store(this.i32, H_OP, -1);
    Atomics.add(this.i32, H_OPS_DONE, 1);
  }

  setArmed(on: boolean): void {
    Atomics.store(this.i32, H_ARMED, on ? 1 : 0);
  }
}

/** Where to park (debug build): at the `event`-th lock event of an invocation of `op`, after `skip` ops. */
export interface FaultArm {
  op: FaultOp;
  event: number;
  skip: number;
  /** Byte address in the domain's memory of the 4 u32 words assembly/fault.ts writes (host bytes). */
  flagAddr: number;
  /** Trap at the event instead of parking (the thread lives on: one-thread tests play the dead CPU). */
  stop?: boolean;
  /** Arm one invocation only: if it ends before the event, record its event count and end the loop. */
  once?: boolean;
}

export interface FaultRunSpec {
  seed: number;
  ops: number;
  journal: SharedArrayBuffer;
  capacity: number;
  /** The operations this worker draws from, uniformly. */
  mix: FaultOp[];
  /** Sizes in pages (or arena bytes) for allocs, uniform in [min, max]. */
  sizes: [number, number];
  /** With this many live entries, allocs turn into frees. */
  maxLive: number;
  limitPfn: number;
  arm?: FaultArm;
  /** Wall-clock stop (epoch ms): a worker that is never killed ends here at the latest. */
  deadlineMs?: number;
}

export interface FaultRunResult {
  opsDone: number;
  /** Times each op ran. */
  counts: Partial<Record<FaultOp, number>>;
}

/** What the loop calls: an IovaDomain's API, or a SharedArena's (which has no batches or depot work). */
interface Target {
  alloc(size: number): number | null;
  free(a: number, b: number): void;
  allocFast(size: number): number | null;
  freeFast(a: number, b: number): void;
  allocFastBatch?(sizes: number[]): Float64Array;
  freeFastBatch?(as: number[], bs: number[]): void;
  flushAll(): void;
  freeCpuCached?(): void;
  tick?(nowMs: number): void;
  depotWork?(order: number): void;
  /** armFault of this thread's instance (0 in the release build). */
  armFault(flagAddr: number, n: number, stop: number): number;
  faultEvents(): number;
}

function domainTarget(d: IovaDomain, cpu: number, limitPfn: number): Target {
  return {
    alloc: (size) => d.alloc(size, limitPfn),
    free: (pfn) => { d.free(pfn); },
    allocFast: (size) => d.allocFast(size, limitPfn, true, cpu),
    freeFast: (pfn, size) => d.freeFast(pfn, size, cpu),
    allocFastBatch: (sizes) => d.allocFastBatch(sizes, limitPfn, true, cpu),
    freeFastBatch: (pfns, sizes) => d.freeFastBatch(pfns, sizes, cpu),
    flushAll: () => d.flushAll(),
    freeCpuCached: () => d.freeCpuCached((cpu + 1) % d.cpus),
    tick: (nowMs) => { d.tick(nowMs, 50); },
    depotWork: (order) => { d.depotWork(order); },
    armFault: (flag, n, stop) => d.ex.armFault(flag, n, stop),
    faultEvents: () => d.ex.faultEventCount(),
  };
}

/** What the loop needs of a SharedArena view (described here, not imported: arena/ and workers/ are one layer). */
export interface ArenaView {
  alloc(bytes: number): number | null;
  free(offset: number, bytes: number): void;
  trim(): void;
  readonly domain: IovaDomain;
}

/** An arena's entries are (offset, bytes); offset 0 is a valid allocation, so the journal stores offset + 1. */
function arenaTarget(a: ArenaView): Target {
  return {
    alloc: (bytes) => plusOne(a.alloc(bytes)),
    free: (o1, bytes) => a.free(o1 - 1, bytes),
    allocFast: (bytes) => plusOne(a.alloc(bytes)),
    freeFast: (o1, bytes) => a.free(o1 - 1, bytes),
    flushAll: () => a.trim(),
    armFault: (flag, n, stop) => a.domain.ex.armFault(flag, n, stop),
    faultEvents: () => a.domain.ex.faultEventCount(),
  };
}

const plusOne = (x: number | null) => (x === null ? null : x + 1);

/** CpuPool `run` entry: the loop on this worker's CPU. */
export function faultRun(ctx: RunContext, spec: FaultRunSpec): FaultRunResult {
  return domainFaultRun(ctx.domain, ctx.cpu, spec);
}

/** The loop on a view of a domain as CPU `cpu`, in this thread. */
export function domainFaultRun(d: IovaDomain, cpu: number, spec: FaultRunSpec): FaultRunResult {
  return runLoop(domainTarget(d, cpu, spec.limitPfn), spec, () => performance.timeOrigin + performance.now());
}

/** The loop on a SharedArena view (a plain worker that attached it, in test/faults-workers.test.ts). */
export function arenaFaultRun(arena: ArenaView, spec: FaultRunSpec): FaultRunResult {
  return runLoop(arenaTarget(arena), spec, () => performance.timeOrigin + performance.now());
}

function runLoop(t: Target, spec: FaultRunSpec, now: () => number): FaultRunResult {
  const j = new Journal(spec.journal, spec.capacity);
  const rnd = splitmix32(spec.seed);
  const pick = (n: number) => Math.floor((rnd() / 2 ** 32) * n);
  const size = () => spec.sizes[0] + pick(spec.sizes[1] - spec.sizes[0] + 1);
  const counts: Partial<Record<FaultOp, number>> = {};
  const mix = spec.mix.filter((op) => available(t, op));
  const arm = spec.arm;
  let armAt = arm ? arm.event : 0;
  let clock = 0;
  for (let i = 0; i < spec.ops; i++) {
    if (spec.deadlineMs !== undefined && (i & 63) === 0 && now() > spec.deadlineMs) break;
    let op = mix[pick(mix.length)];
    const slots = j.slots();
    // Keep the live set between empty and maxLive: frees need something to free.
    if (slots.length >= spec.maxLive && isAlloc(op)) op = op === "alloc" ? "free" : op === "allocFastBatch" ? "freeFastBatch" : "freeFast";
    if (slots.length === 0 && isFree(op)) op = op === "free" ? "alloc" : op === "freeFastBatch" ? "allocFastBatch" : "allocFast";
    const armed = arm !== undefined && op === arm.op && i >= arm.skip;
    if (armed) {
      if (t.armFault(arm.flagAddr, armAt, arm.stop ? 1 : 0) === 0) throw new Error("armFault: this is not the debug build (IOVA_WASM=debug)");
      j.setArmed(true);
    }
    j.setOp(FAULT_OPS.indexOf(op));
    counts[op] = (counts[op] ?? 0) + 1;
    switch (op) {
      case "alloc": {
        // Tree allocations above the cached sizes, so their extent is their size.
        const s = Math.max(33, size());
        j.setPending(PENDING_ALLOC, [0, s]);
        const p = t.alloc(s);
        if (p !== null) j.add(p, s);
        break;
      }
      case "allocFast": {
        const s = size();
        j.setPending(PENDING_ALLOC, [0, s]);
        const p = t.allocFast(s);
        if (p !== null) j.add(p, s);
        break;
      }
      case "allocFastBatch": {
        const n = 1 + pick(FAULT_BATCH);
        const sizes: number[] = [];
        const pend: number[] = [];
        for (let k = 0; k < n; k++) {
          sizes.push(size());
          pend.push(0, sizes[k]);
        }
        j.setPending(PENDING_ALLOC, pend);
        const out = t.allocFastBatch!(sizes);
        for (let k = 0; k < n; k++) if (out[k] !== 0) j.add(out[k], sizes[k]);
        break;
      }
      case "free":
      case "freeFast": {
        // "free" takes back a tree allocation if there is one (the tree API frees by pfn).
        let cands = slots;
        if (op === "free") {
          const big = slots.filter((s) => j.entry(s)[1] > 32);
          if (big.length > 0) cands = big;
        }
        const slot = cands[pick(cands.length)];
        const [a, b] = j.entry(slot);
        j.setPending(PENDING_FREE, [a, b]);
        j.remove(slot);
        if (op === "free" && b > 32) t.free(a, b); else t.freeFast(a, b);
        break;
      }
      case "freeFastBatch": {
        const n = Math.min(slots.length, 1 + pick(FAULT_BATCH));
        const chosen: number[] = [];
        for (let k = 0; k < n; k++) {
          const s = slots.splice(pick(slots.length), 1)[0];
          chosen.push(s);
        }
        const as: number[] = [];
        const bs: number[] = [];
        const pend: number[] = [];
        for (const s of chosen) {
          const [a, b] = j.entry(s);
          as.push(a);
          bs.push(b);
          pend.push(a, b);
        }
        j.setPending(PENDING_FREE, pend);
        for (const s of chosen) j.remove(s);
        t.freeFastBatch!(as, bs);
        break;
      }
      case "flushAll":
        t.flushAll();
        break;
      case "freeCpuCached":
        t.freeCpuCached!();
        break;
      case "tick":
        clock += 20 + pick(200);
        t.tick!(clock);
        break;
      case "depotWork":
        t.depotWork!(pick(6));
        break;
    }
    j.clearPending();
    if (armed) {
      // Not parked: this invocation had fewer lock events than asked. Fold
      // the count into what it had and park in the next invocation.
      const had = t.faultEvents();
      t.armFault(arm.flagAddr, 0, 0);
      j.setArmed(false);
      Atomics.store(j.i32, H_ARM_EVENTS, had);
      if (had > 0) armAt = 1 + ((armAt - 1) % had);
    }
    j.opDone();
    if (armed && arm.once) break;
  }
  return { opsDone: j.opsDone(), counts };
}

function available(t: Target, op: FaultOp): boolean {
  switch (op) {
    case "allocFastBatch": case "freeFastBatch": return t.allocFastBatch !== undefined;
    case "freeCpuCached": return t.freeCpuCached !== undefined;
    case "tick": return t.tick !== undefined;
    case "depotWork": return t.depotWork !== undefined;
    default: return true;
  }
}

const isAlloc = (op: FaultOp) => op === "alloc" || op === "allocFast" || op === "allocFastBatch";
const isFree = (op: FaultOp) => op === "free" || op === "freeFast" || op === "freeFastBatch";
