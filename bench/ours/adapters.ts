// Our allocator behind the peers' interfaces (bench/peers/types.ts), so the
// same operation sequences and checks run against it.
//
// Each way of calling ours (through a LocalCache, or one wasm call per
// operation) is its own class rather than one class with a nullable cache
// field: a field that may hold null (or, with ES2022 class fields, one
// declared bare, which starts as undefined) is of unknown map to V8, so
// every call paid a null test and a map check on it. Fields are `declare`d
// and assigned once in the constructor for the same reason.
import { IovaDomain, LocalCache } from '../../src/index.js';
import type { IdAllocator, RangeAllocator } from '../peers/types.js';

/** Largest size (in units) the per-CPU caches hold; larger goes to the tree. */
const CACHED_UNITS = 32;

/** Ids as size-1 ranges (ids are pfns, from 1), through a LocalCache (a JS-side magazine: one wasm call per 64 ids). */
export class IovaIdAllocator implements IdAllocator {
  declare readonly name: string;
  declare private readonly cache: LocalCache;
  declare private readonly d: IovaDomain;
  constructor(maxId: number) {
    this.name = 'iova-wasm';
    this.d = new IovaDomain(1, 1, { maxRanges: maxId + 16, policy: 'adaptive' });
    this.cache = new LocalCache(this.d, { limitPfn: maxId });
  }
  destroy(): void {
    this.d.destroy();
  }
  alloc(): number | null {
    return this.cache.alloc(1);
  }
  free(id: number): void {
    this.cache.free(id, 1);
  }
}

/** The same ids with one allocFast / freeFast call per id. */
export class IovaDirectIdAllocator implements IdAllocator {
  declare readonly name: string;
  declare private readonly d: IovaDomain;
  declare private readonly maxId: number;
  constructor(maxId: number) {
    this.name = 'iova-wasm-direct';
    this.d = new IovaDomain(1, 1, { maxRanges: maxId + 16, policy: 'adaptive' });
    this.maxId = maxId;
  }
  alloc(): number | null {
    return this.d.allocFast(1, this.maxId, true);
  }
  free(id: number): void {
    this.d.freeFast(id, 1);
  }
  destroy(): void {
    this.d.destroy();
  }
}

/**
 * Byte ranges of an arena in `unit`-byte units: pfn p is bytes
 * [p * unit, (p + 1) * unit), so the arena's first unit is never handed out
 * (the domain starts at pfn 1, as the kernel's do), like the peer's first 40
 * bytes (its header). Sizes up to CACHED_UNITS come from the per-CPU caches,
 * larger from the tree; the subclasses say how a cached size is allocated and
 * freed.
 */
abstract class UnitRanges implements RangeAllocator {
  declare readonly name: string;
  declare protected d: IovaDomain;
  /** The highest pfn: the arena's last unit. */
  declare protected readonly lastPfn: number;
  /** log2(unit), unit - 1 and 1 / unit (exact: unit is a power of two). */
  declare private readonly shift: number;
  declare private readonly mask: number;
  declare private readonly perByte: number;
  constructor(name: string, bytes: number, unit: number) {
    if (!(Number.isInteger(unit) && unit >= 1 && (unit & (unit - 1)) === 0)) throw new RangeError(`unit ${unit} must be a power of two`);
    // Offsets are int32 arithmetic (like the peer's u32 addresses): the arena stays below 2 GiB.
    if (!(Number.isInteger(bytes) && bytes >= unit && bytes < 2 ** 31)) throw new RangeError(`arena of ${bytes} bytes: must be ${unit} to 2^31 - 1`);
    this.name = name;
    this.lastPfn = Math.floor(bytes / unit) - 1;
    this.shift = 31 - Math.clz32(unit);
    this.mask = unit - 1;
    this.perByte = 1 / unit;
    this.d = this.domain();
  }
  protected abstract allocCached(units: number): number | null;
  protected abstract freeCached(pfn: number, units: number): void;
  /** A fresh domain over the arena (and whatever else a subclass keeps in front of it). */
  protected domain(): IovaDomain {
    return new IovaDomain(1, 1, { maxRanges: Math.min(this.lastPfn, 4_000_000) + 16, policy: 'adaptive' });
  }
  // Units are a power of two so that bytes -> units is a shift: `Math.ceil(size / this.unit)`
  // with the unit in a field compiled to an integer division (idiv) per call on Node 20.
  // pfn -> offset is a shift too (pfns below 2^31 / unit here); offset -> pfn a multiply
  // (a division by the field was a vdivsd per free), which keeps a fractional or
  // out-of-arena offset fractional or out of range for the API's own pfn check to refuse.
  alloc(size: number): number | null {
    const u = (size + this.mask) >> this.shift;  // ceil(size / unit); sizes below 2^31
    const pfn = u > CACHED_UNITS ? this.d.alloc(u, this.lastPfn, false) : this.allocCached(u);
    return pfn === null ? null : pfn << this.shift;
  }
  free(offset: number, size: number): void {
    const u = (size + this.mask) >> this.shift;
    const pfn = offset * this.perByte;
    if (u > CACHED_UNITS) this.d.free(pfn);
    else this.freeCached(pfn, u);
  }
  reset(): void {
    this.d.destroy();
    this.d = this.domain();
  }
  destroy(): void {
    this.d.destroy();
  }
}

/** Cached sizes through a LocalCache: most pairs never cross into wasm. */
export class IovaRangeAllocator extends UnitRanges {
  declare private cache: LocalCache;
  constructor(bytes: number, unit = 16) {
    super('iova-wasm', bytes, unit);
  }
  protected override domain(): IovaDomain {
    const d = super.domain();
    this.cache = new LocalCache(d, { limitPfn: this.lastPfn });
    return d;
  }
  protected allocCached(u: number): number | null {
    return this.cache.alloc(u);
  }
  protected freeCached(pfn: number, u: number): void {
    this.cache.free(pfn, u);
  }
}

/** Cached sizes with one allocFast / freeFast call each: every operation crosses into wasm. */
export class IovaDirectRangeAllocator extends UnitRanges {
  constructor(bytes: number, unit = 16) {
    super('iova-wasm-direct', bytes, unit);
  }
  protected allocCached(u: number): number | null {
    return this.d.allocFast(u, this.lastPfn, true);
  }
  protected freeCached(pfn: number, u: number): void {
    this.d.freeFast(pfn, u);
  }
}
