// IovaDomain: one IOVA domain in a shared WebAssembly.Memory. The tree API
// mirrors drivers/iommu/iova.c (alloc_iova, free_iova, find_iova,
// reserve_iova); the fast API is alloc_iova_fast / free_iova_fast on a CPU.
// A domain made with N CPUs can be opened from N workers: hand them
// `domain.handle` and call `IovaDomain.attach(handle, cpu)` in each.
import {
  AllocationError, DomainDestroyedError, InvalidArgumentError, InvariantError, LockHolderDeadError,
  NodeSlabFullError, ViewClosedError, type AllocFailure,
} from "../errors.js";
import "../util/dispose.js";
import type { DisposableView } from "../util/dispose.js";
import { MAX_PFN, boolArg, countArg, msArg, pfnArg, powerOfTwoArg, sizeArg } from "../validate.js";
import { ownCallSite, type Alloc4 } from "../wasm/call-stub.js";
import { type IovaExports } from "../wasm/exports.js";
import { CHECK_TEXT, codes, memberOf, type Codes, type MemberOf } from "../wasm/codes.js";
import { adoptModule, compiledModule, instantiate, moduleProblem, newMemoryFor } from "../wasm/module.js";
import type { WasmBuild, WasmMemory, WasmModule } from "../wasm/types.js";
import { ADAPTIVE_RECLAIM_MS, POLICIES, policyCode, geometryOf, magazineBound, policyArg, type DepotPolicy } from "./policy.js";
import { StatsDump, readCacheStats, type CacheStats } from "./stats.js";
import { ERAS, POLICY_ERA, eraArg, eraCode, eraOfCode, type KernelEra } from "./era.js";

/**
 * The module's static data (which every instance rewrites) lies below this.
 * Above it: the scratch slots (one per CPU, one for the creating thread, one
 * per shared view), the view table, the host's bytes, the flush queues, then
 * the domain, last, so that its slab can grow at the end of the memory.
 */
export const STATIC_BYTES = 65536;
/** Per-thread scratch for bulk transfers (ranges out, batches in and out). */
export const SCRATCH_BYTES = 65536;
/** Largest size the range caches hold (order 5): IOVA_RANGE_CACHE_MAX_SIZE 6. */
const MAX_CACHED_PAGES = 32;
/** The largest node slab (maxRanges) a domain accepts. */
export const MAX_RANGES = 50_000_000;
/** Largest batch one allocFastBatch/freeFastBatch call moves through scratch. */
export const MAX_BATCH = SCRATCH_BYTES / 16;
/** Scratch slots for views that share a CPU (attach's shareCpu) when DomainOptions.sharedViews is left out. */
export const DEFAULT_SHARED_VIEWS = 4;
/** The most shared views a domain may be made for (each costs one SCRATCH_BYTES slot). */
export const MAX_SHARED_VIEWS = 4096;

export interface DomainOptions {
  /** Most ranges the tree can hold at once (the node slab's size). Default 65536. */
  maxRanges?: number;
  /** CPUs (workers) that may use the fast API. Default 1. */
  cpus?: number;
  /** Depot policy of the range caches, or "tree-only" for none. Default "adaptive". */
  policy?: DepotPolicy | "tree-only";
  /**
   * Which kernel's iova.c the tree and the flush path follow ("v5.10",
   * "v5.11", "v6.x"). Default: the policy's own kernel (POLICY_ERA).
   */
  era?: KernelEra;
  /** pfns per magazine; default from the policy (128, or 127 for linux-6.4 and adaptive). */
  magazineSize?: number;
  /** Full magazines per order's depot, for the bounded policies; default from the policy. */
  depotMax?: number;
  /** Magazines the slab holds (every CPU needs 12, depots take the rest). */
  maxMagazines?: number;
  /** adaptive: most pfns its reclaim frees per hold of the tree lock; default ADAPTIVE_SLICE_PFNS (32). */
  reclaimSlicePfns?: number;
  /**
   * Count how many nodes the kernel's node-by-node walk would visit for each
   * tree allocation (read with kernelWalkSteps()). Costs two O(log n) rank
   * computations per allocation; the load simulator's cost model uses it.
   */
  countKernelWalk?: boolean;
  /**
   * A flush queue for non-strict unmap (drivers/iommu/iova.c v5.10): `size`
   * entries per CPU ring (IOVA_FQ_SIZE, holds size - 1), the timer's
   * `timeoutMs` (IOVA_FQ_TIMEOUT), and `hz` (jiffies per second: the timer
   * expires on a jiffy boundary; 0 for none). Reach it through DmaPath.
   */
  flushQueue?: { size: number; timeoutMs: number; hz?: number };
  /** Shared bytes reserved after the domain for the host's own structures (hostBase). Default 0. */
  hostBytes?: number;
  /**
   * Views that may share a CPU at once (attach's shareCpu), over all CPUs:
   * each has its own scratch slot (SCRATCH_BYTES) for batch, ranges() and
   * DMA calls, so sharers never see each other's data. Default
   * DEFAULT_SHARED_VIEWS; 0 for a domain whose CPUs are never shared.
   */
  sharedViews?: number;
  /**
   * @internal The build the domain runs on; default this thread's module
   * over a shared memory (the worker core). The simulator passes its
   * single-threaded build (src/sim/wasm-sim.ts): a memory of its own, so
   * the domain has no handle and cannot be opened from workers.
   */
  build?: WasmBuild;
}

/** Everything a worker needs to open the same domain: structured-cloneable. */
export interface DomainHandle {
  memory: WasmMemory;
  module: WasmModule;
  base: number;
  scratchBase: number;
  granule: number;
  startPfn: number;
  maxRanges: number;
  cpus: number;
  policy: DepotPolicy | "tree-only";
  era: KernelEra;
  fqBase: number;
  hostBase: number;
  hostBytes: number;
  sharedViews: number;
}

export interface Range {
  lo: number;
  hi: number;
}

export interface TreeStats {
  ranges: number;
  maxRanges: number;
  allocs: number;
  frees: number;
  allocFailures: number;
  /** free() of a pfn no range holds: a no-op, as in the kernel, but counted. */
  freeMisses: number;
  slabFull: number;
  reserves: number;
  max32AllocSize: number;
  dma32Pfn: number;
  /** pfn_lo of cached_node, or null while it is the anchor (pfn ~0, above every usable pfn: not a safe integer). */
  cachedPfn: number | null;
  /** pfn_lo of cached32_node, or null while it is the anchor. */
  cached32Pfn: number | null;
  /** Bytes of the domain's memory now: static data, scratch slots, the domain and its slab as grown so far. */
  memoryBytes: number;
  /** Bytes the memory may grow to (both slabs full). */
  memoryMaxBytes: number;
  /** Times memory.grow was refused: allocations then failed as "node-slab-full" or found no magazine. */
  growFailures: number;
  /** The kernel era the domain runs (read back from the domain header). */
  era: KernelEra;
}

