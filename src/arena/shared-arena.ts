// SharedArena: byte ranges of one SharedArrayBuffer, allocated and freed from
// any worker_thread. The bookkeeping is an IovaDomain whose page ("granule")
// is the arena's unit: pfn p covers bytes [(p - base) * unit, (p - base + 1) * unit),
// so offsets start at 0. Small requests (up to 32 units) go through the
// per-CPU range caches, one CPU per worker; larger ones through the tree.
//
// Why base = 2^33 / unit and not 1: with every pfn below the domain's
// dma_32bit_pfn (2^32 / unit), each request counts as a 32-bit one, and the
// kernel's max32_alloc_size shortcut then fails any request at least as large
// as one that failed before, until the next free to the tree. That is sound
// for one kind of request but not across kinds: a failed size-aligned small
// request (32 units) would make a later unaligned 40-unit request fail
// although a 40-unit run is free. Placing the arena above 2^32 / unit turns
// the shortcut off. As base is a power of two, size-aligned small blocks are
// also size-aligned as byte offsets.
import { InvalidArgumentError, type AllocFailure } from "../errors.js";
import { IovaDomain, type DomainHandle } from "../domain/iova-domain.js";
import type { DepotPolicy } from "../domain/policy.js";
import { cachedPfnsOfOrder } from "../domain/stats.js";
import { codes } from "../wasm/codes.js";
import "../util/dispose.js";
import type { DisposableView } from "../util/dispose.js";
import { boolArg, countArg, powerOfTwoArg, sizeArg } from "../validate.js";
import { ArenaClosedError, ArenaOverlapError, DoubleFreeError, InvalidFreeError } from "./errors.js";

/** The unit when `SharedArenaOptions.unit` is left out: one cache line, so workers' blocks never share one. */
export const DEFAULT_ARENA_UNIT = 64;
/** Requests of at most this many units use the per-worker caches (size orders 0 to 5, as the kernel's IOVA_RANGE_CACHE_MAX_SIZE of 6). */
export const MAX_CACHED_UNITS = 32;
/** The largest arena `SharedArena.create` accepts, in bytes (2^46). The machine may refuse less. */
export const MAX_ARENA_BYTES = 2 ** 46;
/** The most workers one arena serves (the domain's 1024 CPUs, one kept for the creating thread). */
export const MAX_ARENA_WORKERS = 1023;
/** Cap on the default `maxRanges` (live plus cached ranges the tree can hold). */
export const DEFAULT_MAX_RANGES_CAP = 1 << 22;

// Shared counters: one 64-byte slot per view index (workers, then the
// creating thread), written only by the view that holds the slot.
const SLOT_FIELDS = 8;
const F_ALLOCS = 0;
const F_FREES = 1;
const F_FAILED = 2;
const F_LIVE_BYTES = 3;
const F_LIVE_UNITS = 4;

/** Options of `SharedArena.create`. */
export interface SharedArenaOptions {
  /** Size of the arena in bytes: a positive multiple of `unit`, at most MAX_ARENA_BYTES. */
  bytes: number;
  /**
   * Allocation granularity in bytes: a power of two from 1 to 65536. Every
   * offset is a multiple of it and every request is rounded up to whole
   * units. Default DEFAULT_ARENA_UNIT (64).
   */
  unit?: number;
  /**
   * Worker threads that will attach (`SharedArena.attach(handle, i)` for
   * i in 0..workers-1); each gets its own per-CPU cache. The creating
   * thread has one more of its own. From 1 to MAX_ARENA_WORKERS; default 1.
   */
  workers?: number;
  /** Depot policy of the range caches, or "tree-only" for no caches. Default "adaptive". */
  policy?: DepotPolicy | "tree-only";
  /**
   * Most ranges the allocator tracks at once: live allocations plus freed
   * small ranges parked in caches. When it is reached, alloc() returns null
   * with `lastFailure` "node-slab-full". Default min(units, DEFAULT_MAX_RANGES_CAP),
   * which can never be reached below 4M units.
   */
  maxRanges?: number;
  /**
   * Track every live range in shared bitmaps so that free() throws
   * DoubleFreeError / InvalidFreeError for every bad free it is given, and
   * alloc() throws ArenaOverlapError should the allocator ever hand out live
   * bytes. Costs 4 bytes and 1 bit of memory per unit and O(units) work per
   * call. Default false.
   */
  debug?: boolean;
}

