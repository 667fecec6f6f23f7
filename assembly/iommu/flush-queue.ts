// The flush queue of drivers/iommu/iova.c (v5.10): non-strict unmap defers
// each IOVA's free until an IOTLB invalidation that started after it was
// queued has finished, so one invalidation covers a batch of unmaps.
//
// Per CPU a ring of IOVA_FQ_SIZE entries under its own lock. queue_iova
// first frees what earlier flushes covered (fq_ring_free), flushes the
// domain if the ring is full, then adds the entry, stamped with
// fq_flush_start_cnt, and arms the one timer of the domain if it is off.
// fq_flush_timeout flushes once and drains EVERY CPU's ring on the CPU it
// fires on: those frees all land in that CPU's magazines (free_iova_fast),
// which is how the flush queue skews the caches.
//
// The queue is its own block of shared memory (fqBytes), next to a domain;
// it holds the domain's address. Every worker reaches it by its address.
//
// ╒═══════ FlushQueue header (two cache lines) ════════════════════════════╕
// │ magic │ size │ cpus │ domain │ startCnt │ finishCnt │ timerOn │ ...    │
// ├═══════ FqRing[cpus] (one cache line each) ════════════════════════════╡
// │ lock │ waiters │ head │ tail │ maxDepth │ counters                     │
// ├═══════ entries[cpus][size] (24 bytes: pfn, pages, counter) ═══════════╡
// └────────────────────────────────────────────────────────────────────────┘

import { Domain, CACHE_LINE, LOCK_WAITERS, domainAt } from "../layout";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { freeFast } from "../rcache/rcache";
import { atomicAdd, atomicCmpxchg, atomicLoad, atomicStore } from "../atomics";

/** The host's IOTLB invalidation (a modelled wait on a real clock). Called only when hostFlush is set. */
// @ts-ignore: decorator
@external("env", "flushIotlb")
declare function hostFlushIotlb(): void;

// @ts-ignore: decorator
@inline export const FQ_MAGIC: u32 = 0x51465149; // "IQFQ"
// @ts-ignore: decorator
@inline const ENTRY_BYTES: u32 = 24;
/** The header's bytes: two cache lines. */
// @ts-ignore: decorator
@inline const FQ_HEADER: u32 = 128;

/** fq_timer_on: off, being armed (due not written yet), armed. */
export enum Timer {
  OFF, ARMING, ARMED,
}

/** What queue_iova did, as bits of its result; the bits from FLUSHES_SHIFT up count the full-queue flushes. */
export enum Queued {
  FULL_FLUSH = 1,
  ARMED_TIMER = 2,
  FLUSHES_SHIFT = 2,
  FLAGS = 3,
}

@unmanaged export class FlushQueue {
  magic: u32;
  size: u32;          // IOVA_FQ_SIZE: a ring holds size - 1 entries
  cpus: u32;
  domain: u32;        // byte address of the domain header
  startCnt: u64;      // fq_flush_start_cnt
  finishCnt: u64;     // fq_flush_finish_cnt
  timerOn: u32;       // fq_timer_on (Timer.*)
  timerCpu: u32;      // the CPU that armed the timer: it fires there
  timerDueMs: f64;    // expiry on the domain's clock
  timeoutMs: f64;     // IOVA_FQ_TIMEOUT
  hz: u32;            // jiffies per second (0: no jiffy rounding)
  hostFlush: u32;     // 1: each domain flush calls the host's flushIotlb
  flushes: u64;       // iova_domain_flush calls
  invalidations: u64; // IOTLB invalidations (strict unmaps and domain flushes)
  freedForeign: u64;  // entries freed on another CPU than the one whose ring held them (the timer's one-CPU drain)
}

@unmanaged export class FqRing {
  lock: u32;
  waiters: u32;
  head: u32;
  tail: u32;
  maxDepth: u32;      // deepest since the host last reset it
  pad0: u32;
  queued: u64;        // entries added on this CPU
  freed: u64;         // entries freed by this CPU (from any CPU's ring)
  fullFlushes: u64;   // domain flushes from this CPU's full ring
  timerFirings: u64;  // fq_flush_timeout runs on this CPU
  pad1: u64;
}