export class IovaDomain implements DisposableView {
  readonly granule: number;
  readonly startPfn: number;
  readonly maxRanges: number;
  readonly cpus: number;
  readonly policy: DepotPolicy | "tree-only";
  /** The kernel era of the tree and flush path. */
  readonly era: KernelEra;
  readonly memory: WasmMemory;
  /** Byte address of the domain header inside `memory`. */
  readonly base: number;
  /** The CPU this view acts as by default for the fast API. */
  readonly cpu: number;
  /** Byte address of the flush queue (assembly/iommu/flush-queue.ts), or 0 when the domain has none. */
  readonly fqBase: number;
  /** Byte address and size of the host's reserved shared bytes (options.hostBytes). */
  readonly hostBase: number;
  readonly hostBytes: number;
  /** Scratch slots for views that share a CPU (DomainOptions.sharedViews). */
  readonly sharedViews: number;
  /** Why the last failed alloc()/allocFast() failed, or null after a success. */
  lastFailure: AllocFailure | null = null;

  /** @internal */ readonly ex: IovaExports;
  /**
   * @internal ex.alloc behind a call site of this domain's own (src/wasm/call-stub.ts): alloc() stays monomorphic.
   * `declare`d: as a bare ES2022 field (defined undefined first) the repeat stayed at the polymorphic figure (25 vs 22 ns).
   */
  declare readonly coreAlloc: Alloc4;
  /** @internal This thread's scratch slot (SCRATCH_BYTES) for bulk transfers. */
  readonly scratch: number;
  private readonly module: WasmModule;
  private readonly scratchBase: number;
  /** This view's slot in the view table (1..sharedViews) when it shares its CPU; 0 otherwise. */
  private readonly viewSlot: number = 0;
  /** What this view wrote into its view-table word: the slot is its own while the word still holds it. */
  private readonly viewToken: number = 0;
  /** The view table (word 0: claims so far; word k: the token of shared view k, 0 when free). */
  private readonly viewTable!: Int32Array;
  /** destroy() ran on this view, or this view was closed ([Symbol.dispose] of a sharer). */
  private destroyed = false;
  /** This view was closed: its calls throw ViewClosedError. */
  private closed = false;
  /** The domain's shared destroyed flag: destroy() in any thread ends every view. */
  private readonly destroyedWord!: Int32Array;
  // The per-call checks below read destroyedWord and poisonWord with plain
  // reads: Atomics.load is a builtin call on Node 20 (about 10 ns, against
  // 0.4 ns for a plain read of the same word), which was half of a
  // LocalCache pair. A call that must see another thread's destroy() or
  // poison is ordered after it by whatever told it so (a message, an
  // Atomics wait), and the plain read then sees the word; the writers still
  // store with Atomics, and the core checks the poison word under its locks.
  /**
   * The domain's shared poison word: 0, or the id (CPU + 1) of a CPU that
   * died holding a lock. Once set, every call that needs a lock throws
   * LockHolderDeadError naming that CPU (its structures may be half updated).
   */
  private readonly poisonWord!: Int32Array;
  /** True for the view that created the domain, false for attach()ed ones. */
  private readonly owner: boolean = true;
  /** False for a domain of the single-threaded build (DomainOptions.build), in a memory of its own. */
  private readonly shared: boolean = true;

  /** init_iova_domain(granule, start_pfn), plus the range caches. */
  constructor(granule: number, startPfn: number, options: DomainOptions = {}) {
    this.granule = powerOfTwoArg("granule", granule, 1, 65536);
    this.startPfn = pfnArg("startPfn", startPfn);
    if (this.startPfn < 1) throw new InvalidArgumentError("startPfn", startPfn, "must be at least 1 (pfn 0 means failure in the fast API)");
    this.maxRanges = countArg("maxRanges", options.maxRanges ?? 65536, 1, MAX_RANGES);
    this.cpus = countArg("cpus", options.cpus ?? 1, 1, 1024);
    const policy = options.policy ?? "adaptive";
    this.policy = policy === "tree-only" ? policy : policyArg(policy);
    this.era = options.era === undefined ? POLICY_ERA[this.policy] : eraArg(options.era);
    const geo = this.policy === "tree-only" ? { magazineSize: 0, depotMax: 0, reclaimSlicePfns: 1 } : geometryOf(this.policy, this.cpus);
    const reclaimSlice = countArg("reclaimSlicePfns", options.reclaimSlicePfns ?? geo.reclaimSlicePfns, 1, 1 << 20);
    const magSize = this.policy === "tree-only" ? 0 : countArg("magazineSize", options.magazineSize ?? geo.magazineSize, 1, 4096);
    const depotMax = this.policy === "tree-only" ? 0
      : countArg("depotMax", options.depotMax ?? (Number.isFinite(geo.depotMax) ? geo.depotMax : 2 ** 31), 0, 2 ** 31);
    const maxMags = this.policy === "tree-only" ? 0
      : options.maxMagazines !== undefined ? countArg("maxMagazines", options.maxMagazines, 0, MAX_MAGAZINES)
      : defaultMagazines(magazineBound(geo, this.cpus, depotMax), this.cpus, options.depotMax);
    const build = options.build ?? { module: compiledModule(), shared: true };
    this.module = build.module;
    this.shared = build.shared;
    // The layout is computed by the module itself; a one-page probe instance asks it.
    const probe = instantiate(newMemoryFor(build, STATIC_BYTES), this.module);
    if (probe.heapBase() > STATIC_BYTES) throw new Error("iova-wasm: static data overlaps the scratch slots");
    // Below the domain, in this order: the scratch slots and the view table
    // (belowHost), the host's bytes, the flush queues. The domain comes
    // last, so that its slab can grow at the end of the memory.
    this.scratchBase = STATIC_BYTES;
    this.hostBytes = countArg("hostBytes", options.hostBytes ?? 0, 0, 2 ** 31);
    this.sharedViews = countArg("sharedViews", options.sharedViews ?? DEFAULT_SHARED_VIEWS, 0, MAX_SHARED_VIEWS);
    const below = belowHost(this.scratchBase, this.cpus, this.sharedViews);
    this.hostBase = below.hostBase;
    const fq = options.flushQueue;
    if (fq !== undefined) {
      countArg("flushQueue.size", fq.size, 2, 1 << 16);
      if (!(Number.isFinite(fq.timeoutMs) && fq.timeoutMs > 0)) throw new InvalidArgumentError("flushQueue.timeoutMs", fq.timeoutMs, "must be a number > 0");
      countArg("flushQueue.hz", fq.hz ?? 0, 0, 100_000);
    }
    const hostEnd = align(this.hostBase + this.hostBytes, 64);
    this.fqBase = fq === undefined ? 0 : hostEnd;
    this.base = fq === undefined ? hostEnd : align(this.fqBase + probe.fqBytes(this.cpus, fq.size), 64);
    // The memory starts with the slab's first group and grows with use, up to
    // what maxRanges and maxMagazines need: refused up front if that would not fit.
    const bytes = probe.layoutBytes(this.cpus, this.maxRanges, maxMags, magSize);
    const maxBytes = probe.layoutMaxBytes(this.cpus, this.maxRanges, maxMags, magSize);
    const total = this.base + maxBytes;
    if (total > MAX_MEMORY_BYTES) throw tooLarge(probe, options, total, this.cpus, this.maxRanges, maxMags, magSize);
    try {
      this.memory = newMemoryFor(build, this.base + bytes, total);
    } catch (e) {
      throw new InvalidArgumentError("options", options,
        `need ${this.base + bytes} bytes of shared memory, growable to ${total}, which this machine refused (${(e as Error).message})`);
    }
    this.ex = instantiate(this.memory, this.module);
    this.coreAlloc = ownCallSite(this.ex.alloc);
    this.ex.domainInit(this.base, Math.log2(this.granule), this.startPfn, this.cpus, this.maxRanges,
      maxMags, magSize, policyCode(this.policy), depotMax, eraCode(this.era));
    this.ex.setReclaimSlice(this.base, reclaimSlice);
    if (fq !== undefined) this.ex.fqInit(this.fqBase, this.base, this.cpus, fq.size, fq.timeoutMs, fq.hz ?? 0);
    if (options.countKernelWalk) this.ex.setWalkCounting(this.base, 1);
    this.cpu = 0;
    this.scratch = this.scratchBase + this.cpus * SCRATCH_BYTES;
    this.ex.attach(this.cpus);  // lock holder id of the creating thread: past the worker CPUs
    this.destroyedWord = destroyedWordOf(this.ex, this.memory, this.base);
    this.viewTable = new Int32Array(this.memory.buffer, below.viewTable, this.sharedViews + 1);
    this.ex.setViewTable(this.base, below.viewTable, this.sharedViews);  // the core reads a sharer's liveness there
    this.poisonWord = poisonWordOf(this.ex, this.memory, this.base);
  }