/**
 * Everything a worker needs to open the arena: structured-cloneable, post it
 * with `postMessage` or pass it in `workerData`. Treat it as opaque.
 */
export interface SharedArenaHandle {
  /** The allocator's domain (its WebAssembly.Memory and Module). */
  readonly domain: DomainHandle;
  /** The arena's bytes. */
  readonly data: SharedArrayBuffer;
  /** Attach flags and per-view counters. */
  readonly meta: SharedArrayBuffer;
  /** Debug mode: the first unit of each allocation, its size in units (negative once freed). */
  readonly debugStarts: SharedArrayBuffer | null;
  /** Debug mode: one bit per unit, set while a live allocation holds it. */
  readonly debugLive: SharedArrayBuffer | null;
  readonly bytes: number;
  readonly unit: number;
  readonly workers: number;
}

/** What `SharedArena.stats()` reports. Byte counts are multiples of the unit unless noted. */
export interface ArenaStats {
  /** Arena size in bytes. */
  bytes: number;
  /** Allocation unit in bytes. */
  unit: number;
  /** bytes / unit. */
  units: number;
  /** Worker views the arena was made for. */
  workers: number;
  /** The caches' depot policy. */
  policy: DepotPolicy | "tree-only";
  /** Whether debug tracking is on. */
  debug: boolean;
  /** Successful alloc() calls, all views. */
  allocs: number;
  /** Successful free() calls, all views. */
  frees: number;
  /** alloc() calls that returned null, all views. */
  failedAllocs: number;
  /** allocs - frees. */
  liveAllocations: number;
  /** Sum of the sizes given to alloc() of the live allocations (not rounded). */
  liveBytes: number;
  /** Bytes the live allocations occupy: rounded up to units, small ones to a power of two of units. */
  reservedBytes: number;
  /** Freed small ranges parked in the per-worker caches and depots: not free in the tree, but reused by small allocs. */
  cachedBytes: number;
  /** Bytes the allocator's tree holds (live plus cached), from a walk of its ranges. */
  usedBytes: number;
  /** bytes - usedBytes. After every allocation is freed and trim() ran, this is `bytes`. */
  freeBytes: number;
  /** The largest run of free bytes in the tree: the largest alloc() that can succeed without trim(). */
  largestFreeBytes: number;
  /** Ranges in the tree (live allocations plus cached ranges). */
  ranges: number;
  /** Worker indices that have an open (attached, not closed) view. */
  attachedWorkers: number[];
}

