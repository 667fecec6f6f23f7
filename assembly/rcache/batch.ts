// A run of allocFast / freeFast calls made inside wasm for one CPU (the
// batch entry points and the benchmark loop): the CPU's cache lock is taken
// once for up to HOLD_OPS cached operations instead of once per operation.
//
// Why: wasm has only sequentially consistent atomics, so a lock/unlock pair
// is two locked instructions on x86 (cmpxchg, and xchg for the store), where
// the kernel's spin_unlock is a plain release store. A hold spreads that
// cost over HOLD_OPS operations; the placements, the counters and the lock
// order are those of the same calls made one by one (the work under the
// lock is cacheGetLocked / cacheInsertLocked, the bodies of allocFast's and
// freeFast's locked parts).
//
// What others see: the same lock, held longer. A thread that wants it (a
// flush from another thread, adaptive's reclaim, a sharer of the CPU) spins,
// then announces itself in the lock's waiter count and parks (lock.ts); the
// holder reads that count before every operation and, when someone waits,
// steps aside: it unlocks, which hands the lock over to the waiters (lock.ts:
// the giver cannot take a handed-over lock back while a live waiter is
// announced), so a parked waiter holds the lock before the batch's next
// operation. While the waiter only spins, up to HOLD_OPS operations pass
// between gaps instead of one (test/lock-handover.test.ts measures the
// bound). Whatever needs other CPUs'
// cache locks or the tree (a miss, a refused insert and its cpu-flush, a
// free to the tree) runs with the hold dropped, as it runs after the unlock
// of a single call. A worker terminated while it holds the lock leaves it
// held, as inside any critical section: the CPU-dead path reports
// LockHolderDeadError naming it (dead-cpu.ts) when it died inside an
// operation. Between two operations the hold marks its lock word (lock.ts,
// markBoundary: a plain store, set after each operation's last store to the
// cache and cleared before the next one's first): a worker killed there has
// left the cache consistent, and the host's exit handler takes the lock
// over, once the worker's thread has ended (dead-cpu.ts takeOverDeadHolder),
// instead of poisoning the domain. A batch is inside its hold nearly all the
// time but mostly between operations: the back-edge of the batch's own loop
// (one of the interrupt checks where V8's terminate lands) is at a boundary,
// while a back-edge inside an operation (a magazine walk, a lock wait) is
// not, the mark is clear there and a kill landing on it poisons the domain.
// So a kill({now:true}) during fastLoop or a LocalCache refill/spill leaves
// the domain live unless it lands inside an operation (a magazine exchange
// with the depot, a lock wait).

import { Domain, CpuCache, cpuCacheAt, cpuCacheLockAddr } from "../layout";
import { lock, unlock, unlockHandingOver, waiterWaits, markBoundary } from "../lock";
import { selfId } from "../self";
import { orderOf, cachesOrder, cacheGetLocked, cacheInsertLocked, insertRefused, allocFromTree, freeToTree } from "./rcache";

/**
 * Cached operations per hold of a CPU cache lock. 16 already spreads the
 * two locked instructions to an eighth of an instruction per operation
 * (bench/hot-path.ts's figures in the commit that set it); more would only
 * lengthen the wait of a thread still in its spin phase.
 */
// @ts-ignore: decorator
@inline const HOLD_OPS: u32 = 16;

/** The lock word this instance holds for its current batch (0: none), and the operations left in that hold. */
let heldWord: usize = 0;
let heldLeft: u32 = 0;

/**
 * Starts a batch. A hold left by a call that trapped inside it (a dead
 * holder found, an injected fault) is not released: the trap left the lock
 * held, as a terminate() there would have, and the CPU-dead path reports it.
 */
export function beginBatch(): void {
  heldWord = 0;
  heldLeft = 0;
}

/**
 * Ends a batch (and drops the hold before any path that takes other CPUs' or
 * the tree's locks). With a waiter announced it steps aside: the lock is
 * handed over (lock.ts), so this thread's next lock() waits until a waiter
 * has held it.
 */
// @ts-ignore: decorator
@inline export function dropHold(): void {
  if (heldWord != 0) {
    if (waiterWaits(heldWord)) unlockHandingOver(heldWord);
    else unlock(heldWord);
    heldWord = 0;
  }
}

/** c's lock, for one more operation: the current hold if it is c's, has operations left and nobody waits (else the hold steps aside). */
// @ts-ignore: decorator
@inline function holdFor(d: Domain, c: CpuCache): void {
  let w = cpuCacheLockAddr(c);
  if (heldWord == w && heldLeft != 0 && !waiterWaits(w)) {
    heldLeft--;
    markBoundary(w, false);  // inside an operation from here
    return;
  }
  dropHold();
  lock(d, w, selfId);
  heldWord = w;
  heldLeft = HOLD_OPS - 1;
}

/**
 * The CPU cache a batch's operations of this size use on `cpu`, or 0 when
 * the size is not cached (or the domain caches nothing): computed once per
 * size, as a caller's loop would, not once per operation.
 */
// @ts-ignore: decorator
@inline export function batchCache(d: Domain, cpu: u32, size: u64): usize {
  let order = orderOf(size);
  return cachesOrder(d, order) ? changetype<usize>(cpuCacheAt(d, cpu, order)) : 0;
}

/** allocFast (rcache.ts) inside a batch; `cache` is batchCache(d, cpu, size). */
// @ts-ignore: decorator
@inline export function allocFastHeld(d: Domain, cache: usize, size: u64, limit: u64, flush: bool): u64 {
  if (cache != 0) {
    let c = changetype<CpuCache>(cache);
    holdFor(d, c);
    let pfn = cacheGetLocked(d, c, orderOf(size), limit + 1 - size);
    if (pfn != 0) {
      markBoundary(heldWord, true);  // the cache is consistent again; the pfn is the caller's
      return pfn;
    }
  }
  dropHold();
  return allocFromTree(d, size, limit, flush);
}

/** freeFast (rcache.ts) inside a batch; `cache` is batchCache(d, cpu, size). */
// @ts-ignore: decorator
@inline export function freeFastHeld(d: Domain, cache: usize, pfn: u64, size: u64): void {
  if (cache != 0) {
    let c = changetype<CpuCache>(cache);
    holdFor(d, c);
    if (cacheInsertLocked(d, c, orderOf(size), pfn)) {
      markBoundary(heldWord, true);  // the cache is consistent again
      return;
    }
    dropHold();
    insertRefused(d);
  }
  dropHold();
  freeToTree(d, pfn);
}