  /**
   * Opens an existing domain (from another worker) as CPU `cpu`. Each CPU has
   * one scratch slot for batch calls and ranges(), so it may have one live
   * view: a second attach of a CPU is refused until the first one's CPU-dead
   * path ran (setCpuAlive(cpu, false), which CpuPool and SharedArena run when
   * a worker exits). With `{ shareCpu: true }` the view shares the CPU's
   * caches (their locks keep that safe, as tasks on one CPU share its rcache
   * in the kernel) and takes a scratch slot of its own from the domain's
   * sharedViews, so sharers may make batch, ranges(), stats() and DMA
   * calls at the same time. A sharer gives its slot back at [Symbol.dispose], or when its
   * CPU's dead path runs (setCpuAlive(cpu, false)); its calls then throw
   * ViewClosedError.
   * @throws InvalidArgumentError for a handle that is not this package's
   *   (forged, from JSON, mixed from two domains), a CPU already attached,
   *   or (shareCpu) no free shared-view slot; DomainDestroyedError for a
   *   destroyed domain
   */
  static attach(handle: DomainHandle, cpu: number, options: AttachOptions = {}): IovaDomain {
    const h = handleArg(handle);
    countArg("cpu", cpu, 0, h.cpus - 1);
    const share = boolArg("shareCpu", (options ?? {}).shareCpu ?? false);
    let ex: IovaExports;
    try {
      ex = instantiate(h.memory, h.module);
    } catch (e) {
      throw new InvalidArgumentError("handle", "(domain handle)", `cannot be opened: ${(e as Error).message}`);
    }
    const bad = (why: string) => new InvalidArgumentError("handle", "(domain handle)", why);
    if (h.base + HEADER_PROBE_BYTES > h.memory.buffer.byteLength || ex.domainProbe(h.base) !== 0) throw bad("does not point at an initialised domain");
    // The handle's module, not this thread's: a worker may have none yet (a browser's), and adopts it only below.
    const { Stat } = codes(h.module);
    if (Atomics.load(destroyedWordOf(ex, h.memory, h.base, h.module), 0) !== 0) throw new DomainDestroyedError("attach");
    const header = { cpus: ex.domainStat(h.base, Stat.cpus), nodeCap: ex.domainStat(h.base, Stat.nodeCap),
      startPfn: ex.domainStat(h.base, Stat.startPfn), policy: ex.domainStat(h.base, Stat.policy) };
    if (header.cpus !== h.cpus || header.nodeCap !== h.maxRanges || header.startPfn !== h.startPfn || header.policy !== policyCode(h.policy, h.module)) {
      throw bad(`does not match the domain in its memory (cpus ${h.cpus} vs ${header.cpus}, maxRanges ${h.maxRanges} vs ${header.nodeCap}, ` +
        `startPfn ${h.startPfn} vs ${header.startPfn}, policy ${h.policy})`);
    }
    // The order of the regions: scratch slots, the view table, the host's bytes, (flush queues,) then the domain.
    const below = belowHost(h.scratchBase, h.cpus, h.sharedViews);
    if (h.hostBase !== below.hostBase || h.hostBase + h.hostBytes > h.base) {
      throw bad("has scratch or host offsets outside its memory");
    }
    const viewTable = new Int32Array(h.memory.buffer, below.viewTable, h.sharedViews + 1);
    let view = { slot: 0, token: 0 };
    if (share) {
      view = claimView(viewTable, cpu);
    } else if (ex.claimCpu(h.base, cpu) !== 0) {
      throw new InvalidArgumentError("cpu", cpu, "already has a live view: two views of one CPU would share its scratch slot " +
        "(its worker's exit, or setCpuAlive(cpu, false), frees it; see attach's shareCpu)");
    }
    adoptModule(h.module);  // only now: a bad handle never replaces this thread's module
    // A sharer's scratch slot follows the CPUs' and the creating thread's: slot cpus + k for view k. The same
    // number is its lock-holder id (assembly/holder.ts), so a sharer that dies holding a lock is told apart
    // from its CPU's live sharers.
    const slot = share ? h.cpus + view.slot : cpu;
    ex.attach(slot);
    const d = Object.create(IovaDomain.prototype) as IovaDomain;
    Object.assign(d, {
      granule: h.granule, startPfn: h.startPfn, maxRanges: h.maxRanges, cpus: h.cpus,
      policy: h.policy, era: eraOfCode(ex.domainStat(h.base, Stat.era)), memory: h.memory, base: h.base, cpu, lastFailure: null, ex, coreAlloc: ownCallSite(ex.alloc),
      module: h.module, scratchBase: h.scratchBase, scratch: h.scratchBase + slot * SCRATCH_BYTES,
      viewSlot: view.slot, viewToken: view.token, viewTable,
      destroyed: false, closed: false, owner: false, shared: true, destroyedWord: destroyedWordOf(ex, h.memory, h.base),
      poisonWord: poisonWordOf(ex, h.memory, h.base, h.module),
      fqBase: h.fqBase, hostBase: h.hostBase, hostBytes: h.hostBytes, sharedViews: h.sharedViews,
    });
    ex.setCpuAlive(h.base, cpu, 1);
    return d;
  }