export function fqBytes(cpus: u32, size: u32): u32 {
  return FQ_HEADER + cpus * CACHE_LINE + ((cpus * size * ENTRY_BYTES + CACHE_LINE - 1) & ~(CACHE_LINE - 1));
}

// @ts-ignore: decorator
@inline export function fqAt(addr: usize): FlushQueue { return changetype<FlushQueue>(addr); }
// @ts-ignore: decorator
@inline export function fqDomain(fq: FlushQueue): Domain { return domainAt(<usize>fq.domain); }
// @ts-ignore: decorator
@inline export function ringAt(fq: FlushQueue, cpu: u32): FqRing {
  return changetype<FqRing>(changetype<usize>(fq) + FQ_HEADER + <usize>cpu * CACHE_LINE);
}
// @ts-ignore: decorator
@inline function entryPtr(fq: FlushQueue, cpu: u32, idx: u32): usize {
  return changetype<usize>(fq) + FQ_HEADER + <usize>fq.cpus * CACHE_LINE + (<usize>(cpu * fq.size + idx)) * ENTRY_BYTES;
}
// @ts-ignore: decorator
@inline export function ringLockAddr(r: FqRing): usize {
  if (offsetof<FqRing>("waiters") != offsetof<FqRing>("lock") + LOCK_WAITERS) ERROR("FqRing.waiters must follow lock");
  return changetype<usize>(r) + offsetof<FqRing>("lock");
}
// @ts-ignore: decorator
@inline function startCntAddr(fq: FlushQueue): usize { return changetype<usize>(fq) + offsetof<FlushQueue>("startCnt"); }
// @ts-ignore: decorator
@inline function finishCntAddr(fq: FlushQueue): usize { return changetype<usize>(fq) + offsetof<FlushQueue>("finishCnt"); }
// @ts-ignore: decorator
@inline function timerOnAddr(fq: FlushQueue): usize { return changetype<usize>(fq) + offsetof<FlushQueue>("timerOn"); }

/** init_iova_flush_queue: empty rings, the timer off. Zeroes the block first. */
export function fqInit(addr: usize, domain: usize, cpus: u32, size: u32, timeoutMs: f64, hz: u32): void {
  assert(size >= 2, "a ring needs room for one entry");  // debug builds only (noAssert in release)
  memory.fill(addr, 0, fqBytes(cpus, size));
  let fq = fqAt(addr);
  fq.size = size;
  fq.cpus = cpus;
  fq.domain = <u32>domain;
  fq.timeoutMs = timeoutMs;
  fq.hz = hz;
  atomicStore<u32>(addr, FQ_MAGIC);
}

/** Entries in CPU q's ring now. */
export function fqDepth(fq: FlushQueue, q: u32): u32 {
  let r = ringAt(fq, q);
  let h = atomicLoad<u32>(changetype<usize>(r) + offsetof<FqRing>("head"));
  let t = atomicLoad<u32>(changetype<usize>(r) + offsetof<FqRing>("tail"));
  return t >= h ? t - h : t + fq.size - h;
}

/** One IOTLB invalidation with sync (strict unmap; inside every domain flush). */
export function iotlbSync(fq: FlushQueue): void {
  if (fq.hostFlush != 0) hostFlushIotlb();
  atomicAdd<u64>(changetype<usize>(fq) + offsetof<FlushQueue>("invalidations"), 1);
}

/**
 * iova_domain_flush: start_cnt++, the invalidation, finish_cnt++. Returns
 * this flush's own start count (start_cnt after its increment): once it
 * returns, every entry stamped below that is covered. A flush whose CPU died
 * in the invalidation (a worker terminated in the host's wait) raised
 * start_cnt and never finish_cnt, so finish_cnt stays one behind for good
 * and each later flush covers only what was queued before the one ahead of
 * it; the own start count does not depend on that.
 */
export function domainFlush(fq: FlushQueue): u64 {
  let started = atomicAdd<u64>(startCntAddr(fq), 1) + 1;
  iotlbSync(fq);
  atomicAdd<u64>(finishCntAddr(fq), 1);
  atomicAdd<u64>(changetype<usize>(fq) + offsetof<FlushQueue>("flushes"), 1);
  return started;
}