/** A typed-array constructor `SharedArena.array` can build views with. */
export interface TypedArrayConstructorLike<T> {
  new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

interface Parts {
  domain: IovaDomain;
  data: SharedArrayBuffer;
  meta: SharedArrayBuffer;
  debugStarts: SharedArrayBuffer | null;
  debugLive: SharedArrayBuffer | null;
  bytes: number;
  unit: number;
  workers: number;
  workerIndex: number | null;
}

/**
 * Byte ranges of one SharedArrayBuffer, allocated and freed from any
 * worker_thread at once.
 *
 * Make it in one thread with `SharedArena.create`, post `arena.handle` to
 * each worker, and open it there with `SharedArena.attach(handle, i)`, one
 * worker index per thread. Every view allocates from the same space: an
 * offset allocated in one thread may be freed in any other.
 *
 * Placement is the Linux kernel's IOVA allocator: requests of up to
 * MAX_CACHED_UNITS units are rounded up to a power of two of units, placed
 * size-aligned (the offset is a multiple of the rounded size), and recycled through per-worker caches (fast, mostly
 * lock-free between workers); larger ones are placed exactly, top-down, in
 * the shared tree.
 *
 * What free() can and cannot detect without `debug`:
 * - always refused: a non-integer or negative offset, an offset that is not
 *   a multiple of the unit, a range running past the end of the arena, a bad
 *   `bytes`;
 * - small sizes (up to MAX_CACHED_UNITS units): an offset not aligned as
 *   alloc() aligns that size is refused, but anything else is taken on trust.
 *   In particular a DOUBLE FREE OF A SMALL RANGE IS NOT DETECTED: the range
 *   goes into the cache twice and will later be handed out to two callers at
 *   once. A small free with the wrong (but equally aligned) size is not
 *   detected either.
 * - large sizes: the tree is consulted, so an offset that is not the start
 *   of a live allocation of exactly that many units is refused
 *   (InvalidFreeError), including most double frees. A double free racing a
 *   re-allocation of the same range by another thread can still pass.
 *
 * With `debug: true` every free is checked against shared bitmaps of the
 * live ranges, small ones included: DoubleFreeError, InvalidFreeError.
 * Only a double free of a range that another caller has since received at
 * the same offset and size remains indistinguishable from a valid free.
 */
export class SharedArena implements DisposableView {
  /** Arena size in bytes. */
  readonly bytes: number;
  /** Allocation unit in bytes: every offset is a multiple of it. */
  readonly unit: number;
  /** bytes / unit. */
  readonly units: number;
  /** Worker views the arena was made for (indices 0..workers-1). */
  readonly workers: number;
  /** Whether free() checks against the debug bitmaps. */
  readonly debug: boolean;
  /** The arena's bytes, shared by every view. */
  readonly buffer: SharedArrayBuffer;
  /**
   * The allocator underneath, for diagnostics (cacheStats(), check(),
   * ranges()). Allocating or freeing through it directly bypasses the
   * arena's accounting and checks.
   */
  readonly domain: IovaDomain;
  /**
   * The domain pfn of offset 0 (2^33 / unit): offset = (pfn - basePfn) * unit.
   * Only needed to read `domain` diagnostics such as ranges().
   */
  readonly basePfn: number;
  /** This view's worker index, or null for the view `create` returned. */
  readonly workerIndex: number | null;
  /** Why the last alloc() of this view returned null, or null after a success. */
  lastFailure: AllocFailure | null = null;

  private readonly limitPfn: number;
  private readonly cpu: number;
  private readonly slot: number;
  private readonly meta: SharedArrayBuffer;
  private readonly attached: Int32Array;
  private readonly allCounters: Float64Array;
  private readonly counters: Float64Array;
  private readonly starts: Int32Array | null;
  private readonly liveBits: Int32Array | null;
  private closed = false;

  private constructor(p: Parts) {
    this.domain = p.domain;
    this.buffer = p.data;
    this.meta = p.meta;
    this.bytes = p.bytes;
    this.unit = p.unit;
    this.units = p.bytes / p.unit;
    this.basePfn = basePfnOf(p.unit);
    this.limitPfn = this.basePfn + this.units - 1;
    this.workers = p.workers;
    this.workerIndex = p.workerIndex;
    this.cpu = p.workerIndex ?? p.workers;
    this.slot = this.cpu;
    const slots = p.workers + 1;
    this.attached = new Int32Array(p.meta, 0, slots);
    this.allCounters = new Float64Array(p.meta, countersOffset(slots), slots * SLOT_FIELDS);
    this.counters = this.allCounters.subarray(this.slot * SLOT_FIELDS, (this.slot + 1) * SLOT_FIELDS);
    this.starts = p.debugStarts ? new Int32Array(p.debugStarts) : null;
    this.liveBits = p.debugLive ? new Int32Array(p.debugLive) : null;
    this.debug = this.starts !== null;
  }