  /** What a worker needs to attach to this domain (post it with postMessage). */
  get handle(): DomainHandle {
    if (!this.shared) throw new Error("iova-wasm: this domain runs the single-threaded build in a memory of its own: workers cannot open it");
    return {
      memory: this.memory, module: this.module, base: this.base, scratchBase: this.scratchBase,
      granule: this.granule, startPfn: this.startPfn, maxRanges: this.maxRanges, cpus: this.cpus, policy: this.policy,
      era: this.era, fqBase: this.fqBase, hostBase: this.hostBase, hostBytes: this.hostBytes, sharedViews: this.sharedViews,
    };
  }

  /** The first pfn above the 32-bit DMA space (dma_32bit_pfn). */
  get dma32Pfn(): number {
    return this.ex.domainStat(this.base, codes().Stat.dma32Pfn);
  }

  // ---------------------------------------------------------------- tree API

  /**
   * alloc_iova: `size` pages at or below `limitPfn` (inclusive), top-down,
   * aligned to roundup_pow_of_two(size) when `sizeAligned`. Returns pfn_lo,
   * or null when nothing fits (see lastFailure).
   */
  alloc(size: number, limitPfn: number, sizeAligned = false): number | null {
    // Checked as live, checkRequest, boolArg and call do, in their order, with
    // the common case inline (no closure, no second crossing for the reason):
    // the failing repeat (max32_alloc_size's fast-fail) is all JS but for one
    // short call into wasm. The full checks run only to build the error.
    if (this.destroyed || this.destroyedWord[0] !== 0) this.live("alloc");
    // startPfn >= 1, so the comparison also refuses -0 as pfnArg does.
    if (!(Number.isSafeInteger(size) && size >= 1 && Number.isSafeInteger(limitPfn) && limitPfn >= this.startPfn)) {
      this.checkRequest(size, limitPfn);
    }
    if (typeof sizeAligned !== "boolean") boolArg("sizeAligned", sizeAligned);
    const holder = Atomics.load(this.poisonWord, 0);
    if (holder !== 0) throw new LockHolderDeadError(holder - 1);
    let r: number;
    try {
      r = this.coreAlloc(this.base, size, limitPfn, sizeAligned ? 1 : 0);
    } catch (e) {
      throw this.translate(e);
    }
    if (r < 0) {
      this.lastFailure = failureOf(-1 - r);  // the core returns -1 - its Err code (api/tree.ts)
      return null;
    }
    // Only the v5.11 era's wrapped retry bound places a range below
    // startPfn (assembly/era.ts, retryBoundWraps); the range stays in the
    // tree as the kernel leaves it, and the caller is told nothing fitted.
    if (r < this.startPfn) {
      this.lastFailure = "no-space";
      return null;
    }
    this.lastFailure = null;
    return r;
  }

  /** alloc() that throws AllocationError (with the reason) instead of returning null. */
  allocOrThrow(size: number, limitPfn: number, sizeAligned = false): number {
    const r = this.alloc(size, limitPfn, sizeAligned);
    if (r === null) throw new AllocationError(this.lastFailure!, size, limitPfn);
    return r;
  }

  /** free_iova: frees the range holding pfn. False (and counted) if none does. */
  free(pfn: number): boolean {
    this.live("free");
    pfnArg("pfn", pfn);
    return this.call(() => this.ex.free(this.base, pfn)) !== 0;
  }

  /** find_iova: the range holding pfn, or null. */
  find(pfn: number): Range | null {
    this.live("find");
    pfnArg("pfn", pfn);
    const lo = this.call(() => this.ex.find(this.base, pfn));
    return lo < 0 ? null : { lo, hi: this.ex.foundHiPfn() };
  }

  /**
   * reserve_iova: keeps [lo, hi] from ever being allocated. Ranges it overlaps
   * are widened to absorb the gaps between them, as the kernel does.
   */
  reserve(lo: number, hi: number): void {
    this.live("reserve");
    pfnArg("lo", lo);
    pfnArg("hi", hi);
    if (lo > hi) throw new InvalidArgumentError("lo", lo, `must not exceed hi (${hi})`);
    if (!this.call(() => this.ex.reserve(this.base, lo, hi))) throw new NodeSlabFullError(this.maxRanges);
  }

  /** Every range in address order (the anchor left out). Cached pfns are ranges too. */
  ranges(): Range[] {
    const out: Range[] = [];
    for (const r of this.iterRanges()) out.push(r);
    return out;
  }

  /** Every range with lo >= fromPfn, in address order, read in chunks. Arguments are checked at the call. */
  iterRanges(fromPfn = 0): Generator<Range> {
    this.live("ranges");
    pfnArg("fromPfn", fromPfn);
    this.scratchOf("ranges");
    return this.rangesFrom(fromPfn);
  }

  private *rangesFrom(fromPfn: number): Generator<Range> {
    const max = SCRATCH_BYTES / 16;
    let from = fromPfn;
    for (;;) {
      this.live("ranges");
      const scratch = this.scratchOf("ranges");
      const n = this.call(() => this.ex.dumpRanges(this.base, from, scratch, max));
      const f64 = new Float64Array(this.memory.buffer, scratch, n * 2);
      const chunk: Range[] = [];
      for (let i = 0; i < n; i++) chunk.push({ lo: f64[2 * i], hi: f64[2 * i + 1] });
      yield* chunk;
      if (n < max) return;
      from = chunk[n - 1].hi + 1;
    }
  }

  /** Verifies every tree invariant; throws InvariantError on the first broken one. */
  check(): void {
    this.live("check");
    const code = this.call(() => this.ex.check(this.base));
    if (code !== 0) {
      const name = memberOf("Bad", code);
      throw new InvariantError(code, name ? CHECK_TEXT[name] : "unknown", this.ex.checkBadNode());
    }
  }

  /** check() as a value: null when every invariant holds, else the InvariantError's message. */
  checkProblem(): string | null {
    try {
      this.check();
      return null;
    } catch (e) {
      if (e instanceof InvariantError) return e.message;
      throw e;
    }
  }

