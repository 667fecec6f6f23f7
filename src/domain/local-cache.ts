// LocalCache: a per-thread cache of cached-size ranges in front of one CPU's
// wasm magazines — the magazine idea one level up. Each size order keeps a
// JS stack of pfns; an empty stack refills with one allocFastBatch call and
// a full one spills half with one freeFastBatch call, so most alloc/free
// pairs never cross into wasm at all.
//
// The ranges in these stacks are allocated as far as the domain knows (they
// belong to this thread), so other threads cannot get them; close() (or
// flush()) gives them back. Like the kernel's magazines, a double free is not
// detected here.
import { DomainDestroyedError, InvalidArgumentError, IovaError } from "../errors.js";
import "../util/dispose.js";
import type { DisposableView } from "../util/dispose.js";
import { countArg, pfnArg } from "../validate.js";
import { codes } from "../wasm/codes.js";
import { IovaDomain } from "./iova-domain.js";

/** Any call on a LocalCache after its close(). */
export class CacheClosedError extends IovaError {
  override name = "CacheClosedError";
  constructor(readonly operation: string) {
    super(`${IovaError.text(operation)}() called on a closed LocalCache`);
  }
}

export interface LocalCacheOptions {
  /** Highest pfn any range may end at: fixed per cache, so cached pfns always fit. */
  limitPfn: number;
  /** pfns fetched per refill (and spilled per overflow); default 64. */
  batch?: number;
}

export class LocalCache implements DisposableView {
  readonly limitPfn: number;
  readonly batch: number;
  /** Every order's stack in one array: order o's pfns are [o * capacity, o * capacity + tops[o]). */
  private readonly pfns: Float64Array;
  private readonly tops = new Int32Array(codes().ORDERS);
  private readonly sizes: Float64Array[] = [];
  /** The largest size the core's caches hold (2^(ORDERS-1)), computed once: `2 ** n` with a variable n cost ~100 ns a call on Node 20. */
  private readonly maxCached: number;
  /** Each order's stack holds this many pfns (two batches). */
  private readonly capacity: number;
  /** The domain's startPfn, the lowest pfn free() takes. */
  private readonly startPfn: number;
  /**
   * The one word alloc() and free() read to know the cache is usable: the
   * domain's shared destroyed word (0 until destroy() runs in any thread)
   * while open, a word of its own holding 1 after close(). One plain load
   * stands for both tests; live() tells the two apart when it is not 0.
   */
  private gate: Int32Array;

  constructor(private readonly domain: IovaDomain, options: LocalCacheOptions) {
    // A real IovaDomain, not one that only looks like it: the cache reads the
    // domain's shared destroyed flag and calls into its wasm instance.
    if (!(domain instanceof IovaDomain)) {
      throw new InvalidArgumentError("domain", domain, "must be an IovaDomain");
    }
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", options, "must be an object with at least { limitPfn }");
    }
    if (domain.isDestroyed) throw new DomainDestroyedError("LocalCache");
    this.gate = domain.destroyedFlag;
    this.limitPfn = pfnArg("limitPfn", options.limitPfn);
    if (this.limitPfn < domain.startPfn) {
      throw new InvalidArgumentError("limitPfn", options.limitPfn, `must be at least startPfn (${domain.startPfn})`);
    }
    this.batch = countArg("batch", options.batch ?? 64, 1, 2048);
    this.maxCached = 1 << (codes().ORDERS - 1);
    this.capacity = 2 * this.batch;
    this.startPfn = domain.startPfn;
    this.pfns = new Float64Array(codes().ORDERS * this.capacity);
    for (let o = 0; o < codes().ORDERS; o++) {
      this.sizes.push(new Float64Array(this.batch).fill(1 << o));
    }
  }

  /** A range of `size` pages (1..32, rounded up to a power of two), size-aligned; null if none. */
  alloc(size: number): number | null {
    // alloc and free stay small (errors are built out of line) so that V8
    // inlines them, and their checks, into the caller's loop.
    if (this.gate[0] !== 0) this.live("alloc");
    const o = orderOf(size, this.maxCached);
    let top = this.tops[o];
    if (top === 0) top = this.refill(o);
    if (top === 0) return null;
    this.tops[o] = --top;
    return this.pfns[o * this.capacity + top];
  }

  /** Gives back a range from alloc(); `size` must be the one passed to alloc. */
  free(pfn: number, size: number): void {
    if (this.gate[0] !== 0) this.live("free");
    const o = orderOf(size, this.maxCached);
    if (!(Number.isSafeInteger(pfn) && pfn >= this.startPfn && pfn <= this.limitPfn)) badPfn(pfn, this.startPfn, this.limitPfn);
    let top = this.tops[o];
    if (top === this.capacity) top = this.spill(o);
    this.pfns[o * this.capacity + top] = pfn;
    this.tops[o] = top + 1;
  }

  /** pfns held here per order (for stats and tests). */
  held(): number[] {
    this.live("held");
    return Array.from(this.tops);
  }

  /** Returns every cached range to the domain. */
  flush(): void {
    this.live("flush");
    for (let o = 0; o < codes().ORDERS; o++) {
      while (this.tops[o] > 0) this.spill(o, Math.min(this.tops[o], this.batch));
    }
  }

  /** flush(); afterwards alloc/free throw. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.gate = CLOSED_GATE;
  }

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** close() ran: the gate is then the closed one (the state is the gate, not a second flag beside it). */
  private get closed(): boolean {
    return this.gate === CLOSED_GATE;
  }

  /** After close() every call throws CacheClosedError; after the domain's destroy(), DomainDestroyedError. */
  private live(op: string): void {
    if (this.closed) throw new CacheClosedError(op);
    if (this.domain.isDestroyed) throw new DomainDestroyedError(op);
  }

  /** For `using`: close() (the cached ranges go back to the domain), once. */
  [Symbol.dispose](): void {
    if (!this.closed) this.close();
  }

  /** Refills order o's empty stack with one batch; returns its new top. */
  private refill(o: number): number {
    const got = this.domain.allocFastBatch(this.sizes[o], this.limitPfn, true);
    const base = o * this.capacity;
    let top = this.tops[o];
    for (let i = 0; i < got.length; i++) if (got[i] !== 0) this.pfns[base + top++] = got[i];
    this.tops[o] = top;
    return top;
  }

  /** Frees the newest `n` pfns of order o (default: half the stack); returns its new top. */
  private spill(o: number, n = this.batch): number {
    const top = this.tops[o];
    const from = top - n;
    const base = o * this.capacity;
    this.domain.freeFastBatch(this.pfns.subarray(base + from, base + top), this.sizes[o].subarray(0, n));
    this.tops[o] = from;
    return from;
  }
}

/** The gate of every closed cache: never 0. */
const CLOSED_GATE = Int32Array.of(1);

/** The order of `size`, at most that of `maxCached` (the largest size the core's caches hold). */
function orderOf(size: number, maxCached: number): number {
  if (!(Number.isInteger(size) && size >= 1 && size <= maxCached)) badSize(size, maxCached);
  return size <= 1 ? 0 : 32 - Math.clz32(size - 1);
}

function badPfn(pfn: number, startPfn: number, limitPfn: number): never {
  throw new InvalidArgumentError("pfn", pfn, `must be a pfn from this cache (${startPfn}..${limitPfn})`);
}

function badSize(size: number, maxCached: number): never {
  throw new InvalidArgumentError("size", size, `must be an integer from 1 to ${maxCached} (larger sizes: use the domain's alloc)`);
}
