// The host's view of the kernel's I/O path in the core (assembly/iommu/):
// dma-iommu's map and unmap of an I/O, the flush queue and its timer, the
// PCI window reservations and the books check. One DmaPath per thread, over
// a domain made with `flushQueue` (IovaDomain options). Both clocks use it:
// the real-clock fio runner per I/O, the simulator for its setup and books.
import { InvalidArgumentError } from "../errors.js";
import { countArg } from "../validate.js";
import { BOOKS_TEXT, codes, memberOf } from "../wasm/codes.js";
import { setIotlbFlushHook } from "../wasm/module.js";
import { MAX_BATCH, type IovaDomain } from "./iova-domain.js";
import { FqStatsDump } from "./stats.js";

export type { FlushQueueCpuStats } from "./stats.js";

/** A host bridge memory window: bus addresses, inclusive (struct resource's start and end). */
export interface PciWindow {
  start: number;
  end: number;
}

export interface BooksVerdict {
  ok: boolean;
  /** The core's complaint (Books.*), or null. */
  problem: string | null;
}

export class DmaPath {
  /** Ranges the PCI windows made (they stay in the tree for good). */
  reservedRanges = 0;
  private readonly segs: Float64Array;
  private readonly u64: BigUint64Array;
  /** (pfn, pages) pairs the view's scratch slot holds: the most segments one mapIo may write. */
  readonly maxSegments = MAX_BATCH;

  /**
   * Over the view's own scratch slot: views that share a CPU (attach's
   * shareCpu) each have one, so their DMA calls never overwrite each other's segments.
   */
  constructor(readonly domain: IovaDomain) {
    if (domain.fqBase === 0) throw new InvalidArgumentError("domain", "(IovaDomain)", "was made without a flushQueue option");
    const scratch = domain.scratchOf("DmaPath");
    this.segs = new Float64Array(domain.memory.buffer, scratch, 2 * MAX_BATCH);
    this.u64 = new BigUint64Array(domain.memory.buffer, scratch, 2 * MAX_BATCH);
  }

  /** Every IOTLB invalidation of this thread runs `fn` (a real clock's modelled wait); null: none. */
  hostInvalidation(fn: (() => void) | null): void {
    this.domain.ex.fqSetHostFlush(this.domain.fqBase, fn ? 1 : 0);
    setIotlbFlushHook(fn ?? (() => {}));
  }

  /** iova_reserve_pci_windows (memory windows), at domain setup. */
  reservePciWindows(windows: readonly PciWindow[]): void {
    const d = this.domain;
    const n = countArg("windows.length", windows.length, 0, MAX_BATCH);
    for (let i = 0; i < n; i++) {
      const w = windows[i]!;
      if (!(Number.isSafeInteger(w.start) && Number.isSafeInteger(w.end) && w.start >= 0 && w.end >= w.start)) {
        throw new InvalidArgumentError(`windows[${i}]`, JSON.stringify(w), "must have integer start <= end >= 0 (bytes)");
      }
      this.segs[2 * i] = w.start;
      this.segs[2 * i + 1] = w.end;
    }
    const before = d.ex.domainStat(d.base, codes().Stat.ranges);
    if (!d.ex.reservePciWindows(d.base, d.scratchOf("reservePciWindows"), n)) throw new InvalidArgumentError("windows", n, "did not fit the node slab");
    this.reservedRanges += d.ex.domainStat(d.base, codes().Stat.ranges) - before;
  }

  /**
   * Maps an I/O of `bytes` on `cpu` as segments of at most segBytes
   * (iommu_dma_alloc_iova each: rounding, 32-bit first for PCI, fallback).
   * Writes (pfn, pages) pairs into `out` from `at`; returns how many, or 0
   * when a segment found no space (nothing stays mapped then).
   */
  mapIo(cpu: number, bytes: number, segBytes: number, dmaLimitPfn: number, pci: boolean, out: Float64Array, at: number): number {
    const d = this.domain;
    const need = Math.ceil(bytes / segBytes);
    if (!(need <= this.maxSegments)) {
      throw new InvalidArgumentError("bytes", bytes, `needs ${need} segments of ${segBytes} bytes; this path holds ${this.maxSegments}`);
    }
    let n: number;
    try {
      n = d.ex.dmaMapIo(d.base, cpu, bytes, segBytes, dmaLimitPfn, pci ? 1 : 0, d.scratchOf("mapIo"));
    } catch (e) {
      throw d.translate(e);
    }
    const u = this.u64;
    for (let i = 0; i < n; i++) {
      out[at + 2 * i] = Number(u[2 * i]!);
      out[at + 2 * i + 1] = Number(u[2 * i + 1]!);
    }
    return n;
  }