  stats(): TreeStats {
    this.live("stats");
    const dump = this.statsDump();
    const s = (k: Exclude<MemberOf<"Stat">, "COUNT">) => dump.stat(k);
    return {
      ranges: s("ranges"), maxRanges: s("nodeCap"), allocs: s("allocs"), frees: s("frees"),
      allocFailures: s("allocFailures"), freeMisses: s("freeMisses"), slabFull: s("slabFull"),
      reserves: s("reserves"), max32AllocSize: s("max32AllocSize"), dma32Pfn: s("dma32Pfn"),
      cachedPfn: belowAnchor(s("cachedPfn")), cached32Pfn: belowAnchor(s("cached32Pfn")), memoryBytes: this.memory.buffer.byteLength,
      memoryMaxBytes: memoryMaxBytes(this.base, this.ex), growFailures: s("growFailures"),
      era: eraOfCode(s("era")),
    };
  }

  /**
   * Test and benchmark hook: place with the kernel's node-by-node walk
   * (O(n)) instead of the augmented descent. Same placements, slower.
   */
  useOracleWalk(on: boolean): void {
    this.live("useOracleWalk");
    this.ex.setOracleWalk(this.base, boolArg("on", on) ? 1 : 0);
  }

  /**
   * Nodes the kernel's own walk would have visited, summed over this view's
   * tree allocations (exact with useOracleWalk; from ranks otherwise, which
   * needs the countKernelWalk option).
   */
  kernelWalkSteps(): number {
    this.live("kernelWalkSteps");
    return this.ex.walkSteps();
  }

  /** Runs `rounds` alloc+free pairs inside wasm; returns how many allocs failed. */
  allocFreeLoop(size: number, limitPfn: number, sizeAligned: boolean, rounds: number): number {
    this.live("allocFreeLoop");
    this.checkRequest(size, limitPfn);
    boolArg("sizeAligned", sizeAligned);
    countArg("rounds", rounds, 0, 2 ** 32 - 1);
    return this.call(() => this.ex.allocFreeLoop(this.base, size, limitPfn, sizeAligned ? 1 : 0, rounds));
  }

  // ---------------------------------------------------------------- fast API

  /**
   * alloc_iova_fast on CPU `cpu`: a size-aligned range from that CPU's
   * magazines, else from the tree; with `flush`, a tree failure flushes every
   * cache and retries once. Sizes up to 32 pages are rounded up to a power
   * of two, as dma-iommu does. Returns pfn_lo or null.
   */
  allocFast(size: number, limitPfn: number, flush = true, cpu = this.cpu): number | null {
    // The hot path: the common case is checked inline; the full checks run
    // only to build the error when something is off.
    if (this.destroyed || this.destroyedWord[0] !== 0 || this.poisonWord[0] !== 0) this.usable("allocFast");
    if (!(Number.isSafeInteger(size) && size >= 1 && Number.isSafeInteger(limitPfn) && limitPfn >= this.startPfn &&
        limitPfn >= MAX_CACHED_PAGES - 1)) {
      this.checkFastRequest(size, limitPfn);
    }
    if (!(typeof cpu === "number" && (cpu >>> 0) === cpu && cpu < this.cpus)) this.checkCpu(cpu);
    if (typeof flush !== "boolean") boolArg("flush", flush);
    let r: number;
    try {
      r = this.ex.allocFast(this.base, cpu, size, limitPfn, flush ? 1 : 0);
    } catch (e) {
      throw this.translate(e);
    }
    if (r < this.startPfn) {  // 0: failure; below startPfn: see alloc()
      this.lastFailure = r === 0 ? failureOf(this.ex.lastTreeError()) : "no-space";
      return null;
    }
    this.lastFailure = null;
    return r;
  }

  /** free_iova_fast: back into CPU `cpu`'s magazine, or to the tree. Pass the size given to allocFast. */
  freeFast(pfn: number, size: number, cpu = this.cpu): void {
    if (this.destroyed || this.destroyedWord[0] !== 0 || this.poisonWord[0] !== 0) this.usable("freeFast");
    if (!(Number.isSafeInteger(pfn) && pfn >= this.startPfn && Number.isSafeInteger(size) && size >= 1)) {
      pfnArg("pfn", pfn);
      sizeArg("size", size);
      // No range starts below startPfn: caching such a pfn would hand it out later.
      throw new InvalidArgumentError("pfn", pfn, `must be at least startPfn (${this.startPfn})`);
    }
    if (!(typeof cpu === "number" && (cpu >>> 0) === cpu && cpu < this.cpus)) this.checkCpu(cpu);
    try {
      this.ex.freeFast(this.base, cpu, pfn, size);
    } catch (e) {
      throw this.translate(e);
    }
  }

  /**
   * allocFast for every size in `sizes` (at most MAX_BATCH per call); one
   * crossing into wasm for the lot. Returns pfns, 0 where one failed.
   */
  allocFastBatch(sizes: ArrayLike<number>, limitPfn: number, flush = true, cpu = this.cpu): Float64Array {
    this.live("allocFastBatch");
    pfnArg("limitPfn", limitPfn);
    this.checkCpu(cpu);
    boolArg("flush", flush);
    const scratch = this.scratchOf("allocFastBatch");
    const n = countArg("sizes.length", sizesArg(sizes).length, 0, MAX_BATCH);
    const buf = new Float64Array(this.memory.buffer, scratch, n);
    for (let i = 0; i < n; i++) buf[i] = this.checkFastRequest(sizes[i], limitPfn);
    this.call(() => this.ex.allocFastBatch(this.base, cpu, scratch, n, limitPfn, flush ? 1 : 0));
    const out = buf.slice();
    for (let i = 0; i < n; i++) if (out[i] < this.startPfn) out[i] = 0;  // see alloc()
    return out;
  }

  /** freeFast for every (pfns[i], sizes[i]) pair; one crossing into wasm. */
  freeFastBatch(pfns: ArrayLike<number>, sizes: ArrayLike<number>, cpu = this.cpu): void {
    this.live("freeFastBatch");
    this.checkCpu(cpu);
    const scratch = this.scratchOf("freeFastBatch");
    const n = countArg("pfns.length", sizesArg(pfns, "pfns").length, 0, MAX_BATCH);
    if (sizesArg(sizes).length !== n) throw new InvalidArgumentError("sizes.length", sizes.length, `must equal pfns.length (${n})`);
    const buf = new Float64Array(this.memory.buffer, scratch, 2 * n);
    for (let i = 0; i < n; i++) {
      const pfn = pfnArg("pfn", pfns[i]);
      if (pfn < this.startPfn) throw new InvalidArgumentError("pfn", pfn, `must be at least startPfn (${this.startPfn})`);
      buf[2 * i] = pfn;
      buf[2 * i + 1] = sizeArg("size", sizes[i]);
    }
    this.call(() => this.ex.freeFastBatch(this.base, cpu, scratch, n));
  }

