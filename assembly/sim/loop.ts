// The simulator's event loop: J fio-like jobs keep Q I/Os each in flight
// against one IOVA domain from C simulated CPUs, deterministically.
//
// Each I/O slot cycles through two events:
//   SUBMIT   on its job's CPU: draw a block size, map it (dma-iommu in the
//            core, per segment), hand it to the device (a merged request,
//            bsKind 3: its reads' submissions, then a MAP event that maps
//            and hands it over);
//   COMPLETE on the interrupt CPU of the job's CPU: unmap it (strict: the
//            invalidation and free_iova_fast; else queue_iova), then the job
//            submits the slot again when that is done.
// plus the flush-queue timer (fq_flush_timeout on the CPU that armed it) and
// the domain clock's ticks (policy work on a kworker). The allocator's state
// changes in event order; clock.ts charges what that work costs.

import { Domain, ORDERS, Err, cpuCacheAt } from "../layout";
import { orderOf } from "../rcache/rcache";
import { magEmpty } from "../rcache/magazine";
import { depotTimers, depotSlicesDue } from "../rcache/tick";
import { reclaimSlice } from "../rcache/reclaim";
import { FlushQueue, Queued, ringAt, fqDepth, drainRing, timerExpire, ringWillFree } from "../iommu/flush-queue";
import { mapIova, unmapIova, iovaLen, lastFellBack, lastFirstError, lastFirstWalk } from "../iommu/dma";
import { freeFast } from "../rcache/rcache";
import {
  Sim, SimParam, SimTotal, L, H, PH_SUBMIT, PH_COMPLETE, PH_MAP, pAt, bump, cpuPtr, jobPtr, streamPtr, slotPtr, segPtr, bsPtr,
} from "./layout";
import { NO_EVENT, queueAt, queueFirst, queueFirstSlot, queueFirstPhase, queueFirstTime, queueReplaceFirst, queuePopFirst } from "./queue";
import { Stream, uniform, exponential, below } from "./random";
import { drawMergedIos } from "./merge";
import { histAdd } from "./histogram";
import { startOn, setCpuFreeAt, acquire, release, snapWork, chargeWork, EVERY_ORDER } from "./clock";

/** One block size, as fio draws it: fixed, a multiple of the minimum (range), or from the table (split); r: the job's SIZE stream. */
function drawBytes(s: Sim, r: usize): f64 {
  if (s.bsKind == 0) return s.bsFixed;
  if (s.bsKind == 1) return s.bsMin * (1 + Math.floor(uniform(r) * s.bsSteps));
  let u = uniform(r);
  let n = s.bsEntries;
  for (let i: u32 = 0; i + 1 < n; i++) {
    let e = bsPtr(s, i);
    if (u < load<f64>(e, 8)) return load<f64>(e);
  }
  return load<f64>(bsPtr(s, n - 1));
}

/** The scheduler moves job j to an idle CPU (any other one if none is idle), drawing from the job's MIGRATE stream r. */
function migrate(s: Sim, j: u32, r: usize): void {
  let jp = jobPtr(s, j);
  let from = load<u32>(jp);
  let to = from;
  let C = s.cpus;
  if (C > 1) {
    for (let tries = 0; tries < 64; tries++) {
      let c = below(r, C);
      if (c != from && load<u32>(cpuPtr(s, c), 16) == 0) { to = c; break; }
    }
    if (to == from) {
      to = below(r, C - 1);
      if (to >= from) to++;
    }
  }
  store<u32>(cpuPtr(s, from), load<u32>(cpuPtr(s, from), 16) - 1, 16);
  store<u32>(cpuPtr(s, to), load<u32>(cpuPtr(s, to), 16) + 1, 16);
  store<u32>(jp, to);
  bump(s, SimTotal.migrations, 1);
}

