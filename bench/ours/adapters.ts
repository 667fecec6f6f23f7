// Our allocator behind the peers' interfaces (bench/peers/types.ts), so the
// same operation sequences and checks run against it.
import { IovaDomain } from '../../src/index.js';
import type { IdAllocator, RangeAllocator } from '../peers/types.js';

/** Largest size (in units) the per-CPU caches hold; larger goes to the tree. */
const CACHED_UNITS = 32;

/** Ids as size-1 ranges through the per-CPU cache (ids are pfns, from 1). */
export class IovaIdAllocator implements IdAllocator {
  readonly name = 'iova-wasm';
  private d: IovaDomain;
  constructor(private readonly maxId: number) {
    this.d = new IovaDomain(1, 1, { maxRanges: maxId + 16, policy: 'adaptive' });
  }
  alloc(): number | null {
    return this.d.allocFast(1, this.maxId, true);
  }
  free(id: number): void {
    this.d.freeFast(id, 1);
  }
}

/** Byte ranges of an arena in `unit`-byte units: small sizes cached per CPU, large from the tree. */
export class IovaRangeAllocator implements RangeAllocator {
  readonly name = 'iova-wasm';
  private d!: IovaDomain;
  private readonly units: number;
  constructor(private readonly bytes: number, private readonly unit = 16) {
    this.units = Math.floor(bytes / unit);
    this.reset();
  }
  alloc(size: number): number | null {
    const u = Math.ceil(size / this.unit);
    const pfn = u <= CACHED_UNITS ? this.d.allocFast(u, this.units, true) : this.d.alloc(u, this.units, false);
    return pfn === null ? null : (pfn - 1) * this.unit;
  }
  free(offset: number, size: number): void {
    const u = Math.ceil(size / this.unit);
    const pfn = offset / this.unit + 1;
    if (u <= CACHED_UNITS) this.d.freeFast(pfn, u);
    else this.d.free(pfn);
  }
  reset(): void {
    if (this.d) this.d.destroy();
    this.d = new IovaDomain(1, 1, { maxRanges: Math.min(this.units, 4_000_000) + 16, policy: 'adaptive' });
  }
}