  /** `rounds` allocFast+freeFast pairs inside wasm (the hot-path benchmark); returns failures. */
  fastLoop(size: number, limitPfn: number, rounds: number, cpu = this.cpu): number {
    this.live("fastLoop");
    this.checkFastRequest(size, limitPfn);
    this.checkCpu(cpu);
    countArg("rounds", rounds, 0, 2 ** 32 - 1);
    return this.call(() => this.ex.fastLoop(this.base, cpu, size, limitPfn, rounds));
  }

  /**
   * free_cpu_cached_iovas: CPU `cpu`'s magazines back to the tree (the
   * CPU-dead path). For a CPU marked dead (setCpuAlive(cpu, false)) it first
   * checks that the CPU holds no lock: if its worker was terminated inside a
   * critical section, this throws LockHolderDeadError naming it at once
   * (and every later call that needs a lock does too).
   */
  freeCpuCached(cpu: number): void {
    this.live("freeCpuCached");
    this.checkCpu(cpu);
    this.call(() => {
      this.ex.checkDeadCpu(this.base, this.fqBase, cpu);
      this.ex.freeCpuCached(this.base, cpu);
    });
  }

  /**
   * @internal CpuPool's exit handler only, once every worker of CPU `cpu`
   * has exited (their threads have ended) and before its freeCpuCached:
   * frees the CPU cache locks the CPU's own id left between two operations
   * of a batch (assembly/dead-cpu.ts) and wakes their waiters; returns how
   * many. Anywhere else the holder may still run, and freeCpuCached treats
   * such a lock as held by the dead CPU (the domain is poisoned).
   */
  takeOverDeadCpu(cpu: number): number {
    this.live("takeOverDeadCpu");
    this.checkCpu(cpu);
    return this.call(() => this.ex.takeOverDeadHolder(this.base, cpu + 1));
  }

  /** Every CPU's magazines, then every depot, back to the tree. */
  flushAll(): void {
    this.live("flushAll");
    this.call(() => this.ex.flushAll(this.base));
  }

  /** One run of the linux-6.4 delayed depot work for a size order. */
  depotWork(order: number): boolean {
    this.live("depotWork");
    countArg("order", order, 0, 5);
    return this.call(() => this.ex.depotWork(this.base, order)) !== 0;
  }

  /**
   * Advances the domain clock to `nowMs` and runs the policy work that fell
   * due (linux-6.4: the delayed depot work; adaptive: working-set reclaim
   * every `intervalMs`). Returns magazines freed to the tree.
   */
  tick(nowMs: number, intervalMs = ADAPTIVE_RECLAIM_MS): number {
    this.live("tick");
    msArg("nowMs", nowMs, 0);
    msArg("intervalMs", intervalMs, 1);
    return this.call(() => this.ex.depotTick(this.base, nowMs, intervalMs));
  }

  /** Magazines, depots and counters, as the kernel thread's dumps show them. */
  cacheStats(): CacheStats {
    this.live("cacheStats");
    return readCacheStats(this.statsDump());
  }

  /**
   * @internal Every counter of the domain at once: one call into the core,
   * through this view's scratch slot (as ranges() uses it), copied out
   * before it returns.
   */
  statsDump(): StatsDump {
    this.live("statsDump");
    return new StatsDump(this.ex, this.memory, this.base, this.scratchOf("stats"));
  }

  /** Fault injection: at most `n` magazines may be out of the slab at once. */
  limitMagazines(n: number): void {
    this.live("limitMagazines");
    this.ex.setMagLimit(this.base, countArg("n", n, 0, 2 ** 31));
  }

  /**
   * Marks CPU `cpu`'s worker gone (or back): locks it holds are then
   * reported, not waited on. Gone also frees the CPU for a new attach and
   * ends the CPU's shared views (their scratch slots are free again).
   */
  setCpuAlive(cpu: number, alive: boolean): void {
    this.live("setCpuAlive");
    this.checkCpu(cpu);
    const on = boolArg("alive", alive);
    this.ex.setCpuAlive(this.base, cpu, on ? 1 : 0);
    if (!on) releaseViews(this.viewTable, (token) => tokenCpu(token) === cpu);
  }

  /** put_iova_domain: every later call on this view throws DomainDestroyedError. */
  destroy(): void {
    this.live("destroy");
    this.ex.destroy(this.base);
    this.destroyed = true;
  }

  /**
   * For `using`: the view that created the domain destroys it (unless
   * already destroyed); an attach()ed view returns its CPU's cached ranges to
   * the tree (free_cpu_cached_iovas) and leaves the shared domain alone.
   */
  [Symbol.dispose](): void {
    if (this.destroyed || this.isDestroyed) return;
    if (this.owner) {
      this.destroy();
      return;
    }
    this.freeCpuCached(this.cpu);
    if (this.viewSlot !== 0) {
      // A sharer gives its scratch slot back and ends: a later call could otherwise write into another view's slot.
      releaseViews(this.viewTable, (token) => token === this.viewToken);
      this.closed = true;
      this.destroyed = true;
    }
  }

  /**
   * @internal The domain's shared destroyed word (not 0 once destroy() ran in
   * any thread), for a host-side cache that checks it on every call
   * (LocalCache) with one plain read, as the checks of this class do.
   */
  get destroyedFlag(): Int32Array {
    return this.destroyedWord;
  }

  /** True once destroy() ran on this domain, in any thread. */
  get isDestroyed(): boolean {
    return (this.destroyed && !this.closed) || this.destroyedWord[0] !== 0;
  }

  private live(op: string): void {
    if (this.destroyed || this.destroyedWord[0] !== 0) {
      throw this.closed ? new ViewClosedError(op) : new DomainDestroyedError(op);
    }
  }

  /**
   * @internal This view's scratch slot, for a call that moves data through
   * it. A sharer's slot is its own while its view-table word holds its
   * token: after its CPU's dead path ran, another view may hold it.
   */
  scratchOf(op: string): number {
    if (this.viewSlot !== 0 && Atomics.load(this.viewTable, this.viewSlot) !== this.viewToken) {
      this.closed = true;
      this.destroyed = true;
      throw new ViewClosedError(op);
    }
    return this.scratch;
  }

  /**
   * @internal This view's place in the view table when it shares its CPU:
   * slot (1..sharedViews) and token; null for a view that owns its CPU.
   * CpuPool reads it so that a dying sharer's view alone ends (endView).
   */
  get sharedView(): { slot: number; token: number } | null {
    return this.viewSlot === 0 ? null : { slot: this.viewSlot, token: this.viewToken };
  }

  /** @internal The id this view writes into the lock words it takes (assembly/holder.ts). */
  get holderId(): number {
    return this.viewSlot !== 0 ? this.cpus + 1 + this.viewSlot : this.owner ? this.cpus + 1 : this.cpu + 1;
  }