/**
 * Every migration due by t, in the order of their times. Each job migrates
 * as a Poisson process of its own (mean gap migrateNs, its MIGRATE stream):
 * the times are the stream's, not the events', and the moves are made in
 * time order whichever event comes first, so that where the jobs run at a
 * time is the same under every policy of a seed. Migrations stop at the
 * run's duration, as submissions do. Returns nothing: the jobs' CPUs and
 * s.nextMigrateNs are updated.
 */
export function migrateDue(s: Sim, t: f64): void {
  let mean = pAt(s, SimParam.migrateNs);
  let duration = pAt(s, SimParam.durationNs);
  while (true) {
    let first: u32 = 0;
    let m = Infinity;
    for (let j: u32 = 0; j < s.jobs; j++) {
      let at = load<f64>(jobPtr(s, j), 8);
      if (at < m) { m = at; first = j; }
    }
    if (m > t || m >= duration) {
      s.nextMigrateNs = m < duration ? m : Infinity;
      return;
    }
    let r = streamPtr(s, first, Stream.MIGRATE);
    migrate(s, first, r);
    store<f64>(jobPtr(s, first), m + exponential(r, mean), 8);
  }
}

/** free_iova_fast of one IOVA on CPU c from `now`, charged (the unwinding of a failed map, a strict unmap). */
function freeCharged(s: Sim, d: Domain, c: u32, pfn: u64, pages: u64, now: f64): f64 {
  let o = orderOf(pages);
  snapWork(s, d, o);
  freeFast(d, c, pfn, pages);
  return chargeWork(s, d, o, c, now + pAt(s, SimParam.magazineNs), false, 0);
}

/**
 * fq_ring_free's cost on CPU c from `at`, under a flush-queue lock: each
 * freed entry a free_iova_fast, and the depot and tree work they did (since
 * snapWork(s, d, EVERY_ORDER)).
 */
function chargeRingFree(s: Sim, d: Domain, c: u32, at: f64, freed: u64): f64 {
  if (freed == 0) return at;
  return chargeWork(s, d, EVERY_ORDER, c, at + <f64>freed * pAt(s, SimParam.magazineNs), false, 0);
}

/** Slot k's SUBMIT at t. Returns the time of its next event: the completion, the retry of a failed map, or (merged) its MAP. */
// submit, mapRequest and complete are inlined into runBatch, their one
// caller: V8's wasm calls keep no register across a call, so each event's
// call spilled and reloaded the loop's state (cachegrind: 80 instructions a
// request fewer inlined, of about 2,180).
// @ts-ignore: decorator
@inline function submit(s: Sim, d: Domain, k: u32, t: f64): f64 {
  let sp = slotPtr(s, k);
  let j = load<u32>(sp);
  let jp = jobPtr(s, j);
  if (t >= s.nextMigrateNs) migrateDue(s, t);
  let c = load<u32>(jp);
  if (s.bsKind == 3) {
    // A merged request: its reads are submitted one by one (submitNs each) and
    // it maps once the last has joined, at an event of its own, so that its map
    // takes the locks in time order with the other CPUs'. Its bytes are
    // ios * bsFixed (mapRequest), integers far below 2^53: exact.
    let ios = drawMergedIos(s, streamPtr(s, j, Stream.SIZE));
    let at = startOn(s, c, t) + pAt(s, SimParam.submitNs) * <f64>ios;
    setCpuFreeAt(s, c, at);
    store<u32>(sp, PH_MAP, 4);
    store<f64>(sp, t, 8);
    store<u32>(sp, ios, 20);
    return at;
  }
  let bytes = drawBytes(s, streamPtr(s, j, Stream.SIZE));
  store<f64>(sp, t, 8);
  store<u32>(sp, 1, 20);
  return mapAndIssue(s, d, k, t, c, startOn(s, c, t) + pAt(s, SimParam.submitNs), bytes);
}

/**
 * blk_mq_hctx_next_cpu (v5.10 block/blk-mq.c) for the hardware queue of CPU
 * c: the queue's CPUs (those sharing c's interrupt CPU) in turn, each for
 * BLK_MQ_CPU_WORK_BATCH (8) runs. The count of runs lives in the interrupt
 * CPU's record. Only the kblockdShare experiment calls it.
 */
