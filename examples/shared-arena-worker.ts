// One worker of examples/shared-arena-workers.ts: attaches to the arena,
// then allocates, writes, verifies and frees buffers of mixed sizes while the
// other workers do the same in the same SharedArrayBuffer. Every buffer is
// filled with a tag unique to this worker and allocation, and read back in
// full before it is freed: a byte another worker wrote is a corruption.
//
// Outside this repository, import from "iova-wasm" instead of "../src/index.js".
import { parentPort, workerData } from "node:worker_threads";
import { SharedArena, type SharedArenaHandle } from "../src/index.js";

/** What the main thread passes in workerData. */
export interface WorkerJob {
  handle: SharedArenaHandle;
  index: number;
  ops: number;
  seed: number;
  /** Most allocations this worker holds at once. */
  maxLive: number;
  /** Allocations left live at the end and handed to the main thread to verify and free. */
  handoff: number;
  /** Fault injection: free one small buffer twice, halfway through (see --inject-double-free). */
  injectDoubleFree: boolean;
}

/** One allocation: where, how big, and the tag written into it. */
export interface Held {
  offset: number;
  bytes: number;
  tag: number;
}

/** What a worker posts back when it is done. */
export interface WorkerReport {
  index: number;
  ops: number;
  allocs: number;
  frees: number;
  /** alloc() calls that returned null (arena full at that moment). */
  nullAllocs: number;
  smallAllocs: number;
  largeAllocs: number;
  /** Buffers whose contents were not what this worker wrote. */
  corruptions: number;
  firstCorruption: string | null;
  bytesVerified: number;
  ms: number;
  handoff: Held[];
}

/** mulberry32: a small seeded PRNG, so runs repeat. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills an allocation with its tag: whole 32-bit words, then the tail bytes. */
export function writeTag(arena: SharedArena, h: Held): void {
  const words = h.bytes >>> 2;
  if (words > 0) arena.array(Int32Array, h.offset, words).fill(h.tag);
  const tail = h.bytes & 3;
  if (tail > 0) arena.u8(h.offset + words * 4, tail).fill(h.tag & 0xff);
}

/** Reads an allocation back; returns null if intact, else where it first differs. */
export function checkTag(arena: SharedArena, h: Held): string | null {
  const words = h.bytes >>> 2;
  if (words > 0) {
    const w = arena.array(Int32Array, h.offset, words);
    for (let i = 0; i < words; i++) {
      if (w[i] !== h.tag) {
        return `offset ${h.offset} (${h.bytes} bytes): word ${i} is 0x${(w[i] >>> 0).toString(16)}, wrote 0x${(h.tag >>> 0).toString(16)}`;
      }
    }
  }
  const tail = h.bytes & 3;
  if (tail > 0) {
    const b = arena.u8(h.offset + words * 4, tail);
    for (let i = 0; i < tail; i++) {
      if (b[i] !== (h.tag & 0xff)) return `offset ${h.offset} (${h.bytes} bytes): tail byte ${i} is ${b[i]}, wrote ${h.tag & 0xff}`;
    }
  }
  return null;
}

/** Mixed sizes: 80% small (1 B to 2 KiB, the cached path at a 64 B unit), 20% large (to 64 KiB), log-uniform. */
export function sizeOf(rand: () => number): number {
  const small = rand() < 0.8;
  const [lo, hi] = small ? [0, 11] : [11, 16];
  return Math.max(1, Math.round(2 ** (lo + rand() * (hi - lo))));
}

function run(job: WorkerJob): WorkerReport {
  const t0 = performance.now();
  const arena = SharedArena.attach(job.handle, job.index);
  const rand = prng(job.seed);
  const live: Held[] = [];
  const r: WorkerReport = {
    index: job.index, ops: 0, allocs: 0, frees: 0, nullAllocs: 0, smallAllocs: 0, largeAllocs: 0,
    corruptions: 0, firstCorruption: null, bytesVerified: 0, ms: 0, handoff: [],
  };
  const smallLimit = 32 * arena.unit;
  let seq = 0;

  const release = (i: number) => {
    const h = live[i];
    live[i] = live[live.length - 1];
    live.pop();
    const bad = checkTag(arena, h);
    if (bad !== null) {
      r.corruptions++;
      r.firstCorruption ??= `worker ${job.index}: ${bad}`;
    }
    r.bytesVerified += h.bytes;
    arena.free(h.offset, h.bytes);
    r.frees++;
  };

  for (; r.ops < job.ops; r.ops++) {
    if (job.injectDoubleFree && r.ops === job.ops >> 1) {
      const i = live.findIndex((h) => h.bytes <= smallLimit);
      if (i >= 0) {
        const h = live[i];
        release(i);
        arena.free(h.offset, h.bytes); // the bug: debug mode throws DoubleFreeError here
      }
    }
    const wantAlloc = live.length === 0 || (live.length < job.maxLive && rand() < 0.55);
    if (!wantAlloc) {
      release(Math.floor(rand() * live.length));
      continue;
    }
    const bytes = sizeOf(rand);
    const offset = arena.alloc(bytes);
    if (offset === null) {
      r.nullAllocs++;
      if (live.length > 0) release(Math.floor(rand() * live.length));
      continue;
    }
    const h: Held = { offset, bytes, tag: (((job.index + 1) << 24) | (++seq & 0xffffff)) | 0 };
    writeTag(arena, h);
    live.push(h);
    r.allocs++;
    if (bytes <= smallLimit) r.smallAllocs++;
    else r.largeAllocs++;
  }
  // Keep a few for the main thread to free (frees may come from any thread), return the rest.
  while (live.length > job.handoff) release(live.length - 1);
  r.handoff = live.splice(0);
  arena.close();
  r.ms = performance.now() - t0;
  return r;
}

if (parentPort) parentPort.postMessage(run(workerData as WorkerJob));
