// IdAllocator: single ids from [min, max], the lowest vacant one first, with
// number-allocator's vocabulary (alloc, use, free, firstVacant, clear), as a
// thin layer over one IovaDomain.
//
// The kernel allocates top-down: alloc_iova of one pfn returns the highest
// free pfn at or below the limit. (For size-1 requests under one limit the
// cached node never sits below a hole it skipped: each alloc leaves it on
// the pfn just taken, each free above it moves it up past the freed pfn.)
// So id k is pfn TOP - (k - min): the highest free pfn is the lowest free id.
// The pfns sit above the domain's 32-bit space (granule 1: above 2^32), so
// the max32_alloc_size shortcut never applies. use(k) is reserve_iova of
// that one pfn after find_iova says it is free; free(k) is free_iova, and
// needs no size: every id is its own one-pfn range in the tree.
import { IovaDomain } from "./iova-domain.js";
import { InvalidArgumentError } from "../errors.js";
import { MAX_PFN } from "../validate.js";
import "../util/dispose.js";
import type { DisposableView } from "../util/dispose.js";

/** pfn of id `max`: the first pfn above the 32-bit space of a granule-1 domain. */
const BASE_PFN = 2 ** 32;
/** Most ids an IdAllocator can have in use at once (the domain's node cap). */
export const MAX_LIVE_IDS = 50_000_000;

function idArg(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new InvalidArgumentError(name, v, "must be an integer in the safe range (|n| < 2^53)");
  return v;
}

/**
 * Ids from `min` to `max` (both inclusive, as number-allocator's
 * `new NumberAllocator(min, max)`), handed out lowest first. alloc, use and
 * free are O(log n) in the ids in use; firstVacant is an alloc and a free.
 * Not shared between threads (use IovaDomain's fast API or SharedArena for that).
 */
export class IdAllocator implements DisposableView {
  readonly min: number;
  readonly max: number;
  private readonly top: number;
  private readonly maxLive: number;
  private domain: IovaDomain;

  /**
   * @throws InvalidArgumentError if min or max is not a safe integer,
   *   min > max, or the span max - min exceeds 2^53 - 2^32 - 1
   */
  constructor(min: number, max: number) {
    this.min = idArg("min", min);
    this.max = idArg("max", max);
    if (min > max) throw new InvalidArgumentError("min", min, `must not exceed max (${max})`);
    if (max - min > MAX_PFN - BASE_PFN) throw new InvalidArgumentError("max", max, `must be within ${MAX_PFN - BASE_PFN} of min (${min})`);
    this.top = BASE_PFN + (max - min);
    this.maxLive = Math.min(max - min + 1, MAX_LIVE_IDS);
    this.domain = this.fresh();
  }

  /** The lowest vacant id, now in use; null when every id is in use. */
  alloc(): number | null {
    const pfn = this.domain.alloc(1, this.top);
    return pfn === null ? null : this.idOf(pfn);
  }

  /** Marks `id` in use. False if it already was. @throws InvalidArgumentError for an id outside [min, max] */
  use(id: number): boolean {
    const pfn = this.pfnOf("id", id);
    if (this.domain.find(pfn) !== null) return false;
    this.domain.reserve(pfn, pfn);
    return true;
  }

  /**
   * Makes `id` vacant again. Returns false (and changes nothing) if it was
   * not in use; number-allocator would insert it a second time.
   * @throws InvalidArgumentError for an id outside [min, max]
   */
  free(id: number): boolean {
    return this.domain.free(this.pfnOf("id", id));
  }

  /** The id alloc() would return, without taking it; null when every id is in use. */
  firstVacant(): number | null {
    const pfn = this.domain.alloc(1, this.top);
    if (pfn === null) return null;
    this.domain.free(pfn);
    return this.idOf(pfn);
  }

  /** Whether `id` is in use. @throws InvalidArgumentError for an id outside [min, max] */
  isUsed(id: number): boolean {
    return this.domain.find(this.pfnOf("id", id)) !== null;
  }

  /** Ids in use. */
  get usedCount(): number {
    return this.domain.stats().ranges;
  }

  /** Every id vacant again. */
  clear(): void {
    this.domain.destroy();
    this.domain = this.fresh();
  }

  /** Releases the domain underneath; any later call throws DomainDestroyedError. */
  destroy(): void {
    this.domain.destroy();
  }

  /** destroy() for `using` (a no-op once destroyed). */
  [Symbol.dispose](): void {
    if (!this.domain.isDestroyed) this.destroy();
  }

  private fresh(): IovaDomain {
    return new IovaDomain(1, BASE_PFN, { policy: "tree-only", maxRanges: this.maxLive, sharedViews: 0 });
  }

  private idOf(pfn: number): number {
    return this.min + (this.top - pfn);
  }

  private pfnOf(name: string, id: number): number {
    idArg(name, id);
    if (id < this.min || id > this.max) throw new InvalidArgumentError(name, id, `must be from ${this.min} to ${this.max}`);
    return this.top - (id - this.min);
  }
}