function hctxNextCpu(s: Sim, c: u32): u32 {
  let irq = load<u32>(cpuPtr(s, c), 12);
  let rp = cpuPtr(s, irq);
  let runs = load<u32>(rp, 20);
  store<u32>(rp, runs + 1, 20);
  let m: u32 = 0;
  for (let i: u32 = 0; i < s.cpus; i++) if (load<u32>(cpuPtr(s, i), 12) == irq) m++;
  let want = (runs >> 3) % m;
  for (let i: u32 = 0; i < s.cpus; i++) {
    if (load<u32>(cpuPtr(s, i), 12) != irq) continue;
    if (want == 0) return i;
    want--;
  }
  return c;
}

/**
 * The map of a merged request whose reads were submitted (PH_MAP), on its
 * job's CPU at t. It follows its last read at once: work another slot put on
 * the CPU after t (its own reads, booked while these waited) moves later by
 * the map's time instead of delaying the map.
 */
// @ts-ignore: decorator
@inline function mapRequest(s: Sim, d: Domain, k: u32, t: f64): f64 {
  let sp = slotPtr(s, k);
  let j = load<u32>(sp);
  if (t >= s.nextMigrateNs) migrateDue(s, t);
  let c = load<u32>(jobPtr(s, j));
  let share = pAt(s, SimParam.kblockdShare);
  // An async run of the hardware queue: a kblockd worker maps it, when it is free.
  // One call of mapAndIssue for both, so that it is inlined here once.
  let viaKblockd = share > 0 && uniform(streamPtr(s, j, Stream.KBLOCKD)) < share;
  let w = viaKblockd ? hctxNextCpu(s, c) : c;
  let from = viaKblockd ? startOn(s, w, t) : t;
  let booked = load<f64>(cpuPtr(s, c));
  let next = mapAndIssue(s, d, k, t, w, from, <f64>load<u32>(sp, 20) * s.bsFixed);
  if (!viaKblockd && booked > t) setCpuFreeAt(s, c, booked + (load<f64>(cpuPtr(s, c)) - t));
  return next;
}

/**
 * dma-iommu's map of one request of `bytes` on CPU c from `now` (the event at
 * t), then the device. A map that finds no space unwinds and retries later.
 * Returns the time of the slot's next event: the completion, or the retry.
 */