/**
 * fq_ring_free, with CPU q's ring locked: frees (into CPU `on`'s caches)
 * every entry a finished flush covers. Returns how many.
 */
export function ringFree(fq: FlushQueue, q: u32, on: u32): u32 {
  return ringFreeBelow(fq, q, on, atomicLoad<u64>(finishCntAddr(fq)));
}

/** ringFree with the cover given: frees the entries stamped below `fin`, with CPU q's ring locked. */
function ringFreeBelow(fq: FlushQueue, q: u32, on: u32, fin: u64): u32 {
  let d = fqDomain(fq);
  let r = ringAt(fq, q);
  let h = r.head;
  let t = r.tail;
  let n: u32 = 0;
  while (h != t) {
    let e = entryPtr(fq, q, h);
    if (load<u64>(e, 16) >= fin) break;
    freeFast(d, on, load<u64>(e), load<u64>(e, 8));
    h = h + 1 == fq.size ? <u32>0 : h + 1;
    n++;
  }
  atomicStore<u32>(changetype<usize>(r) + offsetof<FqRing>("head"), h);
  ringAt(fq, on).freed += n;
  if (q != on && n != 0) atomicAdd<u64>(changetype<usize>(fq) + offsetof<FlushQueue>("freedForeign"), n);
  return n;
}

/**
 * Whether a queue_iova on CPU q now would free anything (its head entry is
 * covered by a finished flush, or the ring is full and it will flush): a
 * cheap test for callers that account for that work.
 */
export function ringWillFree(fq: FlushQueue, q: u32): bool {
  let r = ringAt(fq, q);
  let h = r.head;
  let t = r.tail;
  if (h == t) return false;
  if ((t + 1 == fq.size ? 0 : t + 1) == h) return true;
  return load<u64>(entryPtr(fq, q, h), 16) < atomicLoad<u64>(finishCntAddr(fq));
}

/** The timer's expiry for an arming at nowMs: jiffies + msecs_to_jiffies(timeout), on a jiffy boundary. */
function timerDue(fq: FlushQueue, nowMs: f64): f64 {
  if (fq.hz == 0) return nowMs + fq.timeoutMs;
  let msPerJiffy = 1000.0 / <f64>fq.hz;
  let jiffies = Math.floor(nowMs / msPerJiffy);
  let delta = Math.ceil(fq.timeoutMs / msPerJiffy - 1e-9);  // msecs_to_jiffies rounds up
  return (jiffies + delta) * msPerJiffy;
}

/**
 * queue_iova on `cpu` at nowMs (the domain's clock). Returns Queued.* bits.
 * The kernel flushes once when the ring is full; on a real clock a worker
 * can be preempted between another CPU's start_cnt and finish_cnt, so that
 * one flush may cover none of this ring: flush until one does, since adding
 * to a still-full ring would wrap it to empty and lose its entries.
 */
// Inlined into its callers (the simulator's unmap of every request among
// them): a wasm call in V8 spills and reloads the caller's live registers.
// @ts-ignore: decorator
@inline export function queueIova(fq: FlushQueue, cpu: u32, pfn: u64, pages: u64, nowMs: f64): u32 {
  let d = fqDomain(fq);
  let r = ringAt(fq, cpu);
  let out: u32 = 0;
  let flushes: u32 = 0;
  lock(d, ringLockAddr(r), selfId);
  // fq_ring_free; when no finished flush covers the head entry and the ring
  // has room it frees nothing and changes nothing, so the call is skipped.
  if (ringWillFree(fq, cpu)) ringFree(fq, cpu, cpu);
  let t = r.tail;
  let next: u32 = t + 1 == fq.size ? 0 : t + 1;
  while (next == r.head) {
    domainFlush(fq);
    r.fullFlushes++;
    out |= Queued.FULL_FLUSH;
    flushes++;
    ringFree(fq, cpu, cpu);
  }
  out |= flushes << Queued.FLUSHES_SHIFT;
  let e = entryPtr(fq, cpu, t);
  store<u64>(e, pfn);
  store<u64>(e, pages, 8);
  store<u64>(e, atomicLoad<u64>(startCntAddr(fq)), 16);
  atomicStore<u32>(changetype<usize>(r) + offsetof<FqRing>("tail"), next);
  r.queued++;
  let depth = next >= r.head ? next - r.head : next + fq.size - r.head;
  if (depth > r.maxDepth) r.maxDepth = depth;
  unlock(ringLockAddr(r));
  // Avoid false sharing: read before the exchange, as the kernel does.
  if (atomicLoad<u32>(timerOnAddr(fq)) == Timer.OFF) {
    // The expiry is computed before the exchange: between ARMING and ARMED
    // only straight-line stores run, no call and no loop, so no interrupt
    // check where V8's terminate() lands. A worker killed inside timerDue
    // (its call's entry is one) once left the timer in ARMING for good: no
    // CPU armed or fired it again, and queued entries waited for a full ring.
    let due = timerDue(fq, nowMs);
    if (atomicCmpxchg<u32>(timerOnAddr(fq), Timer.OFF, Timer.ARMING) == Timer.OFF) {
      fq.timerCpu = cpu;
      fq.timerDueMs = due;
      atomicStore<u32>(timerOnAddr(fq), Timer.ARMED);
      out |= Queued.ARMED_TIMER;
    }
  }
  return out;
}