  /**
   * Makes an arena of `options.bytes` zeroed bytes and returns the creating
   * thread's view of it.
   * @throws InvalidArgumentError naming the option: `bytes` not a positive
   *   multiple of `unit` or above MAX_ARENA_BYTES (or more than the machine
   *   will allocate), `unit` not a power of two from 1 to 65536, `workers`
   *   not from 1 to MAX_ARENA_WORKERS, `policy`, `maxRanges`, `debug`.
   */
  static create(options: SharedArenaOptions): SharedArena {
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", options, "must be an object with at least { bytes }");
    }
    const unit = powerOfTwoArg("unit", options.unit ?? DEFAULT_ARENA_UNIT, 1, 65536);
    const bytes = sizeArg("bytes", options.bytes);
    if (bytes > MAX_ARENA_BYTES) throw new InvalidArgumentError("bytes", bytes, `must be at most ${MAX_ARENA_BYTES} (2^46)`);
    if (bytes % unit !== 0) throw new InvalidArgumentError("bytes", bytes, `must be a multiple of the unit (${unit})`);
    const workers = countArg("workers", options.workers ?? 1, 1, MAX_ARENA_WORKERS);
    const debug = boolArg("debug", options.debug ?? false);
    const units = bytes / unit;
    if (debug && units > 2 ** 31 - 1) {
      throw new InvalidArgumentError("debug", debug, `needs at most 2^31 - 1 units; this arena has ${units}`);
    }
    const maxRanges = options.maxRanges ?? Math.min(units, DEFAULT_MAX_RANGES_CAP);
    const domain = new IovaDomain(unit, basePfnOf(unit), { cpus: workers + 1, policy: options.policy, maxRanges, sharedViews: 0 });
    const data = sharedBuffer("bytes", bytes);
    const slots = workers + 1;
    const meta = new SharedArrayBuffer(countersOffset(slots) + slots * SLOT_FIELDS * 8);
    const arena = new SharedArena({
      domain, data, meta, bytes, unit, workers, workerIndex: null,
      debugStarts: debug ? sharedBuffer("bytes", units * 4) : null,
      debugLive: debug ? sharedBuffer("bytes", Math.ceil(units / 32) * 4) : null,
    });
    Atomics.store(arena.attached, arena.slot, 1);
    return arena;
  }

  /**
   * Opens the arena of `handle` in this thread as worker `workerIndex`. Each
   * index may have one open view at a time; close() it (or, if its thread
   * died, call reclaimWorker(index) from another view) before attaching the
   * index again.
   * @param handle `arena.handle`, as received from the creating thread
   * @param workerIndex from 0 to workers - 1
   * @throws InvalidArgumentError for a handle that is not an arena's, an
   *   index out of range, or an index that already has an open view
   */
  static attach(handle: SharedArenaHandle, workerIndex: number): SharedArena {
    const problem = handleProblem(handle);
    if (problem !== null) {
      throw new InvalidArgumentError("handle", "(arena handle)", `is not a SharedArena handle (pass arena.handle): ${problem}`);
    }
    countArg("workerIndex", workerIndex, 0, handle.workers - 1);
    const attached = new Int32Array(handle.meta, 0, handle.workers + 1);
    if (Atomics.compareExchange(attached, workerIndex, 0, 1) !== 0) {
      throw new InvalidArgumentError("workerIndex", workerIndex,
        "already has an open view: close() it first (or reclaimWorker() it if its thread died)");
    }
    try {
      const domain = IovaDomain.attach(handle.domain, workerIndex);
      return new SharedArena({
        domain, data: handle.data, meta: handle.meta, debugStarts: handle.debugStarts, debugLive: handle.debugLive,
        bytes: handle.bytes, unit: handle.unit, workers: handle.workers, workerIndex,
      });
    } catch (e) {
      Atomics.store(attached, workerIndex, 0);
      throw e;
    }
  }

  /** What a worker needs to attach (see SharedArenaHandle); post it to the worker. */
  get handle(): SharedArenaHandle {
    return {
      domain: this.domain.handle, data: this.buffer, meta: this.meta,
      debugStarts: this.starts ? this.starts.buffer as SharedArrayBuffer : null,
      debugLive: this.liveBits ? this.liveBits.buffer as SharedArrayBuffer : null,
      bytes: this.bytes, unit: this.unit, workers: this.workers,
    };
  }

  /** The depot policy of the arena's caches. */
  get policy(): DepotPolicy | "tree-only" {
    return this.domain.policy;
  }