// Inlined into its two callers (submit, mapRequest), for the reason runBatch's comment gives.
// @ts-ignore: decorator
@inline function mapAndIssue(s: Sim, d: Domain, k: u32, t: f64, c: u32, now: f64, bytes: f64): f64 {
  let sp = slotPtr(s, k);
  let j = load<u32>(sp);
  let jp = jobPtr(s, j);
  let segBytes = pAt(s, SimParam.segBytes);
  let limit = <u64>pAt(s, SimParam.dmaLimitPfn);
  let shift = d.granuleShift;
  // 1 / 2^shift is exact, so sb * perGranule is sb / granule to the bit
  // (built from its exponent bits: no division on the map's path).
  let perGranule = reinterpret<f64>(<u64>(1023 - shift) << 52);
  let pci = s.pci != 0;
  let out = segPtr(s, k);
  let n: u32 = 0;
  let rem = bytes;
  let failed = false;
  while (rem > 0) {
    let sb = rem < segBytes ? rem : segBytes;
    rem -= sb;
    let pages = <u64>Math.ceil(sb * perGranule);
    let o = orderOf(iovaLen(pages));
    let looked = false;
    if (o < ORDERS) {
      let cc = cpuCacheAt(d, c, o);
      looked = magEmpty(d, cc.loaded) && magEmpty(d, cc.prev);
    }
    snapWork(s, d, o);
    let pfn = mapIova(d, c, pages, limit, pci);
    now += pAt(s, SimParam.magazineNs);
    let fastFail: u32 = 0;
    if (lastFellBack) {
      bump(s, SimTotal.fallbacks64, 1);
      if (lastFirstError == Err.FAST_FAIL_32) {
        fastFail = 1;
        bump(s, SimTotal.fastFails, 1);
      } else {
        bump(s, SimTotal.failedWalkNodes, lastFirstWalk);
      }
    }
    now = chargeWork(s, d, o, c, now, looked, fastFail);
    if (pfn == 0) { failed = true; break; }
    store<u64>(out + (<usize>n << 4), pfn);
    store<u64>(out + (<usize>n << 4), pages, 8);
    n++;
  }
  if (failed) {
    // The driver unwinds what it mapped and the I/O is retried later.
    for (let i: u32 = 0; i < n; i++) now = freeCharged(s, d, c, load<u64>(out + (<usize>i << 4)), load<u64>(out + (<usize>i << 4), 8), now);
    setCpuFreeAt(s, c, now);
    bump(s, SimTotal.mapFailures, 1);
    // A merged request retries its map (its reads stay submitted); a lone I/O is submitted again.
    return now + pAt(s, SimParam.retryNs);
  }
  setCpuFreeAt(s, c, now);
  store<u32>(sp, PH_COMPLETE, 4);
  store<u32>(sp, n, 16);
  // The request completes on the interrupt CPU of the hardware queue it was
  // mapped and delivered on, wherever its job runs by then (hisi_sas_task_prep
  // picks the delivery queue from the request's blk-mq hctx, and its
  // completion queue's cq_thread_v3_hw unmaps it).
  store<u32>(sp, load<u32>(cpuPtr(s, c), 12), 24);
  let mapNs = now - t;
  histAdd(s, H.MAP, mapNs);
  bump(s, SimTotal.mapNs, mapNs);
  bump(s, SimTotal.maps, <f64>n);
  // The device: the transfer (behind the job's earlier ones when serial), then its latency.
  let xfer = bytes * pAt(s, SimParam.nsPerByte);
  let lat = pAt(s, SimParam.deviceBaseNs) * (1 + pAt(s, SimParam.deviceJitter) * (uniform(streamPtr(s, j, Stream.DEVICE)) - 0.5));
  let done: f64;
  if (s.serial != 0) {
    let free = load<f64>(jp, 16);
    let xs = now > free ? now : free;
    store<f64>(jp, xs + xfer, 16);
    done = xs + xfer + lat;
  } else {
    done = now + xfer + lat;
  }
  return done;
}

/** Slot k's COMPLETE at t. Returns the time of its next event: the job submits the slot again. */
// @ts-ignore: decorator
@inline function complete(s: Sim, d: Domain, fq: FlushQueue, k: u32, t: f64): f64 {
  let sp = slotPtr(s, k);
  let j = load<u32>(sp);
  let c = load<u32>(sp, 24);  // the interrupt CPU of the CPU that mapped it (mapAndIssue)
  let now = startOn(s, c, t) + pAt(s, SimParam.completeNs);
  let n = load<u32>(sp, 16);
  let segs = segPtr(s, k);
  let strict = s.strict != 0;
  for (let i: u32 = 0; i < n; i++) {
    let pfn = load<u64>(segs + (<usize>i << 4));
    let pages = load<u64>(segs + (<usize>i << 4), 8);
    if (strict) {
      now += pAt(s, SimParam.iotlbFlushNs);
      bump(s, SimTotal.strictInvalidations, 1);
      let o = orderOf(pages);
      snapWork(s, d, o);
      unmapIova(fq, c, pfn, pages, true, now / 1e6);
      now = chargeWork(s, d, o, c, now + pAt(s, SimParam.magazineNs), false, 0);
      continue;
    }
    // queue_iova: under this CPU's flush-queue lock, free what earlier flushes covered, flush if full, add.
    let held = acquire(s, L.FQ + c, c, now);
    let ring = ringAt(fq, c);
    let freed0 = ring.freed;
    // Only a queue_iova that frees entries touches the caches or the tree.
    let frees = ringWillFree(fq, c);
    if (frees) snapWork(s, d, EVERY_ORDER);
    let bits = unmapIova(fq, c, pfn, pages, false, held / 1e6);
    let freed = frees ? ring.freed - freed0 : 0;
    held += pAt(s, SimParam.fqEntryNs) + <f64>(bits >> Queued.FLUSHES_SHIFT) * pAt(s, SimParam.iotlbFlushNs);
    held = chargeRingFree(s, d, c, held, freed);
    release(s, L.FQ + c, c, held);
    now = held;
    if ((bits & Queued.ARMED_TIMER) != 0) {
      s.timerOn = 1;
      s.timerAt = fq.timerDueMs * 1e6;
    }
  }
  setCpuFreeAt(s, c, now);
  let ios = <f64>load<u32>(sp, 20);
  if (t < pAt(s, SimParam.durationNs)) bump(s, SimTotal.ios, ios);
  else bump(s, SimTotal.drainedIos, ios);
  histAdd(s, H.UNMAP, now - t);
  histAdd(s, H.CLAT, now - load<f64>(sp, 8));
  store<u32>(sp, PH_SUBMIT, 4);
  store<u32>(sp, 0, 16);
  return now;
}

