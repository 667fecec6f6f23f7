// Our allocator behind the peers' interfaces (bench/peers/types.ts), so the
// same operation sequences and checks run against it.
import { IovaDomain, LocalCache } from '../../src/index.js';
import type { IdAllocator, RangeAllocator } from '../peers/types.js';

/** Largest size (in units) the per-CPU caches hold; larger goes to the tree. */
const CACHED_UNITS = 32;

/**
 * Ids as size-1 ranges (ids are pfns, from 1). `local`: through a LocalCache
 * (a JS-side magazine: one wasm call per 64 ids); otherwise one allocFast /
 * freeFast call per id.
 */
export class IovaIdAllocator implements IdAllocator {
  readonly name: string;
  private d: IovaDomain;
  private cache: LocalCache | null;
  constructor(private readonly maxId: number, local = true) {
    this.name = local ? 'iova-wasm' : 'iova-wasm-direct';
    this.d = new IovaDomain(1, 1, { maxRanges: maxId + 16, policy: 'adaptive' });
    this.cache = local ? new LocalCache(this.d, { limitPfn: maxId }) : null;
  }
  alloc(): number | null {
    return this.cache !== null ? this.cache.alloc(1) : this.d.allocFast(1, this.maxId, true);
  }
  free(id: number): void {
    if (this.cache !== null) this.cache.free(id, 1);
    else this.d.freeFast(id, 1);
  }
}

/** Byte ranges of an arena in `unit`-byte units: small sizes cached per CPU, large from the tree. */
export class IovaRangeAllocator implements RangeAllocator {
  readonly name: string;
  private d!: IovaDomain;
  private cache: LocalCache | null = null;
  private readonly units: number;
  /** log2(unit) and unit - 1. */
  private readonly shift: number;
  private readonly mask: number;
  constructor(private readonly bytes: number, private readonly unit = 16, private readonly local = true) {
    if (!(Number.isInteger(unit) && unit >= 1 && (unit & (unit - 1)) === 0)) throw new RangeError(`unit ${unit} must be a power of two`);
    this.name = local ? 'iova-wasm' : 'iova-wasm-direct';
    this.units = Math.floor(bytes / unit);
    this.shift = 31 - Math.clz32(unit);
    this.mask = unit - 1;
    this.reset();
  }
  // Units are a power of two so that bytes -> units is a shift: `Math.ceil(size / this.unit)`
  // with the unit in a field compiled to an integer division (idiv) per call on Node 20.
  // `!== null` rather than a truthiness test of the cache field, which compiled to a generic
  // ToBoolean (false, "", undetectable, number and bigint checks) on every call.
  alloc(size: number): number | null {
    const u = (size + this.mask) >> this.shift;  // ceil(size / unit); sizes below 2^31
    let pfn: number | null;
    if (u > CACHED_UNITS) pfn = this.d.alloc(u, this.units, false);
    else pfn = this.cache !== null ? this.cache.alloc(u) : this.d.allocFast(u, this.units, true);
    return pfn === null ? null : (pfn - 1) * this.unit;
  }
  free(offset: number, size: number): void {
    const u = (size + this.mask) >> this.shift;
    const pfn = offset / this.unit + 1;
    if (u > CACHED_UNITS) this.d.free(pfn);
    else if (this.cache !== null) this.cache.free(pfn, u);
    else this.d.freeFast(pfn, u);
  }
  reset(): void {
    if (this.d) this.d.destroy();
    this.d = new IovaDomain(1, 1, { maxRanges: Math.min(this.units, 4_000_000) + 16, policy: 'adaptive' });
    this.cache = this.local ? new LocalCache(this.d, { limitPfn: this.units }) : null;
  }
}
