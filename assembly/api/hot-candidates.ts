// Issue 15's hot-pair candidates, for bench/hot-path.ts only (measurements, not a locking path:
// nothing else in the core knows these protocols, so they are safe only on a CPU one thread uses
// with no remote flush, which is what the benchmark's loop is). They are reached only through
// IovaDomain.ex (@internal), yet they still refuse what would break the domain: an order-0 loop
// run with another size, a CPU past the domain's, a sticky hold thrown away while its lock is held.
// What (b) would need to be the real path, and why its push is the hard half (its slot store comes
// before its cmpxchg, so a preempted owner's late store can land in a magazine someone else has
// since pushed into or moved on): docs/architecture.md, "One atomic per operation".

import { Domain, cpuCacheAt, domainAt, magAt, magPfnPtr } from "../layout";
import { allocFast as allocFastIn, freeFast as freeFastIn, cachesOrder } from "../rcache/rcache";
import { beginBatch, dropHold, batchCache, allocFastHeld, freeFastHeld } from "../rcache/batch";
import { atomicCmpxchg, atomicLoad } from "../atomics";

/**
 * Candidate (b), the owner's side alone: the loaded magazine's size word is the commit word, and
 * each operation is one cmpxchg on it (pop: read the top pfn, then size n -> n - 1; push: write
 * slot n, then n -> n + 1). No lock is taken or released; a miss or a full magazine falls back to
 * the locked call. Counters as the locked path keeps them. The loop works on the order-0 cache
 * only, so it takes size 1 alone (another size would put ranges of that size in the order-0
 * magazines), on a domain that caches order 0, and a CPU of the domain: anything else traps
 * before touching the domain.
 */
export function fastLoopOneCas(base: usize, cpu: u32, size: f64, limit: f64, rounds: u32): u32 {
  let d = domainAt(base);
  if (size != 1) abort("fastLoopOneCas: size must be 1 (the loop uses the order-0 cache)");
  if (cpu >= d.cpus) abort("fastLoopOneCas: cpu is not below the domain's cpus");
  if (!cachesOrder(d, 0)) abort("fastLoopOneCas: the domain does not cache order 0");
  let s = <u64>size;
  let lim = <u64>limit;
  let fails: u32 = 0;
  let c = cpuCacheAt(d, cpu, 0);
  for (let i: u32 = 0; i < rounds; i++) {
    let pfn: u64 = 0;
    let m = c.loaded;
    if (m != 0) {
      let sizeAddr = changetype<usize>(magAt(d, m));
      let n = atomicLoad<u32>(sizeAddr);
      if (n != 0) {
        let p = atomicLoad<u64>(magPfnPtr(d, m, n - 1));
        if (p <= lim + 1 - s && atomicCmpxchg<u32>(sizeAddr, n, n - 1) == n) { pfn = p; c.hits++; }
      }
    }
    if (pfn == 0) pfn = allocFastIn(d, cpu, s, lim, true);
    if (pfn == 0) { fails++; continue; }
    m = c.loaded;
    let done = false;
    if (m != 0) {
      let sizeAddr = changetype<usize>(magAt(d, m));
      let n = atomicLoad<u32>(sizeAddr);
      if (n != d.magSize) {
        store<u64>(magPfnPtr(d, m, n), pfn);
        if (atomicCmpxchg<u32>(sizeAddr, n, n + 1) == n) { c.inserts++; done = true; }
      }
    }
    if (!done) freeFastIn(d, cpu, pfn, s);
  }
  return fails;
}

/**
 * Candidate (a), one operation per call from JS: the CPU cache lock stays held after the call
 * (batch.ts's hold, which steps aside for an announced waiter) until stickyEnd, which the caller
 * runs at the end of its synchronous burst. `stickyOpen` says a sticky call may hold a lock that
 * no stickyEnd has released yet: set by every sticky call (each may take the hold), cleared by
 * stickyEnd.
 */
let stickyOpen = false;

export function allocFastSticky(base: usize, cpu: u32, size: f64, limit: f64, flush: bool): f64 {
  let d = domainAt(base);
  if (cpu >= d.cpus) abort("sticky call: cpu is not below the domain's cpus");
  let s = <u64>size;
  stickyOpen = true;
  return <f64>allocFastHeld(d, batchCache(d, cpu, s), s, <u64>limit, flush);
}

export function freeFastSticky(base: usize, cpu: u32, pfn: f64, size: f64): void {
  let d = domainAt(base);
  if (cpu >= d.cpus) abort("sticky call: cpu is not below the domain's cpus");
  let s = <u64>size;
  stickyOpen = true;
  freeFastHeld(d, batchCache(d, cpu, s), <u64>pfn, s);
}

/**
 * Starts a burst: 0, or 1 (refused, nothing changed) while an earlier burst's hold is still open.
 * beginBatch forgets the hold without releasing it, so starting over an unfinished burst would
 * leave its lock held for good; a burst whose call trapped stays open too (the trap left the lock
 * held, which the CPU-dead path reports), so this instance refuses from then on.
 */
export function stickyBegin(): u32 {
  if (stickyOpen) return 1;
  beginBatch();
  return 0;
}

export function stickyEnd(): void {
  dropHold();
  stickyOpen = false;
}