/**
 * fq_flush_timeout on the CPU that armed the timer: one flush, then every
 * CPU's ring drained there (v5.10 drivers/iommu/iova.c: for_each_possible_cpu
 * fq_ring_free, whose free_iova_fast puts every IOVA into the timer CPU's
 * magazines). With SimParam.timerDrainAll 0 (an ablation, not a kernel) each
 * ring is drained on its own CPU, into its own caches, as a per-CPU timer would.
 */
function timer(s: Sim, d: Domain, fq: FlushQueue): void {
  let tc = fq.timerCpu;
  s.timerOn = 0;
  s.nowNs = s.timerAt;
  let now = startOn(s, tc, s.timerAt);
  if (!timerExpire(fq, tc, fq.timerDueMs)) return;
  now += pAt(s, SimParam.iotlbFlushNs);
  let oneCpu = pAt(s, SimParam.timerDrainAll) != 0;
  let flushed = now;
  for (let q: u32 = 0; q < s.cpus; q++) {
    if (fqDepth(fq, q) == 0) continue;
    let on = oneCpu ? tc : q;
    // Ring q's drain starts on its CPU: the timer's, or (per CPU) its own once the flush is done.
    let at = on == tc ? now : startOn(s, q, flushed);
    let held = acquire(s, L.FQ + q, on, at);
    snapWork(s, d, EVERY_ORDER);
    let freed = <u64>drainRing(fq, q, on);
    held = chargeRingFree(s, d, on, held, freed);
    release(s, L.FQ + q, on, held);
    if (on == tc) now = held;
    else setCpuFreeAt(s, q, held);
  }
  setCpuFreeAt(s, tc, now);
}

/**
 * The domain clock's tick at `at`: policy work on a kworker, charged to the
 * locks only. The timers' work is one hold; each of adaptive's reclaim
 * slices (the CPU sweep's hand-overs to the depot included) is its own hold
 * of the depot and tree locks, after the last.
 */
function tick(s: Sim, d: Domain, at: f64): void {
  let ms = <u64>(at / 1e6);
  let reclaimMs = <u64>pAt(s, SimParam.reclaimMs);
  let kworker = s.cpus;
  s.nowNs = at;
  snapWork(s, d, EVERY_ORDER);
  depotTimers(d, ms, reclaimMs);
  let t = chargeWork(s, d, EVERY_ORDER, kworker, at, false, 0);
  let n = depotSlicesDue(d, ms, reclaimMs);
  for (let i: u32 = 0; i < n; i++) {
    snapWork(s, d, EVERY_ORDER);
    let freed = reclaimSlice(d);
    // Charged also when it freed nothing: the CPU sweep's hand-overs push
    // to the depots (and cost their lock) without a pfn reaching the tree.
    t = chargeWork(s, d, EVERY_ORDER, kworker, t, false, 0);
    if (freed == 0) break;
  }
}

