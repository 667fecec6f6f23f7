// What the workers of one `iova fio` run share besides the IOVA domain: two
// SharedArrayBuffers (one Int32Array, one Float64Array) laid out by
// plan.ts, and the primitives over them: a lock that spins briefly and then
// parks, a multi-producer ring guarded by such a lock, and per-worker
// doorbells so an idle worker sleeps in Atomics.wait instead of spinning.
//
// ╒═ Int32 area ═════════════════════════════════════════════════════════════╕
// │ control words (CTRL_*)                                     16 words      │
// │ per CPU: completion ring  [lock, waiters, head, tail, ..16] + 2 × cap    │
// │ per worker:               [doorbell, sleeping, state, ..16]              │
// │ per job:  done ring       [lock, waiters, head, tail, ..16] + iodepth    │
// ├─ Float64 area ───────────────────────────────────────────────────────────┤
// │ control (F_*)                                              8 doubles     │
// │ per worker counters (WF_*)                                 16 doubles    │
// │ per job: I/O slots  iodepth × (SLOT_HDR + 3 × maxSegs)                   │
// └──────────────────────────────────────────────────────────────────────────┘
// Each block starts on its own 64-byte line (16 int32 / 8 float64) so the
// hot words of different CPUs do not share a cache line.

// ---- control words (Int32 area)
export const CTRL_PHASE = 0; // PHASE_*
export const CTRL_STOP = 1; // 1: stop submitting (SIGINT, an error)
export const CTRL_DRAINED = 2; // workers with nothing in flight and nothing more to submit
// (the flush queue and its timer are the core's: assembly/iommu/flush-queue.ts)
export const CTRL_ERROR = 6; // a worker failed: everyone leaves at once
export const CTRL_WORDS = 16;

export const PHASE_SETUP = 0;
export const PHASE_RUN = 1;
export const PHASE_EXIT = 2;

// ---- control doubles (Float64 area)
export const F_START_MS = 1; // run-clock ms at which the gate opened
export const F_WORDS = 8;

// ---- lock / ring header words
export const L_LOCK = 0;
export const L_WAITERS = 1;
export const R_HEAD = 2;
export const R_TAIL = 3;
export const HDR_WORDS = 16;

// ---- per worker (Int32)
export const W_DOORBELL = 0;
export const W_SLEEPING = 1;
export const W_STATE = 2;
export const W_WORDS = 16;

export const STATE_SETUP = 0;
export const STATE_RUNNING = 1;
export const STATE_FINISHING = 2; // no more submissions; I/Os still in flight
export const STATE_DONE = 3; // nothing in flight; still serving completions for others
export const STATE_EXITED = 4;

// ---- per worker counters (Float64), written only by their worker
export const WF_IOS_R = 0;
export const WF_IOS_W = 1;
export const WF_BYTES_R = 2;
export const WF_BYTES_W = 3;
export const WF_SUBMITTED = 4;
export const WF_SUBMITTED_BYTES = 5;
export const WF_END_MS = 6;
export const WF_WORDS = 16;

// ---- I/O slot (Float64): header, then (pfn, pages, unmap ns) per segment
export const S_DIR = 0; // 0 read, 1 write
export const S_BYTES = 1;
export const S_NSEG = 2;
export const S_MAP_MS = 3; // run-clock ms when mapping began
export const S_ISSUE_MS = 4; // ... when the I/O went to the device (mapped)
export const S_DONE_MS = 5; // ... when its completion finished unmapping
/**
 * Where the slot's I/O is, for the host's recovery after a worker died
 * (run.ts, recoverSlots): SLOT_FREE, SLOT_MAPPING (inside mapIo: its
 * segments are not written yet), SLOT_LIVE (mapped, every segment written),
 * SLOT_UNMAPPING (S_UNMAPPED of its segments are unmapped; the next one may
 * be half done; S_UNMAPPER is the worker unmapping it, the completion CPU's,
 * not always the slot's owner).
 */
export const S_STATE = 6;
export const S_UNMAPPED = 7;
export const S_UNMAPPER = 8;
export const SLOT_HDR = 9;
export const SLOT_FREE = 0;
export const SLOT_LIVE = 1;
export const SLOT_MAPPING = 2;
export const SLOT_UNMAPPING = 3;
export const SEG_WORDS = 3;

/**
 * Lock at a[i] (a[i + 1] counts parked waiters). Spins a little, then parks
 * in Atomics.wait: with more workers than cores a holder can be preempted,
 * and spinning would only burn the time slice it needs. Same protocol as
 * assembly/lock.ts: the parker announces itself before its last try; the
 * unlocker clears the word before reading the waiter count.
 */