  /** True if the last mapIo on this thread tried the full limit (the 32-bit attempt failed). */
  get lastFellBack(): boolean {
    return this.domain.ex.dmaLastFellBack() !== 0;
  }

  /** Unmaps one IOVA on `cpu` (strict: invalidate and free; else queue_iova). Returns Queued.* bits (codes().Queued). */
  unmapIova(cpu: number, pfn: number, pages: number, strict: boolean, nowMs: number): number {
    try {
      return this.domain.ex.dmaUnmapIova(this.domain.fqBase, cpu, pfn, pages, strict ? 1 : 0, nowMs);
    } catch (e) {
      throw this.domain.translate(e);
    }
  }

  /** fq_flush_timeout on `cpu` if it is due at nowMs and this caller wins it: entries freed, or -1. */
  pollTimer(cpu: number, nowMs: number): number {
    try {
      return this.domain.ex.fqPollTimer(this.domain.fqBase, cpu, nowMs);
    } catch (e) {
      throw this.domain.translate(e);
    }
  }

  /** When the timer is due (ms on the caller's clock), or null while it is not armed. */
  timerDueMs(): number | null {
    const due = this.domain.ex.fqTimerDueMs(this.domain.fqBase);
    return due < 0 ? null : due;
  }

  /** Flushes and frees every queued entry on `cpu` (the end of a run). */
  drain(cpu: number): number {
    try {
      return this.domain.ex.fqDrain(this.domain.fqBase, cpu);
    } catch (e) {
      throw this.domain.translate(e);
    }
  }

  /**
   * Every counter of the flush queue at once: one call into the core,
   * through the view's scratch slot, copied out before it returns.
   */
  statsDump(): FqStatsDump {
    const d = this.domain;
    return new FqStatsDump(d.ex, d.memory, d.fqBase, d.scratchOf("fqStatsDump"));
  }

  /** Entries queued on every CPU and not yet freed. */
  pending(): number {
    return this.statsDump().global("pending");
  }

  /** Domain flushes (iova_domain_flush) and IOTLB invalidations so far. */
  flushCounts(): { flushes: number; invalidations: number } {
    const f = this.statsDump();
    return { flushes: f.global("flushes"), invalidations: f.global("invalidations") };
  }

  resetMaxDepth(cpu: number): void {
    this.domain.ex.fqResetMaxDepth(this.domain.fqBase, cpu);
  }

  /**
   * The books, once nothing is in flight: every tree range is reserved,
   * mapped by one of `live` IOVAs, or cached; nothing is queued; the tree
   * is sound.
   */
  books(live: number): BooksVerdict {
    return booksVerdict(this.domain, live, this.reservedRanges);
  }
}

/**
 * The core's books (assembly/iommu/books.ts) of a domain nothing runs on:
 * every tree range reserved (`reserved` of them), mapped or held by the
 * caller (`live`), or cached; its flush queue, if it has one, empty; the
 * tree sound. The one verdict DmaPath.books and the workers' audit share.
 */
export function booksVerdict(d: IovaDomain, live: number, reserved = 0): BooksVerdict {
  const code = d.ex.booksProblem(d.base, d.fqBase, live, reserved);
  const { Books } = codes();
  if (code === Books.OK) return { ok: true, problem: null };
  const name = memberOf("Books", code);
  let problem = name ? BOOKS_TEXT[name] : `books code ${code}`;
  if (code === Books.TREE_INVALID) problem += `: ${d.checkProblem()}`;
  if (code === Books.RANGES_UNACCOUNTED) {
    const ranges = d.ex.domainStat(d.base, codes().Stat.ranges);
    problem += ` (tree ${ranges} ranges, cached ${d.ex.domainCachedPfns(d.base)}, mapped ${live}, reserved ${reserved})`;
  }
  return { ok: false, problem };
}

