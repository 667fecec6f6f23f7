// Exported flush-queue and dma-iommu entry points (assembly/iommu/). The
// flush queue is addressed by its own base; pfns and sizes cross as f64.

import { domainAt } from "../layout";
import { FlushQueue, fqAt, fqBytes as fqBytesIn, fqInit as fqInitIn, queueIova, pollTimer, fqDrain as fqDrainIn,
  fqDepth, fqPending, ringAt } from "../iommu/flush-queue";
import { mapIova, mapIo, unmapIova, unmapIo, reservePciWindows as reserveIn, lastFellBack } from "../iommu/dma";
import { booksProblem as booksIn, cachedPfns } from "../iommu/books";

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

/** fqStat() selectors (per CPU). */
export enum FqStat {
  depth, maxDepth, queued, freed, fullFlushes, timerFirings, freedForeign,
}

/** One FqStat of CPU cpu's ring (maxDepth: since the last fqResetMaxDepth). */
export function fqStat(addr: usize, cpu: u32, which: u32): f64 {
  let fq = fqAt(addr);
  let r = ringAt(fq, cpu);
  switch (which) {
    case FqStat.depth: return <f64>fqDepth(fq, cpu);
    case FqStat.maxDepth: return <f64>r.maxDepth;
    case FqStat.queued: return <f64>r.queued;
    case FqStat.freed: return <f64>r.freed;
    case FqStat.fullFlushes: return <f64>r.fullFlushes;
    case FqStat.timerFirings: return <f64>r.timerFirings;
    case FqStat.freedForeign: return <f64>r.freedForeign;
    default: return -1;
  }
}

/** fqGlobal() selectors. */
export enum FqGlobal {
  pending, startCnt, finishCnt, flushes, invalidations, timerState, timerCpu, timerDueMs,
}

/** One FqGlobal of the whole queue (timerState: a Timer.*; timerDueMs: ms of the domain clock). */
export function fqGlobal(addr: usize, which: u32): f64 {
  let fq: FlushQueue = fqAt(addr);
  switch (which) {
    case FqGlobal.pending: return <f64>fqPending(fq);
    case FqGlobal.startCnt: return <f64>fq.startCnt;
    case FqGlobal.finishCnt: return <f64>fq.finishCnt;
    case FqGlobal.flushes: return <f64>fq.flushes;
    case FqGlobal.invalidations: return <f64>fq.invalidations;
    case FqGlobal.timerState: return <f64>fq.timerOn;
    case FqGlobal.timerCpu: return <f64>fq.timerCpu;
    case FqGlobal.timerDueMs: return fq.timerDueMs;
    default: return -1;
  }
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