  /** True once close() was called on this view. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Allocates `bytes` bytes and returns the byte offset of the first, a
   * multiple of `unit`; or null when no free run is large enough (then
   * `lastFailure` says why). Requests of up to MAX_CACHED_UNITS units are
   * rounded up to a power of two of units and come from this view's cache
   * when it has one; a failure there flushes every cache and retries. Larger
   * requests come from the tree; a failure there also flushes the caches and
   * retries once. The bytes are not cleared: they hold what the last owner
   * wrote (zero only the first time).
   * @param bytes a positive integer, at most the arena's size
   * @returns the offset, or null if the arena has no room
   * @throws InvalidArgumentError for a bad `bytes`; ArenaClosedError after close();
   *   ArenaOverlapError (debug mode only) if the allocator handed out live bytes
   */
  alloc(bytes: number): number | null {
    this.live("alloc");
    const n = this.unitsOf(bytes);
    let pfn: number | null;
    let occupied: number;
    if (n <= MAX_CACHED_UNITS) {
      occupied = ceilPow2(n);
      pfn = this.domain.allocFast(n, this.limitPfn, true, this.cpu);
    } else {
      occupied = n;
      pfn = this.domain.alloc(n, this.limitPfn, false);
      if (pfn === null) {
        // Space may be parked in the caches: give it back and try once more.
        this.domain.flushAll();
        pfn = this.domain.alloc(n, this.limitPfn, false);
      }
    }
    if (pfn === null) {
      this.lastFailure = this.domain.lastFailure ?? "no-space";
      this.counters[F_FAILED]++;
      return null;
    }
    this.lastFailure = null;
    const idx = pfn - this.basePfn;
    const offset = idx * this.unit;
    if (this.starts) this.debugMark(offset, bytes, idx, n, occupied);
    const c = this.counters;
    c[F_ALLOCS]++;
    c[F_LIVE_BYTES] += bytes;
    c[F_LIVE_UNITS] += occupied;
    return offset;
  }

  /**
   * Gives back an allocation: `offset` as alloc() returned it and `bytes` as
   * given to that alloc() (any size that rounds to the same units works).
   * Any view may free any allocation. See the class notes for which bad
   * frees are detected; in particular a double free of a small range (up to
   * MAX_CACHED_UNITS units) is NOT detected unless the arena was made with
   * `debug: true`, and corrupts the arena (the range is later handed out twice).
   * @param offset the offset alloc() returned
   * @param bytes the size given to alloc()
   * @throws InvalidArgumentError for an offset that is not a non-negative
   *   integer or a bad `bytes`; InvalidFreeError (a subclass) for a free the
   *   arena can tell is wrong; DoubleFreeError (a subclass of that) for a
   *   detected double free; ArenaClosedError after close()
   */
  free(offset: number, bytes: number): void {
    this.live("free");
    offsetArg(offset);
    const n = this.unitsOf(bytes);
    const unit = this.unit;
    if (offset % unit !== 0) {
      throw new InvalidFreeError(offset, bytes, `is not a multiple of the arena's unit (${unit} bytes), so alloc() never returned it`);
    }
    const small = n <= MAX_CACHED_UNITS;
    const occupied = small ? ceilPow2(n) : n;
    const idx = offset / unit;
    if (idx + occupied > this.units) {
      throw new InvalidFreeError(offset, bytes,
        `plus the ${occupied * unit} bytes an allocation of ${bytes} occupies runs past the end of the arena (${this.bytes} bytes)`);
    }
    const pfn = idx + this.basePfn;
    if (this.starts) {
      this.debugRelease(offset, bytes, idx, n, occupied);
    } else if (small && idx % occupied !== 0) {
      throw new InvalidFreeError(offset, bytes,
        `is not a multiple of ${occupied * unit}, where alloc(${bytes}) aligns its blocks, so alloc() never returned it`);
    }
    if (small) {
      this.domain.freeFast(pfn, n, this.cpu);
    } else {
      const r = this.domain.find(pfn);
      if (r === null) {
        throw new InvalidFreeError(offset, bytes, "is not the start of a live allocation (never allocated, or already freed)");
      }
      if (r.lo !== pfn) {
        throw new InvalidFreeError(offset, bytes, `lies inside the allocation at offset ${(r.lo - this.basePfn) * unit}, not at its start`);
      }
      const len = r.hi - r.lo + 1;
      if (len !== n) {
        throw new InvalidFreeError(offset, bytes,
          `starts an allocation of ${len * unit} bytes (${len} units), but free() was given ${bytes} bytes (${n} units)`);
      }
      if (!this.domain.free(pfn)) throw new DoubleFreeError(offset, bytes);
    }
    const c = this.counters;
    c[F_FREES]++;
    c[F_LIVE_BYTES] -= bytes;
    c[F_LIVE_UNITS] -= occupied;
  }

