// Exported flush-queue and dma-iommu entry points (assembly/iommu/). The
// flush queue is addressed by its own base; pfns and sizes cross as f64.

import { domainAt } from "../layout";
import { FlushQueue, Timer, fqAt, fqBytes as fqBytesIn, fqInit as fqInitIn, queueIova, pollTimer, fqDrain as fqDrainIn,
  fqDepth, fqPending, ringAt } from "../iommu/flush-queue";
import { mapIova, mapIo, unmapIova, unmapIo, reservePciWindows as reserveIn, lastFellBack } from "../iommu/dma";
import { booksProblem as booksIn, cachedPfns } from "../iommu/books";
import { atomicLoad } from "../atomics";

export function fqBytes(cpus: u32, size: u32): u32 { return fqBytesIn(cpus, size); }

export function fqInit(addr: usize, base: usize, cpus: u32, size: u32, timeoutMs: f64, hz: u32): void {
  fqInitIn(addr, base, cpus, size, timeoutMs, hz);
}

/** 1: every IOTLB invalidation calls the host's env.flushIotlb (a real clock's modelled wait). */
export function fqSetHostFlush(addr: usize, on: bool): void {
  fqAt(addr).hostFlush = on ? 1 : 0;
}

/** queue_iova on cpu at nowMs; returns the Queued.* bits (1 full-queue flush, 2 armed the timer). */
export function fqQueue(addr: usize, cpu: u32, pfn: f64, pages: f64, nowMs: f64): u32 {
  return queueIova(fqAt(addr), cpu, <u64>pfn, <u64>pages, nowMs);
}

/** fq_flush_timeout on cpu if due at nowMs and won: entries freed, or -1. */
export function fqPollTimer(addr: usize, cpu: u32, nowMs: f64): i32 {
  return pollTimer(fqAt(addr), cpu, nowMs);
}

/** Flushes and frees every queued entry on cpu (end of a run). */
export function fqDrain(addr: usize, cpu: u32): u32 {
  return fqDrainIn(fqAt(addr), cpu);
}

// The flush queue's counters for the host: one call, fqStatsDump, writes all
// of them into a buffer the host reads once (src/domain/stats.ts
// FqStatsDump), as statsDump does for the domain. Read without the ring
// locks, as the domain's counters are; each is a single aligned load.
//
// ╒═══════ the dump at `out` (fqStatsBytes(cpus) bytes) ════╕
// │ f64[FqGlobal.COUNT] │ f64[cpus][FqStat.COUNT]            │
// ├─ 0 ─────────────────┼─ FqGlobal.COUNT * 8 ──────────────┤
// └──────────────────────────────────────────────────────────┘
// 1024 CPUs take 49 KiB, inside the 64 KiB scratch slot a view passes as
// `out` (test/interface.test.ts checks fqStatsBytes(1024)).

/** Per CPU: its ring's counters, the dump's second block (maxDepth: since the last fqResetMaxDepth). */
export enum FqStat {
  depth, maxDepth, queued, freed, fullFlushes, timerFirings,
  COUNT,
}

/** The whole queue's counters, the dump's first block (timerState: a Timer.*; timerDueMs: ms of the domain clock). */
export enum FqGlobal {
  pending, startCnt, finishCnt, flushes, invalidations, timerState, timerCpu, timerDueMs, freedForeign,
  COUNT,
}

/** Bytes fqStatsDump writes for a queue of `cpus` CPUs. */
export function fqStatsBytes(cpus: u32): u32 {
  return (<u32>FqGlobal.COUNT + cpus * <u32>FqStat.COUNT) * 8;
}

