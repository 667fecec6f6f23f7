// IovaDomain: one IOVA domain in a shared WebAssembly.Memory, used from the
// calling thread. The tree API mirrors drivers/iommu/iova.c: alloc_iova,
// free_iova, find_iova, reserve_iova.
import {
  AllocationError, DomainDestroyedError, InvalidArgumentError, InvariantError, NodeSlabFullError,
  type AllocFailure,
} from "../errors.js";
import { boolArg, countArg, pfnArg, powerOfTwoArg, sizeArg } from "../validate.js";
import { CHECK_CODES, ERR, TREE_STAT, type IovaExports } from "../wasm/exports.js";
import { instantiate, newSharedMemory } from "../wasm/module.js";

/** Domains start here: above the module's static data, which every instance rewrites. */
export const DOMAIN_BASE = 65536;
/** Per-thread scratch for bulk reads (ranges are copied out 16 bytes each). */
export const SCRATCH_BYTES = 65536;

export interface DomainOptions {
  /** Most ranges the tree can hold at once (the node slab's size). Default 65536. */
  maxRanges?: number;
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
  cachedPfn: number;
  cached32Pfn: number;
  memoryBytes: number;
}

export class IovaDomain {
  readonly granule: number;
  readonly startPfn: number;
  readonly maxRanges: number;
  readonly memory: WebAssembly.Memory;
  /** Byte address of the domain header inside `memory`. */
  readonly base: number;
  /** Why the last failed alloc() failed, or null after a success. */
  lastFailure: AllocFailure | null = null;

  private readonly ex: IovaExports;
  private readonly scratch: number;
  private destroyed = false;

  /** init_iova_domain(granule, start_pfn). */
  constructor(granule: number, startPfn: number, options: DomainOptions = {}) {
    this.granule = powerOfTwoArg("granule", granule, 1, 65536);
    this.startPfn = pfnArg("startPfn", startPfn);
    this.maxRanges = countArg("maxRanges", options.maxRanges ?? 65536, 1, 50_000_000);
    const shift = Math.log2(this.granule);
    this.base = DOMAIN_BASE;
    // The layout is computed by the module itself; a one-page probe instance asks it.
    const probe = instantiate(newSharedMemory(DOMAIN_BASE));
    if (probe.heapBase() > DOMAIN_BASE) throw new Error("iova-wasm: static data overlaps the domain base");
    const bytes = probe.layoutBytes(1, this.maxRanges, 0, 0);
    this.scratch = this.base + align(bytes, 64);
    this.memory = newSharedMemory(this.scratch + SCRATCH_BYTES);
    this.ex = instantiate(this.memory);
    this.ex.domainInit(this.base, shift, this.startPfn, 1, this.maxRanges, 0, 0, 0, 0);
    this.ex.attach(0);
  }

  /** The first pfn above the 32-bit DMA space (dma_32bit_pfn). */
  get dma32Pfn(): number {
    return this.ex.treeStat(this.base, TREE_STAT.dma32Pfn);
  }

  /**
   * alloc_iova: `size` pages at or below `limitPfn` (inclusive), top-down,
   * aligned to roundup_pow_of_two(size) when `sizeAligned`. Returns pfn_lo,
   * or null when nothing fits (see lastFailure).
   */
  alloc(size: number, limitPfn: number, sizeAligned = false): number | null {
    this.live("alloc");
    sizeArg("size", size);
    pfnArg("limitPfn", limitPfn);
    boolArg("sizeAligned", sizeAligned);
    if (limitPfn < this.startPfn) {
      throw new InvalidArgumentError("limitPfn", limitPfn, `must be at least startPfn (${this.startPfn})`);
    }
    const r = this.ex.alloc(this.base, size, limitPfn, sizeAligned ? 1 : 0);
    if (r < 0) {
      this.lastFailure = failureOf(this.ex.lastError());
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
    return this.ex.free(this.base, pfn) !== 0;
  }

  /** find_iova: the range holding pfn, or null. */
  find(pfn: number): Range | null {
    this.live("find");
    pfnArg("pfn", pfn);
    const lo = this.ex.find(this.base, pfn);
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
    if (!this.ex.reserve(this.base, lo, hi)) throw new NodeSlabFullError(this.maxRanges);
  }

  /** Every range in address order (the anchor left out). */
  ranges(): Range[] {
    const out: Range[] = [];
    for (const r of this.iterRanges()) out.push(r);
    return out;
  }

  *iterRanges(fromPfn = 0): Generator<Range> {
    this.live("ranges");
    const max = SCRATCH_BYTES / 16;
    let from = fromPfn;
    for (;;) {
      const n = this.ex.dumpRanges(this.base, from, this.scratch, max);
      const f64 = new Float64Array(this.memory.buffer, this.scratch, n * 2);
      for (let i = 0; i < n; i++) yield { lo: f64[2 * i], hi: f64[2 * i + 1] };
      if (n < max) return;
      from = f64[2 * n - 1] + 1;
    }
  }

  /** Verifies every tree invariant; throws InvariantError on the first broken one. */
  check(): void {
    this.live("check");
    const code = this.ex.check(this.base);
    if (code !== 0) throw new InvariantError(code, CHECK_CODES[code] ?? "unknown", this.ex.checkBadNode());
  }

  stats(): TreeStats {
    this.live("stats");
    const s = (k: keyof typeof TREE_STAT) => this.ex.treeStat(this.base, TREE_STAT[k]);
    return {
      ranges: s("ranges"), maxRanges: s("nodeCap"), allocs: s("allocs"), frees: s("frees"),
      allocFailures: s("allocFailures"), freeMisses: s("freeMisses"), slabFull: s("slabFull"),
      reserves: s("reserves"), max32AllocSize: s("max32AllocSize"), dma32Pfn: s("dma32Pfn"),
      cachedPfn: s("cachedPfn"), cached32Pfn: s("cached32Pfn"), memoryBytes: this.memory.buffer.byteLength,
    };
  }

  /**
   * Test and benchmark hook: place with the kernel's node-by-node walk
   * (O(n)) instead of the augmented descent. Same placements, slower.
   */
  useOracleWalk(on: boolean): void {
    this.live("useOracleWalk");
    this.ex.setOracleWalk(this.base, on ? 1 : 0);
  }

  /** Runs `rounds` alloc+free pairs inside wasm; returns how many allocs failed. */
  allocFreeLoop(size: number, limitPfn: number, sizeAligned: boolean, rounds: number): number {
    this.live("allocFreeLoop");
    return this.ex.allocFreeLoop(this.base, sizeArg("size", size), pfnArg("limitPfn", limitPfn),
      sizeAligned ? 1 : 0, countArg("rounds", rounds, 0, 2 ** 32 - 1));
  }

  /** put_iova_domain: every later call throws DomainDestroyedError. */
  destroy(): void {
    this.live("destroy");
    this.ex.destroy(this.base);
    this.destroyed = true;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  private live(op: string): void {
    if (this.destroyed) throw new DomainDestroyedError(op);
  }
}

function failureOf(code: number): AllocFailure {
  if (code === ERR.NODE_SLAB_FULL) return "node-slab-full";
  if (code === ERR.FAST_FAIL_32) return "fast-fail-32";
  return "no-space";
}

function align(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