  /**
   * A Uint8Array over `bytes` bytes of the arena from `offset` (no copy:
   * writes are seen by every thread). Not checked against the allocation.
   * @throws InvalidArgumentError if the range is not inside the arena
   */
  u8(offset: number, bytes: number): Uint8Array {
    this.live("u8");
    this.rangeArg(offset, bytes);
    return new Uint8Array(this.buffer, offset, bytes);
  }

  /**
   * A DataView over `bytes` bytes of the arena from `offset` (no copy).
   * Not checked against the allocation.
   * @throws InvalidArgumentError if the range is not inside the arena
   */
  view(offset: number, bytes: number): DataView {
    this.live("view");
    this.rangeArg(offset, bytes);
    return new DataView(this.buffer, offset, bytes);
  }

  /**
   * A typed array of `length` elements over the arena from `offset`, e.g.
   * `arena.array(Float64Array, off, 16)` (no copy). `offset` must be a
   * multiple of the element size: it is whenever the unit is at least that.
   * Not checked against the allocation.
   * @throws InvalidArgumentError for a misaligned offset or a range not inside the arena
   */
  array<T>(type: TypedArrayConstructorLike<T>, offset: number, length: number): T {
    this.live("array");
    if (typeof type !== "function" || typeof type.BYTES_PER_ELEMENT !== "number") {
      throw new InvalidArgumentError("type", type, "must be a typed-array constructor such as Float64Array");
    }
    const size = type.BYTES_PER_ELEMENT;
    countArg("length", length, 0, Math.floor(this.bytes / size));
    this.rangeArg(offset, length * size);
    if (offset % size !== 0) {
      throw new InvalidArgumentError("offset", offset, `must be a multiple of ${size} (${type.name}.BYTES_PER_ELEMENT)`);
    }
    return new type(this.buffer, offset, length);
  }

  /**
   * Counters of every view and the allocator's own state. Counters are
   * summed from per-view slots written without locks: exact once the other
   * threads are quiet (after they posted a message or exited), approximate
   * while they run. usedBytes/freeBytes/largestFreeBytes walk the tree: O(ranges).
   * @throws ArenaClosedError after close()
   */
  stats(): ArenaStats {
    this.live("stats");
    let allocs = 0, frees = 0, failedAllocs = 0, liveBytes = 0, liveUnits = 0;
    for (let s = 0; s <= this.workers; s++) {
      const c = this.allCounters.subarray(s * SLOT_FIELDS, (s + 1) * SLOT_FIELDS);
      allocs += c[F_ALLOCS];
      frees += c[F_FREES];
      failedAllocs += c[F_FAILED];
      liveBytes += c[F_LIVE_BYTES];
      liveUnits += c[F_LIVE_UNITS];
    }
    let cachedUnits = 0;
    if (this.domain.policy !== "tree-only") {
      const dump = this.domain.statsDump();
      for (let o = 0; o < codes().ORDERS; o++) cachedUnits += cachedPfnsOfOrder(dump, o) * 2 ** o;
    }
    let usedUnits = 0, ranges = 0, largest = 0, next = this.basePfn;
    for (const r of this.domain.iterRanges()) {
      ranges++;
      usedUnits += r.hi - r.lo + 1;
      largest = Math.max(largest, r.lo - next);
      next = r.hi + 1;
    }
    largest = Math.max(largest, this.limitPfn + 1 - next);
    const attachedWorkers: number[] = [];
    for (let i = 0; i < this.workers; i++) if (Atomics.load(this.attached, i) !== 0) attachedWorkers.push(i);
    return {
      bytes: this.bytes, unit: this.unit, units: this.units, workers: this.workers, policy: this.policy, debug: this.debug,
      allocs, frees, failedAllocs, liveAllocations: allocs - frees, liveBytes, reservedBytes: liveUnits * this.unit,
      cachedBytes: cachedUnits * this.unit, usedBytes: usedUnits * this.unit, freeBytes: this.bytes - usedUnits * this.unit,
      largestFreeBytes: largest * this.unit, ranges, attachedWorkers,
    };
  }