  /**
   * @internal Marks a sharer's view dead before its worker is terminated
   * anywhere: waiters on a lock it holds then report LockHolderDeadError
   * (assembly/holder.ts) instead of waiting, and its own later calls throw
   * ViewClosedError. The view's CPU and its other sharers stay up.
   */
  markViewDead(view: { slot: number; token: number }): void {
    this.live("markViewDead");
    const v = viewArg(view, this.sharedViews);
    Atomics.compareExchange(this.viewTable, v.slot, v.token, v.token | codes().VIEW_DEAD);
  }

  /**
   * @internal A sharer's worker is gone (CpuPool's exit handler, after the
   * worker's exit event: its thread has ended): the CPU cache locks it left
   * between two operations of a batch are taken over (assembly/dead-cpu.ts);
   * if it died holding any other lock, throws LockHolderDeadError naming its
   * CPU (and the domain is poisoned, as for a CPU); then frees its
   * view-table word. Nothing if the view was already closed (its word then
   * belongs to no one, or to a newer view).
   */
  endView(view: { slot: number; token: number }): void {
    this.live("endView");
    const v = viewArg(view, this.sharedViews);
    const word = Atomics.load(this.viewTable, v.slot);
    if (word !== v.token && word !== (v.token | codes().VIEW_DEAD)) return;
    try {
      this.call(() => {
        this.ex.takeOverDeadHolder(this.base, this.cpus + 1 + v.slot);
        this.ex.checkDeadView(this.base, this.fqBase, v.slot);
      });
    } finally {
      Atomics.compareExchange(this.viewTable, v.slot, word, 0);
    }
  }

  /** live(), and the domain is not poisoned by a CPU that died holding a lock. */
  private usable(op: string): void {
    this.live(op);
    const holder = Atomics.load(this.poisonWord, 0);
    if (holder !== 0) throw new LockHolderDeadError(holder - 1);
  }

  /** The CPU whose death poisoned the domain (it died holding a lock), or null. */
  get poisonedBy(): number | null {
    const holder = Atomics.load(this.poisonWord, 0);
    return holder === 0 ? null : holder - 1;
  }

  private checkRequest(size: unknown, limitPfn: unknown): number {
    sizeArg("size", size);
    pfnArg("limitPfn", limitPfn);
    if ((limitPfn as number) < this.startPfn) {
      throw new InvalidArgumentError("limitPfn", limitPfn, `must be at least startPfn (${this.startPfn})`);
    }
    return size as number;
  }

  /**
   * checkRequest, and a cacheable size (rounded up to a power of two) must
   * fit below limitPfn + 1: iova_rcache_get() looks for a pfn at or below
   * limit_pfn + 1 - size in unsigned arithmetic, which wraps for a smaller
   * limit, and the kernel then hands out any cached pfn of that order, above
   * the limit. The core does that for replay; the API refuses the call.
   */
  private checkFastRequest(size: unknown, limitPfn: unknown): number {
    this.checkRequest(size, limitPfn);
    const s = size as number;
    const rounded = s <= MAX_CACHED_PAGES ? 2 ** Math.ceil(Math.log2(s)) : s;
    if (s <= MAX_CACHED_PAGES && (limitPfn as number) + 1 < rounded) {
      throw new InvalidArgumentError("limitPfn", limitPfn,
        `leaves no room for ${rounded} pages (size ${s} rounded up to a power of two) at or below it`);
    }
    return s;
  }

  private checkCpu(cpu: unknown): void {
    countArg("cpu", cpu, 0, this.cpus - 1);
  }

  /**
   * Runs a wasm call that may take a lock: refused on a poisoned domain; a
   * trap from a lock whose holder died becomes LockHolderDeadError.
   */
  private call<T>(fn: () => T): T {
    const holder = Atomics.load(this.poisonWord, 0);
    if (holder !== 0) throw new LockHolderDeadError(holder - 1);
    try {
      return fn();
    } catch (e) {
      throw this.translate(e);
    }
  }

  /** @internal A trap from a lock whose holder died becomes LockHolderDeadError (reported once per trap). */
  translate(e: unknown): unknown {
    const holder = this.ex.deadHolder.value;
    if (holder === 0) return e;
    this.ex.clearDeadHolder();
    return new LockHolderDeadError(holder - 1);
  }
}

/** Options of IovaDomain.attach. */
export interface AttachOptions {
  /** Share the CPU's caches with other live views, with a scratch slot of this view's own (DomainOptions.sharedViews). Default false. */
  shareCpu?: boolean;
}

/**
 * Where the scratch slots end: slot k at scratchBase + k * SCRATCH_BYTES for
 * the CPUs (0..cpus-1), the creating thread (cpus) and the shared views
 * (cpus + 1..cpus + views); then the view table, one word per shared view
 * after a counter word, padded to a cache line; then the host's bytes.
 */
function belowHost(scratchBase: number, cpus: number, views: number): { viewTable: number; hostBase: number } {
  const viewTable = scratchBase + (cpus + 1 + views) * SCRATCH_BYTES;
  return { viewTable, hostBase: viewTable + align(4 * (views + 1), 64) };
}

/**
 * A token holds the CPU + 1 in its low bits (VIEW_CPU_BITS of assembly/holder.ts: cpus <= 1024 fit) and a
 * claim count above, so a stale view never matches; the top bit (VIEW_DEAD) is left for markViewDead.
 */
const tokenCpu = (token: number): number => (token & ((1 << codes().VIEW_CPU_BITS) - 1)) - 1;

/** Takes a free word of the view table for a sharer of `cpu`: the slot and the token written there. */
function claimView(table: Int32Array, cpu: number): { slot: number; token: number } {
  const bits = codes().VIEW_CPU_BITS;
  const token = (((Atomics.add(table, 0, 1) + 1) & ((1 << (31 - bits)) - 1)) << bits) | (cpu + 1);
  for (let slot = 1; slot < table.length; slot++) {
    if (Atomics.compareExchange(table, slot, 0, token) === 0) return { slot, token };
  }
  throw new InvalidArgumentError("shareCpu", true, `finds no free scratch slot: all ${table.length - 1} of the domain's sharedViews ` +
    "are held by live views (a view gives its slot back at [Symbol.dispose] or when its CPU's dead path runs)");
}

/** A sharer's place in the view table, as IovaDomain.sharedView gives it: slot 1..views, a non-zero int32 token. */
function viewArg(view: unknown, views: number): { slot: number; token: number } {
  if (typeof view !== "object" || view === null) throw new InvalidArgumentError("view", view, "must be { slot, token } (IovaDomain.sharedView)");
  const { slot, token } = view as { slot?: unknown; token?: unknown };
  countArg("view.slot", slot, 1, Math.max(1, views));
  if (!(Number.isInteger(token) && (token as number) !== 0 && (token as number) >= 1 && (token as number) <= 2 ** 31 - 1)) {
    throw new InvalidArgumentError("view.token", token, "must be a view-table token (an integer from 1 to 2^31 - 1)");
  }
  return { slot: slot as number, token: token as number };
}

