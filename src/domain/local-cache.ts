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
  // Every field is `declare`d and assigned once in the constructor, none
  // declared bare: with ES2022 class fields a bare declaration first defines
  // the field as undefined, which made V8 keep every number field tagged (a
  // Smi check per read) and every array field of unknown map (a map check per
  // read) in alloc() and free().
  declare readonly limitPfn: number;
  declare readonly batch: number;
  /** The domain whose ranges this cache holds. */
  declare private readonly domain: IovaDomain;
  /**
   * The one word alloc() and free() read to know the cache is usable: the
   * domain's shared destroyed word (0 until destroy() runs in any thread)
   * while open, a word of its own holding 1 after close(). One plain load
   * stands for both tests; live() tells the two apart when it is not 0.
   */
  declare private gate: Int32Array;
  /**
   * Every order's stack and its depth in one array (see slot()): order o's
   * depth at [o], its pfns at slot(i, o) for i < depth, `capacity` each; one
   * array, so alloc() and free() load one typed array's base and length, not
   * two. 32-bit when every pfn up to limitPfn fits in an int32, else doubles:
   * an int32 loaded here goes back to the caller as a small integer as it is,
   * while a double is first converted and tested (cvttsd2si, cvtsi2sd and a
   * compare), which sat on emptyPool's dependency chain from one pair to the
   * next (each pair's alloc returns the pfn the previous pair freed).
   * The cost of the choice: in a process that holds caches of both kinds,
   * alloc() and free() see both array types at `stacks[...]`, so V8's access
   * there turns polymorphic (a check of the array's kind before each load and
   * store) for every cache, the 32-bit ones too: slower, never wrong.
   */
  declare private readonly stacks: Int32Array | Float64Array;
  /** The core's number of orders (the depths at stacks[0..orders)). */
  declare private readonly orders: number;
  /** Where spill() gathers the pfns it gives back (one batch). */
  declare private readonly spilled: Float64Array;
  /** Each order's stack holds this many pfns (two batches). */
  declare private readonly capacity: number;
  /** The largest size the core's caches hold (2^(ORDERS-1)), computed once: `2 ** n` with a variable n cost ~100 ns a call on Node 20. */
  declare private readonly maxCached: number;
  /** The domain's startPfn, the lowest pfn free() takes. */
  declare private readonly startPfn: number;
  /** Per order, `batch` copies of its size: the sizes argument of its refills and spills. */
  declare private readonly sizes: Float64Array[];

  constructor(domain: IovaDomain, options: LocalCacheOptions) {
    // A real IovaDomain, not one that only looks like it: the cache reads the
    // domain's shared destroyed flag and calls into its wasm instance.
    if (!(domain instanceof IovaDomain)) {
      throw new InvalidArgumentError("domain", domain, "must be an IovaDomain");
    }
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", options, "must be an object with at least { limitPfn }");
    }
    if (domain.isDestroyed) throw new DomainDestroyedError("LocalCache");
    const limitPfn = pfnArg("limitPfn", options.limitPfn);
    if (limitPfn < domain.startPfn) {
      throw new InvalidArgumentError("limitPfn", options.limitPfn, `must be at least startPfn (${domain.startPfn})`);
    }
    const batch = countArg("batch", options.batch ?? 64, 1, 2048);
    const orders = codes().ORDERS;
    if (orders > 1 << ORDER_BITS) throw new Error(`LocalCache interleaves at most ${1 << ORDER_BITS} orders; the core has ${orders}`);
    const capacity = 2 * batch;
    this.limitPfn = limitPfn;
    this.batch = batch;
    this.domain = domain;
    this.gate = domain.destroyedFlag;
    // Row 0 holds the depths, rows 1..capacity the pfns (slot()).
    const entries = (capacity + 1) << ORDER_BITS;
    this.stacks = limitPfn <= INT32_MAX ? new Int32Array(entries) : new Float64Array(entries);
    this.orders = orders;
    this.spilled = new Float64Array(batch);
    this.capacity = capacity;
    this.maxCached = 1 << (orders - 1);
    this.startPfn = domain.startPfn;
    this.sizes = [];
    for (let o = 0; o < orders; o++) this.sizes.push(new Float64Array(batch).fill(1 << o));
  }

  /** A range of `size` pages (1..32, rounded up to a power of two), size-aligned; null if none. */
  alloc(size: number): number | null {
    // alloc and free stay small (errors and the refill and spill are out of
    // line, and neither rejoins the fast path) so that V8 inlines them, and
    // their checks, into the caller's loop as one straight run of loads.
    if (this.gate[0] !== 0) this.live("alloc");
    const o = orderOf(size, this.maxCached);
    const stacks = this.stacks;
    const top = stacks[o] - 1;
    if (top < 0) return this.refill(o);
    stacks[o] = top;
    return stacks[slot(top, o)];
  }

  /** Gives back a range from alloc(); `size` must be the one passed to alloc. */
  free(pfn: number, size: number): void {
    if (this.gate[0] !== 0) this.live("free");
    const o = orderOf(size, this.maxCached);
    // Number.isInteger, not isSafeInteger: the range test bounds pfn by limitPfn, itself below 2^53.
    if (!(Number.isInteger(pfn) && pfn >= this.startPfn && pfn <= this.limitPfn)) badPfn(pfn, this.startPfn, this.limitPfn);
    const stacks = this.stacks;
    const top = stacks[o];
    if (top === this.capacity) return this.spill(o, this.batch, pfn);
    stacks[slot(top, o)] = pfn;
    stacks[o] = top + 1;
  }

  /** pfns held here per order (for stats and tests). */
  held(): number[] {
    this.live("held");
    return Array.from(this.stacks.subarray(0, this.orders));
  }

  /** Returns every cached range to the domain. */
  flush(): void {
    this.live("flush");
    for (let o = 0; o < this.orders; o++) {
      while (this.stacks[o] > 0) this.spill(o, Math.min(this.stacks[o], this.batch));
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

  /** alloc() on order o's empty stack: refills it with one batch and takes one; null if the domain had none. */
  private refill(o: number): number | null {
    const got = this.domain.allocFastBatch(this.sizes[o], this.limitPfn, true);
    const stacks = this.stacks;
    let top = 0;
    for (let i = 0; i < got.length; i++) if (got[i] !== 0) stacks[slot(top++, o)] = got[i];
    if (top === 0) return null;
    stacks[o] = --top;
    return stacks[slot(top, o)];
  }

  /**
   * Frees the newest `n` pfns of order o (free() on a full stack: half of it,
   * then pushes `push`); flush() empties the stack this way.
   */
  private spill(o: number, n: number, push?: number): void {
    const stacks = this.stacks;
    const top = stacks[o];
    const from = top - n;
    const out = n === this.batch ? this.spilled : this.spilled.subarray(0, n);
    for (let i = 0; i < n; i++) out[i] = stacks[slot(from + i, o)];
    this.domain.freeFastBatch(out, this.sizes[o].subarray(0, n));
    if (push === undefined) {
      stacks[o] = from;
    } else {
      stacks[slot(from, o)] = push;
      stacks[o] = from + 1;
    }
  }
}

/**
 * The stacks are interleaved: entry i of order o is at ((i + 1) << ORDER_BITS) | o,
 * so an index is an add, a shift by a constant and an or, and row 0 (i = -1)
 * holds each order's depth. 3 bits hold the core's 6 orders
 * (assembly/layout.ts ORDERS; the constructor checks it).
 */
const ORDER_BITS = 3;
const slot = (i: number, o: number): number => ((i + 1) << ORDER_BITS) | o;

/** The largest pfn an Int32Array stack holds exactly. */
const INT32_MAX = 0x7fff_ffff;

/** The gate of every closed cache: never 0. */
const CLOSED_GATE = Int32Array.of(1);

/**
 * The order of `size`, at most that of `maxCached` (the largest size the
 * core's caches hold). A const, not a function declaration: a module's
 * function binding can be reassigned, so V8 checked it was still this
 * function on every inlined call.
 */
const orderOf = (size: number, maxCached: number): number => {
  if (!(Number.isInteger(size) && size >= 1 && size <= maxCached)) badSize(size, maxCached);
  return 32 - Math.clz32(size - 1);  // size 1: clz32(0) is 32, order 0
};

function badPfn(pfn: number, startPfn: number, limitPfn: number): never {
  throw new InvalidArgumentError("pfn", pfn, `must be a pfn from this cache (${startPfn}..${limitPfn})`);
}

function badSize(size: number, maxCached: number): never {
  throw new InvalidArgumentError("size", size, `must be an integer from 1 to ${maxCached} (larger sizes: use the domain's alloc)`);
}