  /**
   * Returns every cached range (all workers' caches and the depots) to the
   * tree, so that freeBytes counts them and large allocations can use them.
   * alloc() does this by itself when it would otherwise fail.
   * @throws ArenaClosedError after close()
   */
  trim(): void {
    this.live("trim");
    this.domain.flushAll();
  }

  /**
   * The CPU-dead path for another view: returns worker `workerIndex`'s
   * cached ranges to the tree and frees its index for a new attach(). For a
   * worker thread that exited (or crashed) without close(). Its live
   * allocations stay allocated; any view may still free them.
   * @param workerIndex from 0 to workers - 1, not this view's own
   * @throws InvalidArgumentError for a bad index; ArenaClosedError after close();
   *   LockHolderDeadError (within about 200 ms) if the worker died holding a lock
   */
  reclaimWorker(workerIndex: number): void {
    this.live("reclaimWorker");
    countArg("workerIndex", workerIndex, 0, this.workers - 1);
    if (workerIndex === this.workerIndex) {
      throw new InvalidArgumentError("workerIndex", workerIndex, "is this view's own: call close() instead");
    }
    // Dead first, then the CPU-dead path (CpuPool's order): a lock the worker died
    // holding is then reported as LockHolderDeadError in about 200 ms, not waited on forever.
    this.domain.setCpuAlive(workerIndex, false);
    this.domain.freeCpuCached(workerIndex);
    Atomics.store(this.attached, workerIndex, 0);
  }

  /**
   * Closes this view (the CPU-dead path): the ranges cached for it go back
   * to the tree, and its worker index may be attached again. Allocations
   * made through it stay live until some view frees them; the arena itself
   * lives on for the other views. Every later call on this view, except
   * close() (a no-op), throws ArenaClosedError.
   */
  close(): void {
    if (this.closed) return;
    this.domain.freeCpuCached(this.cpu);
    if (this.workerIndex !== null) this.domain.setCpuAlive(this.cpu, false);
    Atomics.store(this.attached, this.slot, 0);
    this.closed = true;
  }

  /** For `using`: close(). */
  [Symbol.dispose](): void {
    this.close();
  }

  private live(op: string): void {
    if (this.closed) throw new ArenaClosedError(op);
  }

  /** Validates a size in bytes and returns it in units. */
  private unitsOf(bytes: number): number {
    sizeArg("bytes", bytes);
    if (bytes > this.bytes) throw new InvalidArgumentError("bytes", bytes, `must not exceed the arena's size (${this.bytes} bytes)`);
    return Math.ceil(bytes / this.unit);
  }

  private rangeArg(offset: number, bytes: number): void {
    offsetArg(offset);
    countArg("bytes", bytes, 0, this.bytes);
    if (offset + bytes > this.bytes) {
      throw new InvalidArgumentError("offset", offset, `plus ${bytes} bytes runs past the end of the arena (${this.bytes} bytes)`);
    }
  }

  /** Debug: marks a fresh allocation live; throws if any of its units already was. */
  private debugMark(offset: number, bytes: number, idx: number, n: number, occupied: number): void {
    const bad = setBits(this.liveBits!, idx, occupied);
    if (bad >= 0) throw new ArenaOverlapError(offset, bytes, bad * this.unit);
    Atomics.store(this.starts!, idx, n);
  }

  /** Debug: checks a free against the live map and marks the range freed, or throws. */
  private debugRelease(offset: number, bytes: number, idx: number, n: number, occupied: number): void {
    const starts = this.starts!;
    const old = Atomics.compareExchange(starts, idx, n, -n);
    if (old === n) {
      clearBits(this.liveBits!, idx, occupied);
      return;
    }
    const unit = this.unit;
    if (old > 0) {
      throw new InvalidFreeError(offset, bytes,
        `starts a live allocation of ${old * unit} bytes (${old} units), but free() was given ${bytes} bytes (${n} units)`);
    }
    if ((Atomics.load(this.liveBits!, idx >>> 5) & (1 << (idx & 31))) !== 0) {
      throw new InvalidFreeError(offset, bytes, "lies inside a live allocation but is not its start");
    }
    if (old < 0) throw new DoubleFreeError(offset, bytes);
    throw new InvalidFreeError(offset, bytes, "was never returned by alloc()");
  }
}