/** fq_flush_timeout's step for CPU q's ring, run on CPU `on`: lock it, free what the flush covered. */
export function drainRing(fq: FlushQueue, q: u32, on: u32): u32 {
  return drainRingBelow(fq, q, on, 0);
}

/** drainRing freeing the entries stamped below `cover`; 0: below finish_cnt as read under the lock. */
function drainRingBelow(fq: FlushQueue, q: u32, on: u32, cover: u64): u32 {
  let r = ringAt(fq, q);
  lock(fqDomain(fq), ringLockAddr(r), selfId);
  let n = ringFreeBelow(fq, q, on, cover != 0 ? cover : atomicLoad<u64>(finishCntAddr(fq)));
  unlock(ringLockAddr(r));
  return n;
}

/** Drains every CPU's ring on CPU `on` (the body of fq_flush_timeout after its flush); `cover` as drainRingBelow. */
function drainAll(fq: FlushQueue, on: u32, cover: u64): u32 {
  let n: u32 = 0;
  for (let q: u32 = 0; q < fq.cpus; q++) if (fqDepth(fq, q) != 0) n += drainRingBelow(fq, q, on, cover);
  return n;
}

/**
 * The start of fq_flush_timeout, if the timer is due at nowMs and this
 * caller wins it, on CPU `on`: the timer goes off and the domain is flushed.
 * The caller then drains every ring (drainRing). False: it did not fire.
 */
export function timerExpire(fq: FlushQueue, on: u32, nowMs: f64): bool {
  if (atomicLoad<u32>(timerOnAddr(fq)) != Timer.ARMED || nowMs < fq.timerDueMs) return false;
  if (atomicCmpxchg<u32>(timerOnAddr(fq), Timer.ARMED, Timer.OFF) != Timer.ARMED) return false;
  ringAt(fq, on).timerFirings++;
  domainFlush(fq);
  return true;
}

/**
 * fq_flush_timeout, if the timer is due at nowMs and this caller wins it,
 * run on CPU `on` (a real clock: any worker may poll). Returns entries
 * freed, or -1 if the timer did not fire.
 */
export function pollTimer(fq: FlushQueue, on: u32, nowMs: f64): i32 {
  if (!timerExpire(fq, on, nowMs)) return -1;
  return <i32>drainAll(fq, on, 0);
}

/**
 * Flush and free everything queued, on CPU `on`, with the timer off (the
 * end of a run, and the host's recovery after a worker died). By its own
 * flush's start count, not by finish_cnt: after a flush whose CPU died
 * (domainFlush) finish_cnt lags start_cnt, and the entries queued since
 * that flush started would stay queued although this flush covers them.
 */
export function fqDrain(fq: FlushQueue, on: u32): u32 {
  atomicStore<u32>(timerOnAddr(fq), Timer.OFF);
  return drainAll(fq, on, domainFlush(fq));
}

/** Entries queued in every ring. */
export function fqPending(fq: FlushQueue): u32 {
  let n: u32 = 0;
  for (let q: u32 = 0; q < fq.cpus; q++) n += fqDepth(fq, q);
  return n;
}
