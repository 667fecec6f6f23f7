// The I/O mapping of drivers/iommu/dma-iommu.c (v5.10): how a device's DMA
// map and unmap reach the IOVA domain.
//
// iommu_dma_alloc_iova rounds a cacheable length up to a power of two (a
// free must find the same order), and for a PCI device whose DMA limit is
// above 4 GiB tries the 32-bit space first without flushing the caches
// ("Try to get PCI devices a SAC address"), then the full limit with the
// flush-and-retry of alloc_iova_fast. iommu_dma_free_iova queues the IOVA
// on the flush queue when the domain is non-strict, else frees it at once
// after the IOTLB invalidation. iova_reserve_pci_windows takes the host
// bridge's memory windows out of the space when the domain is set up.

import { Domain, ORDERS, Err, treeLockAddr } from "../layout";
import { allocFast, freeFast } from "../rcache/rcache";
import { reserveRange, treeError, kernelWalkSteps } from "../tree/domain";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { FlushQueue, Queued, fqDomain, queueIova, iotlbSync } from "./flush-queue";

/** IOVA_RANGE_CACHE_MAX_SIZE - 1: lengths below 2^this are rounded up to a power of two. */
// @ts-ignore: decorator
@inline const ROUND_BELOW: u64 = <u64>1 << (ORDERS - 1);

/** Whether the last mapIova of this instance fell back to the full limit. */
export let lastFellBack: bool = false;
/** When it did: the 32-bit attempt's Err.* (FAST_FAIL_32: the max32_alloc_size check) and its walk. */
export let lastFirstError: u32 = Err.NONE;
export let lastFirstWalk: f64 = 0;

/** The length iommu_dma_alloc_iova allocates for `pages` pages. */
// @ts-ignore: decorator
@inline export function iovaLen(pages: u64): u64 {
  return pages < ROUND_BELOW && pages > 1 ? <u64>1 << (64 - clz<u64>(pages - 1)) : pages;
}

/**
 * iommu_dma_alloc_iova for `pages` pages under dmaLimitPfn (inclusive), on
 * `cpu`. `pci`: the device is a PCI device (the 32-bit-first rule). Returns
 * the pfn, or 0 when nothing fits.
 */
// Inlined: the simulator's loop (assembly/sim/loop.ts) calls it per segment,
// and a wasm call in V8 spills and reloads the caller's live registers.
// @ts-ignore: decorator
@inline export function mapIova(d: Domain, cpu: u32, pages: u64, dmaLimitPfn: u64, pci: bool): u64 {
  let len = iovaLen(pages);
  let limit32 = d.dma32Pfn - 1;
  let pfn: u64 = 0;
  lastFellBack = false;
  if (pci && dmaLimitPfn > limit32) {
    let w0 = kernelWalkSteps;
    pfn = allocFast(d, cpu, len, limit32, false);
    if (pfn == 0) {
      lastFirstError = treeError;
      lastFirstWalk = kernelWalkSteps - w0;
    }
  }
  if (pfn == 0) {
    lastFellBack = pci && dmaLimitPfn > limit32;
    pfn = allocFast(d, cpu, len, dmaLimitPfn, true);
  }
  return pfn;
}

/**
 * iommu_dma_free_iova, with __iommu_dma_unmap's invalidation before it
 * when strict: non-strict queues the IOVA on the flush queue, strict
 * invalidates the IOTLB and frees it at once. `pages` is the unrounded
 * length, as the kernel passes it (its order is the rounded one's).
 * Returns queue_iova's Queued.* bits (0 when strict).
 */
// Inlined (as mapIova): the loop's calls pass `strict` as a constant, so each keeps one branch.
// @ts-ignore: decorator
@inline export function unmapIova(fq: FlushQueue, cpu: u32, pfn: u64, pages: u64, strict: bool, nowMs: f64): u32 {
  if (!strict) return queueIova(fq, cpu, pfn, pages, nowMs);
  iotlbSync(fq);
  freeFast(fqDomain(fq), cpu, pfn, pages);
  return 0;
}

/**
 * Maps one I/O of `bytes` as segments of at most segBytes, each an IOVA
 * (pfn, pages written as u64 pairs at out). On failure the segments mapped
 * so far are freed again, as the driver unwinds a failed map. Returns the
 * number of segments, or 0 when a segment found no space.
 */
export function mapIo(d: Domain, cpu: u32, bytes: u64, segBytes: u64, dmaLimitPfn: u64, pci: bool, out: usize): u32 {
  let shift = d.granuleShift;
  let granule: u64 = <u64>1 << shift;
  let rem = bytes;
  let n: u32 = 0;
  let fellBack = false;
  while (rem > 0) {
    let sb = rem < segBytes ? rem : segBytes;
    rem -= sb;
    let pages = (sb + granule - 1) >> shift;
    let pfn = mapIova(d, cpu, pages, dmaLimitPfn, pci);
    fellBack = fellBack || lastFellBack;
    if (pfn == 0) {
      for (let i: u32 = 0; i < n; i++) freeFast(d, cpu, load<u64>(out + (<usize>i << 4)), load<u64>(out + (<usize>i << 4), 8));
      lastFellBack = fellBack;
      return 0;
    }
    store<u64>(out + (<usize>n << 4), pfn);
    store<u64>(out + (<usize>n << 4), pages, 8);
    n++;
  }
  lastFellBack = fellBack;
  return n;
}

/** Unmaps the n segments at `at` (u64 pairs as mapIo wrote them). Returns the Queued.* bits, flush counts summed. */
export function unmapIo(fq: FlushQueue, cpu: u32, at: usize, n: u32, strict: bool, nowMs: f64): u32 {
  let bits: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let p = at + (<usize>i << 4);
    let r = unmapIova(fq, cpu, load<u64>(p), load<u64>(p, 8), strict, nowMs);
    bits = (bits | (r & Queued.FLAGS)) + (r & ~Queued.FLAGS);
  }
  return bits;
}

/**
 * iova_reserve_pci_windows, for the host bridge's memory windows: n
 * (start, end) byte-address pairs (inclusive, as struct resource holds
 * them; bus addresses, the window offset already applied) as f64 at ptr.
 * Returns false if a reservation found no node.
 */
export function reservePciWindows(d: Domain, ptr: usize, n: u32): bool {
  let shift = d.granuleShift;
  let ok = true;
  lock(d, treeLockAddr(d), selfId);
  for (let i: u32 = 0; i < n; i++) {
    let lo = (<u64>load<f64>(ptr + (<usize>i << 4))) >> shift;
    let hi = (<u64>load<f64>(ptr + (<usize>i << 4), 8)) >> shift;
    if (!reserveRange(d, lo, hi)) ok = false;
  }
  unlock(treeLockAddr(d));
  return ok;
}