/** Frees every view-table word whose token `which` picks. */
function releaseViews(table: Int32Array, which: (token: number) => boolean): void {
  for (let slot = 1; slot < table.length; slot++) {
    const t = Atomics.load(table, slot);
    if (t !== 0 && which(t)) Atomics.compareExchange(table, slot, t, 0);
  }
}

/** Bytes of header domainProbe reads: the memory must hold at least these past base. */
const HEADER_PROBE_BYTES = 512;

/** A cached node's pfn, or null for the anchor (its pfn ~0 arrives as 2^64, which no caller can use as a number). */
function belowAnchor(pfn: number): number | null {
  return pfn > MAX_PFN ? null : pfn;
}

function destroyedWordOf(ex: IovaExports, memory: WebAssembly.Memory, base: number, module?: WasmModule): Int32Array {
  return new Int32Array(memory.buffer, base + ex.layoutField(codes(module).LayoutField.destroyed), 1);
}

function poisonWordOf(ex: IovaExports, memory: WebAssembly.Memory, base: number, module?: WasmModule): Int32Array {
  return new Int32Array(memory.buffer, base + ex.layoutField(codes(module).LayoutField.poisoned), 1);
}

/** An array-like of numbers (a plain array or a typed array), else a typed error naming it. */
function sizesArg(v: ArrayLike<number>, name = "sizes"): ArrayLike<number> {
  if (typeof v !== "object" || v === null || !Number.isSafeInteger((v as { length?: unknown }).length)) {
    throw new InvalidArgumentError(name, v, "must be an array (or typed array) of numbers");
  }
  return v;
}

/** A handle as IovaDomain's `handle` getter makes it: checked field by field, never trusted. */
function handleArg(h: unknown): DomainHandle {
  // The field's value, when there is one, is what the error shows (InvalidArgumentError describes it safely).
  const bad = (why: string, value: unknown = "(domain handle)") => new InvalidArgumentError("handle", value, why);
  if (typeof h !== "object" || h === null) throw bad("must be a domain's handle (domain.handle)");
  const x = h as Record<string, unknown>;
  if (!(x.memory instanceof WebAssembly.Memory)) throw bad("has no WebAssembly.Memory (a handle does not survive JSON; post it with postMessage)");
  if (!(x.module instanceof WebAssembly.Module)) throw bad("has no WebAssembly.Module");
  const foreign = moduleProblem(x.module);
  if (foreign !== null) throw bad(`has a module that ${foreign}`);
  for (const k of ["base", "scratchBase", "granule", "startPfn", "maxRanges", "cpus", "fqBase", "hostBase", "hostBytes", "sharedViews"]) {
    if (!Number.isSafeInteger(x[k]) || (x[k] as number) < 0) throw bad(`has a bad ${k}`, x[k]);
  }
  if ((x.cpus as number) < 1 || (x.cpus as number) > 1024) throw bad("has a bad cpus", x.cpus);
  if ((x.sharedViews as number) > MAX_SHARED_VIEWS) throw bad("has a bad sharedViews", x.sharedViews);
  if (x.policy !== "tree-only" && !(POLICIES as readonly unknown[]).includes(x.policy)) throw bad("has a bad policy", x.policy);
  if (!(ERAS as readonly unknown[]).includes(x.era)) throw bad("has a bad era", x.era);
  return h as DomainHandle;
}

/** codes().Err, read once: failureOf runs on every failed allocation. */
let errCodes: Codes["Err"] | null = null;

function failureOf(code: number): AllocFailure {
  const Err = errCodes ??= codes().Err;
  if (code === Err.NODE_SLAB_FULL) return "node-slab-full";
  if (code === Err.FAST_FAIL_32) return "fast-fail-32";
  return "no-space";
}

/** The most magazines a slab may hold (the maxMagazines option's bound). */
const MAX_MAGAZINES = 1 << 22;

/**
 * The default slab's magazines (magazineBound), if a slab holds them. Past
 * the slab's bound the blame goes to depotMax when the caller set it, else
 * to the CPU count, never to a maxMagazines the caller did not give.
 */
function defaultMagazines(n: number, cpus: number, depotMax: unknown): number {
  if (n <= MAX_MAGAZINES) return n;
  const [arg, value] = depotMax !== undefined ? ["depotMax", depotMax] : ["cpus", cpus];
  throw new InvalidArgumentError(arg, value, `needs ${n} magazines by default, more than a slab holds (${MAX_MAGAZINES}); pass a smaller maxMagazines`);
}

/** A wasm32 memory holds at most 65536 pages of 64 KiB: the scratch slots and the domain grown to its caps must fit. */
export const MAX_MEMORY_BYTES = 2 ** 32;

/**
 * The refusal of a geometry that does not fit one memory. It names the
 * option behind the largest region, among those the caller gave (a
 * default is never blamed: then the error is about the options as a whole).
 */
function tooLarge(probe: IovaExports, options: DomainOptions, total: number, cpus: number, maxRanges: number,
  maxMags: number, magSize: number): InvalidArgumentError {
  // Each region's share when full, as the module's own layout sizes it.
  const mags = probe.layoutMaxBytes(1, 1, maxMags, magSize);
  const shares: [keyof DomainOptions, number][] = [
    ["maxRanges", probe.layoutMaxBytes(1, maxRanges, 0, 0)],
    ["maxMagazines", mags],
    ["magazineSize", mags],
    ["depotMax", mags],
    ["cpus", probe.layoutMaxBytes(cpus, 1, 0, 0) + (cpus + 1) * SCRATCH_BYTES],
    ["sharedViews", (options.sharedViews ?? DEFAULT_SHARED_VIEWS) * SCRATCH_BYTES],
  ];
  const given = shares.filter(([k]) => options[k] !== undefined).sort((a, b) => b[1] - a[1]);
  const reason = `would make a domain that grows to ${total} bytes (maxRanges ${maxRanges}, ${maxMags} magazines of ${magSize} pfns); at most ${MAX_MEMORY_BYTES} bytes (4 GiB) fit one memory`;
  if (given.length === 0) return new InvalidArgumentError("options", options, reason);
  const [name] = given[0];
  return new InvalidArgumentError(name, options[name], reason);
}

function align(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** Bytes of the memory when the domain's slab has grown to its limit (whole wasm pages). */
function memoryMaxBytes(base: number, ex: IovaExports): number {
  return Math.ceil((base + ex.domainStat(base, codes().Stat.maxTotalBytes)) / 65536) * 65536;
}
