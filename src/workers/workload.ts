// The seeded random allocFast/freeFast workload a CPU worker runs, and the
// cross-CPU mailboxes through which workers hand ranges to each other so a
// range allocated on one CPU is freed on another (a DMA completion handled
// on a different CPU than the mapping).
import type { IovaDomain } from "../domain/iova-domain.js";
import type { MailboxSpec, WorkloadResult, WorkloadSpec } from "./protocol.js";

/** Largest size that the range caches hold (orders 0..5). */
export const CACHED_MAX = 32;

/** Pages a range of requested `size` really spans: cached sizes are rounded up to a power of two. */
export function extentOf(size: number): number {
  if (size > CACHED_MAX) return size;
  let e = 1;
  while (e < size) e *= 2;
  return e;
}

import { splitmix32 } from "../util/splitmix32.js";

export { splitmix32 };

// ╒══════════ Mailboxes: `ring` SPSC rings in one SharedArrayBuffer ══════════╕
// │ ring k carries ranges from ring position k to position (k + 1) % ring     │
// │ per ring: Int32 head (consumer), Int32 tail (producer), pad to 64 bytes,  │
// │           then capacity × (pfn f64, size f64)                             │
// └───────────────────────────────────────────────────────────────────────────┘
// head and tail only grow; the producer publishes an entry by storing tail
// after writing it, the consumer frees its slot by storing head after
// reading it (Atomics.load/store are sequentially consistent, so the plain
// Float64 accesses are ordered by them).
const RING_HEADER = 64;

function ringStride(capacity: number): number {
  return RING_HEADER + capacity * 16;
}

export const Mailboxes = {
  /** A buffer for `ring` rings of `capacity` ranges each. */
  create(ring: number, capacity: number): SharedArrayBuffer {
    return new SharedArrayBuffer(ring * ringStride(capacity));
  },

  /** The MailboxSpec of ring position `index`. */
  spec(sab: SharedArrayBuffer, ring: number, capacity: number, index: number, prob: number): MailboxSpec {
    return { sab, ring, index, capacity, prob };
  },

  /**
   * Takes every range still in flight out of the rings: element k holds
   * ring k's [pfn, size, ...], bound for ring position (k + 1) % ring. Only
   * while no worker uses the rings (the workload finished, or the workers
   * are gone).
   */
  drainAll(sab: SharedArrayBuffer, ring: number, capacity: number): number[][] {
    const out: number[][] = [];
    for (let k = 0; k < ring; k++) {
      const rs: number[] = [];
      new Ring(sab, k, capacity).drain((pfn, size) => rs.push(pfn, size));
      out.push(rs);
    }
    return out;
  },

  /** Ranges in flight in all rings (for the books while workers are idle). */
  pending(sab: SharedArrayBuffer, ring: number, capacity: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < ring; k++) new Ring(sab, k, capacity).peek((pfn, size) => out.push(pfn, size));
    return out;
  },
};

class Ring {
  private readonly idx: Int32Array;
  private readonly data: Float64Array;
  constructor(sab: SharedArrayBuffer, k: number, private readonly capacity: number) {
    const off = k * ringStride(capacity);
    this.idx = new Int32Array(sab, off, 2);
    this.data = new Float64Array(sab, off + RING_HEADER, capacity * 2);
  }

  /** Producer side. False when full. */
  send(pfn: number, size: number): boolean {
    const t = Atomics.load(this.idx, 1);
    const h = Atomics.load(this.idx, 0);
    if (t - h >= this.capacity) return false;
    const s = (t % this.capacity) * 2;
    this.data[s] = pfn;
    this.data[s + 1] = size;
    Atomics.store(this.idx, 1, t + 1);
    return true;
  }

  /** Consumer side: hands every available entry to `take`. */
  drain(take: (pfn: number, size: number) => void): number {
    let h = Atomics.load(this.idx, 0);
    const t = Atomics.load(this.idx, 1);
    const n = t - h;
    for (; h < t; h++) {
      const s = (h % this.capacity) * 2;
      take(this.data[s], this.data[s + 1]);
    }
    Atomics.store(this.idx, 0, t);
    return n;
  }

  peek(take: (pfn: number, size: number) => void): void {
    const t = Atomics.load(this.idx, 1);
    for (let h = Atomics.load(this.idx, 0); h < t; h++) {
      const s = (h % this.capacity) * 2;
      take(this.data[s], this.data[s + 1]);
    }
  }
}

/**
 * Runs a workload on CPU `cpu` of domain `d`. `stopRequested` is polled
 * between two domain calls; when it returns true the run ends early with
 * `stopped: true` (the caller then parks: see cpu-worker.ts).
 */
export function runWorkload(d: IovaDomain, cpu: number, spec: WorkloadSpec, stopRequested: () => boolean): WorkloadResult {
  const rng = splitmix32(spec.seed);
  const unit = () => rng() / 0x1_0000_0000;
  const below = (n: number) => Math.floor(unit() * n);
  const [minSize, maxSize] = spec.sizes ?? [1, 64];
  const maxLive = spec.maxLive ?? 256;
  const bias0 = spec.allocBias ?? 0.5;
  const phase = spec.phase ?? 0;
  const flush = spec.flush ?? true;
  const limits = spec.limits;
  const pause = spec.pause ?? 0;
  const mb = spec.mailbox;
  const outbox = mb ? new Ring(mb.sab, mb.index, mb.capacity) : null;
  const inbox = mb ? new Ring(mb.sab, (mb.index + mb.ring - 1) % mb.ring, mb.capacity) : null;
  const livePfn: number[] = [];
  const liveSize: number[] = [];
  const r: WorkloadResult = {
    cpu, ops: 0, allocs: 0, allocFails: 0, frees: 0, cachedAllocCalls: 0, cachedFreeCalls: 0,
    sent: 0, received: 0, live: [], stopped: false,
  };
  const adopt = (pfn: number, size: number) => {
    livePfn.push(pfn);
    liveSize.push(size);
    r.received++;
  };
  let sink = 0;
  for (let i = 0; i < spec.ops; i++) {
    if (stopRequested()) {
      r.stopped = true;
      break;
    }
    if (inbox) inbox.drain(adopt);
    const n = livePfn.length;
    const bias = phase > 0 && Math.floor(i / phase) % 2 === 1 ? 1 - bias0 : bias0;
    const doAlloc = n === 0 || (n < maxLive && unit() < bias);
    if (doAlloc) {
      const size = minSize + below(maxSize - minSize + 1);
      const limit = limits[below(limits.length)];
      if (size <= CACHED_MAX) r.cachedAllocCalls++;
      const pfn = d.allocFast(size, limit, flush, cpu);
      if (pfn === null) r.allocFails++;
      else {
        r.allocs++;
        livePfn.push(pfn);
        liveSize.push(size);
      }
    } else {
      const j = below(n);
      const pfn = livePfn[j];
      const size = liveSize[j];
      livePfn[j] = livePfn[n - 1];
      liveSize[j] = liveSize[n - 1];
      livePfn.pop();
      liveSize.pop();
      if (outbox && unit() < mb!.prob && outbox.send(pfn, size)) {
        r.sent++;
      } else {
        if (size <= CACHED_MAX) r.cachedFreeCalls++;
        d.freeFast(pfn, size, cpu);
        r.frees++;
      }
    }
    for (let k = 0; k < pause; k++) sink += k;
  }
  r.ops = r.allocs + r.allocFails + r.frees;
  for (let k = 0; k < livePfn.length; k++) r.live.push(livePfn[k], liveSize[k]);
  if (sink === -1) r.live.push(0);  // keeps the pause loop from being optimised away
  return r;
}