/** Writes every counter of the flush queue at addr into `out` (the layout above); returns the bytes written. */
export function fqStatsDump(addr: usize, out: usize): u32 {
  let fq: FlushQueue = fqAt(addr);
  store<f64>(out + (<usize>FqGlobal.pending << 3), <f64>fqPending(fq));
  store<f64>(out + (<usize>FqGlobal.startCnt << 3), <f64>fq.startCnt);
  store<f64>(out + (<usize>FqGlobal.finishCnt << 3), <f64>fq.finishCnt);
  store<f64>(out + (<usize>FqGlobal.flushes << 3), <f64>fq.flushes);
  store<f64>(out + (<usize>FqGlobal.invalidations << 3), <f64>fq.invalidations);
  store<f64>(out + (<usize>FqGlobal.timerState << 3), <f64>fq.timerOn);
  store<f64>(out + (<usize>FqGlobal.timerCpu << 3), <f64>fq.timerCpu);
  store<f64>(out + (<usize>FqGlobal.timerDueMs << 3), fq.timerDueMs);
  store<f64>(out + (<usize>FqGlobal.freedForeign << 3), <f64>fq.freedForeign);
  for (let c: u32 = 0; c < fq.cpus; c++) {
    let r = ringAt(fq, c);
    let row = out + ((<usize>FqGlobal.COUNT + <usize>c * FqStat.COUNT) << 3);
    store<f64>(row + (<usize>FqStat.depth << 3), <f64>fqDepth(fq, c));
    store<f64>(row + (<usize>FqStat.maxDepth << 3), <f64>r.maxDepth);
    store<f64>(row + (<usize>FqStat.queued << 3), <f64>r.queued);
    store<f64>(row + (<usize>FqStat.freed << 3), <f64>r.freed);
    store<f64>(row + (<usize>FqStat.fullFlushes << 3), <f64>r.fullFlushes);
    store<f64>(row + (<usize>FqStat.timerFirings << 3), <f64>r.timerFirings);
  }
  return fqStatsBytes(fq.cpus);
}

/**
 * When the timer is due (ms of the domain clock), or -1 while it is not
 * armed: the one figure a real-clock worker reads before it sleeps, so it
 * is its own call rather than a whole dump.
 */
export function fqTimerDueMs(addr: usize): f64 {
  let fq: FlushQueue = fqAt(addr);
  return atomicLoad<u32>(changetype<usize>(fq) + offsetof<FlushQueue>("timerOn")) == Timer.ARMED ? fq.timerDueMs : -1;
}

export function fqResetMaxDepth(addr: usize, cpu: u32): void {
  ringAt(fqAt(addr), cpu).maxDepth = 0;
}

/** iommu_dma_alloc_iova: pfn, or 0. dmaLastFellBack() says if the full limit was tried. */
export function dmaMapIova(base: usize, cpu: u32, pages: f64, dmaLimitPfn: f64, pci: bool): f64 {
  return <f64>mapIova(domainAt(base), cpu, <u64>pages, <u64>dmaLimitPfn, pci);
}

export function dmaUnmapIova(fqAddr: usize, cpu: u32, pfn: f64, pages: f64, strict: bool, nowMs: f64): u32 {
  return unmapIova(fqAt(fqAddr), cpu, <u64>pfn, <u64>pages, strict, nowMs);
}

/** Maps an I/O of `bytes` as segments (u64 pfn, pages pairs at out); returns how many, 0 on failure. */
export function dmaMapIo(base: usize, cpu: u32, bytes: f64, segBytes: f64, dmaLimitPfn: f64, pci: bool, out: usize): u32 {
  return mapIo(domainAt(base), cpu, <u64>bytes, <u64>segBytes, <u64>dmaLimitPfn, pci, out);
}

export function dmaUnmapIo(fqAddr: usize, cpu: u32, at: usize, n: u32, strict: bool, nowMs: f64): u32 {
  return unmapIo(fqAt(fqAddr), cpu, at, n, strict, nowMs);
}

export function dmaLastFellBack(): bool { return lastFellBack; }

/** iova_reserve_pci_windows: n (start, end) inclusive byte-address pairs (f64) at ptr. */
export function reservePciWindows(base: usize, ptr: usize, n: u32): bool {
  return reserveIn(domainAt(base), ptr, n);
}

/** Books.* of the domain at base (fqAddr 0: no flush queue). */
export function booksProblem(base: usize, fqAddr: usize, live: f64, reserved: f64): u32 {
  return booksIn(domainAt(base), fqAddr == 0 ? null : fqAt(fqAddr), <u64>live, <u64>reserved);
}

/** pfns the domain's magazines and depots hold, counted by walking them. */
export function domainCachedPfns(base: usize): f64 { return <f64>cachedPfns(domainAt(base)); }