// Events runBatch takes per call. V8 compiles wasm first with its baseline
// compiler and swaps in optimized code only for later calls (it cannot
// replace a frame that is running), so a loop that ran a whole sample
// interval in one call would run its first interval, seconds of simulated
// time, unoptimized. Batches make the loop's own code optimized after a few.
// @ts-ignore: decorator
@inline const BATCH: u32 = 1 << 14;
// @ts-ignore: decorator
@inline const MORE: u32 = 2;

/**
 * The earliest time at which the loop must look at more than the queue's
 * first event: untilNs, the domain clock's next tick, the flush-queue timer.
 * An event before it is neither preceded by a tick or the timer nor past
 * the batch's end.
 */
// @ts-ignore: decorator
@inline function horizonOf(s: Sim, untilNs: f64): f64 {
  let h = s.nextTickNs < untilNs ? s.nextTickNs : untilNs;
  return s.timerOn != 0 && s.timerAt < h ? s.timerAt : h;
}

/** At most BATCH events before untilNs: 0 the run is over, 1 untilNs reached, MORE the batch is used up. */
function runBatch(s: Sim, d: Domain, fq: FlushQueue, untilNs: f64): u32 {
  let q = queueAt(s);
  let duration = pAt(s, SimParam.durationNs);
  let tickNs = pAt(s, SimParam.tickNs);
  let horizon = horizonOf(s, untilNs);
  for (let n: u32 = 0; n < BATCH; n++) {
    // An idle slot's time is Infinity, so an empty queue never passes this test.
    let t = queueFirstTime(q);
    let k: u32;
    if (t < horizon) {
      k = queueFirstSlot(q);
    } else {
      k = queueFirst(q);
      if (k == NO_EVENT && s.timerOn == 0) {
        s.finished = 1;
        return 0;
      }
      if (k == NO_EVENT) t = Infinity;
      let isTimer = s.timerOn != 0 && s.timerAt <= t;
      if (isTimer) t = s.timerAt;
      if (t >= untilNs) return 1;
      while (s.nextTickNs <= t) {
        tick(s, d, s.nextTickNs);
        s.nextTickNs += tickNs;
      }
      if (isTimer) timer(s, d, fq);
      horizon = horizonOf(s, untilNs);
      if (isTimer) continue;
    }
    let next: f64;
    s.nowNs = t;
    let phase = queueFirstPhase(q);
    if (phase == PH_SUBMIT) {
      if (t >= duration) {
        queuePopFirst(q, k);  // submission has stopped: the slot goes idle
        continue;
      }
      next = submit(s, d, k, t);
    } else if (phase == PH_MAP) {
      next = mapRequest(s, d, k, t);
    } else {
      next = complete(s, d, fq, k, t);
      horizon = horizonOf(s, untilNs);  // it may have armed the timer
    }
    // The phase the handler left in the slot's record is the next event's.
    queueReplaceFirst(q, next, k, load<u32>(slotPtr(s, k), 4));
  }
  return MORE;
}

/**
 * Runs every event before untilNs. Returns 1 if events remain, 0 when the
 * run is over (every slot idle after the duration, the timer off).
 */
export function runUntil(s: Sim, d: Domain, fq: FlushQueue, untilNs: f64): u32 {
  let r: u32;
  do r = runBatch(s, d, fq, untilNs); while (r == MORE);
  // The moves due by untilNs, now rather than at the next event (the same
  // state: placement is a function of time), so that an interval's count of
  // migrations and the jobs' CPUs read between intervals are the interval's.
  if (r == 1 && untilNs >= s.nextMigrateNs) migrateDue(s, untilNs);
  return r;
}