export function lock(a: Int32Array, i: number): void {
  if (Atomics.compareExchange(a, i, 0, 1) === 0) return;
  for (let s = 0; s < 64; s++) {
    if (Atomics.load(a, i) === 0 && Atomics.compareExchange(a, i, 0, 1) === 0) return;
  }
  Atomics.add(a, i + 1, 1);
  while (Atomics.compareExchange(a, i, 0, 1) !== 0) Atomics.wait(a, i, 1, 5);
  Atomics.sub(a, i + 1, 1);
}

export function unlock(a: Int32Array, i: number): void {
  Atomics.store(a, i, 0);
  if (Atomics.load(a, i + 1) !== 0) Atomics.notify(a, i, 1);
}

/**
 * A bounded multi-producer, multi-consumer ring of `width` Int32s per entry
 * at a[base + HDR_WORDS ...], guarded by the lock in its header. head and
 * tail only grow (an entry's slot is its index modulo the capacity).
 * Consumers take everything at once into a private buffer, so the lock is
 * held for a copy, never for the work.
 */
export class SharedRing {
  private readonly data: number;
  private readonly out: Int32Array;

  constructor(
    readonly a: Int32Array,
    readonly base: number,
    readonly capacity: number,
    readonly width: number,
  ) {
    this.data = base + HDR_WORDS;
    this.out = new Int32Array(Math.max(1, capacity * width));
  }

  /** Cheap unlocked peek: something may be waiting. */
  nonEmpty(): boolean {
    return Atomics.load(this.a, this.base + R_HEAD) !== Atomics.load(this.a, this.base + R_TAIL);
  }

  get length(): number {
    return Atomics.load(this.a, this.base + R_TAIL) - Atomics.load(this.a, this.base + R_HEAD);
  }

  /** False when full (callers size rings so that it never is). */
  push(x: number, y = 0): boolean {
    const a = this.a;
    lock(a, this.base);
    const t = a[this.base + R_TAIL]!;
    if (t - a[this.base + R_HEAD]! >= this.capacity) {
      unlock(a, this.base);
      return false;
    }
    const at = this.data + (t % this.capacity) * this.width;
    a[at] = x;
    if (this.width > 1) a[at + 1] = y;
    Atomics.store(a, this.base + R_TAIL, t + 1);
    unlock(a, this.base);
    return true;
  }

  /** Takes every entry; returns how many. They are in `taken` (width Int32s each) until the next call. */
  takeAll(): number {
    const a = this.a;
    lock(a, this.base);
    let h = a[this.base + R_HEAD]!;
    const t = a[this.base + R_TAIL]!;
    const n = t - h;
    const w = this.width;
    for (let k = 0; h < t; h++, k++) {
      const at = this.data + (h % this.capacity) * w;
      this.out[k * w] = a[at]!;
      if (w > 1) this.out[k * w + 1] = a[at + 1]!;
    }
    Atomics.store(a, this.base + R_HEAD, t);
    unlock(a, this.base);
    return n;
  }

  get taken(): Int32Array {
    return this.out;
  }
}

/** Rings worker w's doorbell: wakes it if it is parked (or about to park). */
export function ringBell(a: Int32Array, workerBase: number): void {
  Atomics.add(a, workerBase + W_DOORBELL, 1);
  if (Atomics.load(a, workerBase + W_SLEEPING) !== 0) Atomics.notify(a, workerBase + W_DOORBELL, 1);
}

/**
 * The run clock: ms since `hrBase` (process.hrtime.bigint() of the main
 * thread when the run was planned), from performance.now() plus a fixed
 * offset measured once. Every thread reads the same monotonic clock, so
 * times stamped by one worker can be subtracted from another's, and the
 * small magnitude keeps sub-nanosecond resolution in a double.
 */
export function runClock(hrBase: bigint): () => number {
  // A thread can be preempted between the two reads (12 workers on 2 cores):
  // keep the pair read closest together.
  let offset = 0;
  let gap = Infinity;
  for (let i = 0; i < 200 && gap > 0.002; i++) {
    const p0 = performance.now();
    const h = process.hrtime.bigint();
    const p1 = performance.now();
    if (p1 - p0 < gap) {
      gap = p1 - p0;
      offset = Number(h - hrBase) / 1e6 - (p0 + p1) / 2;
    }
  }
  return () => performance.now() + offset;
}
