// The kernel's calls on a domain, straight into the wasm core: no argument
// checks, no refusals. A trace records what the kernel did for every call it
// accepts, including calls the public API refuses (a limit below start_pfn,
// a free of a pfn no range holds), so replay must reach the core as the
// kernel's callers reach iova.c. Values are the trace's, already checked to
// be integers in [0, 2^53) by the trace reader.
import type { IovaDomain } from "../domain/iova-domain.js";

export class KernelCalls {
  constructor(private readonly d: IovaDomain) {}

  /** alloc_iova: pfn_lo of the new range, or null. */
  alloc(size: number, limit: number, aligned: boolean): number | null {
    const r = this.d.ex.alloc(this.d.base, size, limit, aligned ? 1 : 0);
    return r < 0 ? null : r;
  }

  /** free_iova: nothing happens if no range holds pfn. */
  free(pfn: number): void {
    this.d.ex.free(this.d.base, pfn);
  }

  reserve(lo: number, hi: number): boolean {
    return this.d.ex.reserve(this.d.base, lo, hi) !== 0;
  }

  /** find_iova: [pfn_lo, pfn_hi] or null. */
  find(pfn: number): [number, number] | null {
    const lo = this.d.ex.find(this.d.base, pfn);
    return lo < 0 ? null : [lo, this.d.ex.foundHiPfn()];
  }

  /** alloc_iova_fast on `cpu`: pfn_lo, or 0 on failure. */
  allocFast(cpu: number, size: number, limit: number, flush: boolean): number {
    return this.d.ex.kernelAllocFast(this.d.base, cpu, size, limit, flush ? 1 : 0);
  }

  /** free_iova_fast on `cpu`. */
  freeFast(cpu: number, pfn: number, size: number): void {
    this.d.ex.freeFast(this.d.base, cpu, pfn, size);
  }

  /** free_cpu_cached_iovas (the CPU-dead notifier). */
  cpuDead(cpu: number): void {
    this.d.ex.freeCpuCached(this.d.base, cpu);
  }

  /** Every CPU's free_cpu_cached_iovas, then free_global_cached_iovas. */
  flushAll(): void {
    this.d.ex.flushAll(this.d.base);
  }

  /** One run of the v6.7+ delayed depot work for a size order. */
  depotWork(order: number): void {
    this.d.ex.depotWork(this.d.base, order);
  }
}