/** What is wrong with a handle, field by field, or null when it is one `handle` could have made. */
function handleProblem(h: unknown): string | null {
  if (typeof h !== "object" || h === null) return "not an object";
  const x = h as Record<string, unknown>;
  const { workers, unit, bytes, data, meta, domain, debugStarts, debugLive } = x;
  if (!(data instanceof SharedArrayBuffer) || !(meta instanceof SharedArrayBuffer)) return "data and meta must be SharedArrayBuffers";
  if (!(Number.isInteger(workers) && (workers as number) >= 1 && (workers as number) <= MAX_ARENA_WORKERS)) return "a bad workers";
  if (!(Number.isInteger(unit) && (unit as number) >= 1 && (unit as number) <= 65536 && ((unit as number) & ((unit as number) - 1)) === 0)) return "a bad unit";
  if (!(Number.isSafeInteger(bytes) && (bytes as number) > 0 && (bytes as number) % (unit as number) === 0 && bytes === data.byteLength)) {
    return "bytes does not match its data";
  }
  const slots = (workers as number) + 1;
  if (meta.byteLength < countersOffset(slots) + slots * SLOT_FIELDS * 8) return "meta is too small for its workers";
  const units = (bytes as number) / (unit as number);
  const debugOk = (debugStarts === null && debugLive === null)
    || (debugStarts instanceof SharedArrayBuffer && debugLive instanceof SharedArrayBuffer
      && debugStarts.byteLength === units * 4 && debugLive.byteLength === Math.ceil(units / 32) * 4);
  if (!debugOk) return "bad debug bitmaps";
  if (typeof domain !== "object" || domain === null) return "no domain handle";
  const dh = domain as Record<string, unknown>;
  if (dh.cpus !== slots || dh.granule !== unit) return "its domain handle is not this arena's";
  return null;
}

/** The pfn of offset 0: 2^33 / unit, above the 32-bit DMA space (see the file's header). */
function basePfnOf(unit: number): number {
  return 2 ** 33 / unit;
}

function countersOffset(slots: number): number {
  return Math.ceil((slots * 4) / 64) * 64;
}

function offsetArg(v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || Object.is(v, -0)) {
    throw new InvalidArgumentError("offset", v, "must be a non-negative integer below 2^53");
  }
  return v;
}

function ceilPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

function sharedBuffer(name: string, bytes: number): SharedArrayBuffer {
  try {
    return new SharedArrayBuffer(bytes);
  } catch (e) {
    throw new InvalidArgumentError(name, bytes, `could not be allocated as a SharedArrayBuffer (${(e as Error).message})`);
  }
}

/** Sets bits [from, from + n) atomically; returns the first that was already set, or -1. */
function setBits(bits: Int32Array, from: number, n: number): number {
  let bad = -1;
  forWords(from, n, (w, mask) => {
    const old = Atomics.or(bits, w, mask) & mask;
    if (old !== 0 && bad < 0) bad = w * 32 + (31 - Math.clz32(old & -old));
  });
  return bad;
}

function clearBits(bits: Int32Array, from: number, n: number): void {
  forWords(from, n, (w, mask) => Atomics.and(bits, w, ~mask));
}

/** Calls fn(word, mask) for each 32-bit word the bit range [from, from + n) touches. */
function forWords(from: number, n: number, fn: (word: number, mask: number) => void): void {
  let i = from;
  const end = from + n;
  while (i < end) {
    const w = Math.floor(i / 32);
    const lo = i % 32;
    const hi = Math.min(32, lo + (end - i));
    const mask = hi - lo === 32 ? -1 : ((1 << (hi - lo)) - 1) << lo;
    fn(w, mask);
    i += hi - lo;
  }
}
