// Spinlocks over shared memory: spin briefly, then park with wait/notify,
// with hand-over to parked waiters.
//
// ╒═══ Lock (two u32 words, adjacent: layout.ts's accessors check it) ═══╕
// │ word: 0 free, holder's id, or HANDOFF | giver's id │ waiters     │
// └────────────────────────────────────────────────────────────────┘
// waiters: low 16 bits (WAITER_COUNT) count the threads parked or about to
// park; the high 16 bits are a generation a waiter bumps when it announces
// itself and each time it wakes and finds the lock still taken (so that a holder tells a live waiter
// from a count left raised by a waiter killed while parked: see "stale").
//
// With 2 cores and more workers than cores a holder can be preempted; pure
// spinning would then burn the waiters' whole time slices, so after SPINS
// failed tries a waiter parks on the word. The unlocker notifies only when
// someone announced themselves in `waiters` (no syscall on the fast path).
//
// Why this is race-free: a parker increments `waiters` *before* its last
// cmpxchg; the unlocker stores 0 *before* reading `waiters` (all seq-cst).
// Either the parker's cmpxchg sees 0 and takes the lock, or the unlocker
// sees waiters > 0 and notifies. wait32 returns at once if the word no
// longer holds the value seen, so a release between the two is never lost.
// (A cmpxchg-then-wait loop with no spin phase was seen to miscount on
// Node 20; the spin-then-park shape here was correct on 20 and 24.)
//
// Hand-over (the bound on a parked waiter's wait behind a holder that
// keeps locking): a holder that steps aside for an announced waiter
// (unlockHandingOver: batch.ts, at an operation boundary) turns the free word
// into HANDOFF | its own id. Any thread but the giver may take such a word;
// the giver may not, so it cannot win the lock back before the woken waiter
// runs: the waiter holds the lock before the holder's next operation,
// instead of whenever its cmpxchg happens to land in the holder's gap
// between unlock and lock. The giver takes its own hand-over back only when
// nobody else is announced, or after HANDOFF_PARKS whole parks with nobody
// taking it: the count may be stale, left by a waiter killed while parked.
// Then it records the waiters word as stale and hands over no more while
// that word is unchanged; a live waiter's next announcement or wake-up bumps
// the generation, which ends the record. So a dead waiter costs a thread
// HANDOFF_PARKS parks once per change of the waiters word, never a hang, and
// mutual exclusion never depends on the count. In throughput: while such a
// count stays raised, every change of the waiters word (each live waiter's
// announcement, wake-up or leaving) costs a thread that steps aside
// (batch.ts, lockedCountHandingOver) one HANDOFF_TAKE_BACK_MS (20 ms) wait
// in which it does no work (any other thread may take the word); plain unlock (no
// hand-over) is not slowed at all.
//
// In the single-threaded build (no THREADS, atomics.ts) the same lock is a
// plain load and store: nobody else can hold it, nobody waits, and a lock
// found held could never be released, so that traps instead of spinning.

import { Domain, LOCK_WAITERS, poisonedAddr } from "./layout";
import { holderDead, holderCpuId } from "./holder";
import { faultPoint } from "./fault";
import { selfId } from "./self";
import { DEBUG } from "./debug";
import { THREADS, atomicAdd, atomicCmpxchg, atomicLoad, atomicNotify, atomicStore, atomicSub, atomicWait32 } from "./atomics";

// @ts-ignore: decorator
@inline const SPINS: i32 = 128;
/** Each park lasts at most this long, so a dead holder is noticed. */
// @ts-ignore: decorator
@inline const PARK_NS: i64 = 2_000_000;
/**
 * Parks a giver waits on its own hand-over, nobody taking it, before it takes
 * it back and records the count as stale (~20 ms). A choice, not a measured
 * scheduling bound: test/lock-handover.test.ts prints how many of its probes
 * (a woken waiter's whole wait) took longer than this on the machine it runs
 * on, and does not hold those to the hand-over's bound. It is what a count
 * left by a dead waiter costs a thread, once per change of the waiters word.
 */
// @ts-ignore: decorator
@inline const HANDOFF_PARKS: i32 = 10;
/** HANDOFF_PARKS x PARK_NS in ms: how long a giver waits before it takes its hand-over back. Exported for the tests. */
export const HANDOFF_TAKE_BACK_MS: i32 = HANDOFF_PARKS * <i32>(PARK_NS / 1_000_000);
/**
 * Parks before the holder's liveness is checked (~200 ms). The check is one
 * load (the holder's alive word or view word), so checking often costs
 * nothing; it bounds how long a waiter behind a holder marked dead (pool.kill
 * with now, a pool without the CPU-dead path, a worker terminated in the
 * IOTLB wait with its ring lock held) waits before LockHolderDeadError.
 * Was 500 (~1 s): test/hostile-fq-lock-death.test.ts measured 988-1038 ms.
 */
// @ts-ignore: decorator
@inline const PARKS_BEFORE_CHECK: i32 = 100;

/** A lock word its holder handed over: HANDOFF | the giver's id (ids are far below 2^31). */
// @ts-ignore: decorator
@inline export const HANDOFF: u32 = 0x80000000;
/**
 * The boundary mark: set in a lock word (HOLDER | BOUNDARY) by a holder that
 * keeps the lock across operations (batch.ts) while it is between two of
 * them, so the state under the lock is consistent; cleared (the word back to
 * the plain holder id) before its next operation touches that state. Plain
 * stores by the holder, never an atomic RMW (see "Boundary mark" in
 * docs/architecture.md for why that is safe and what it buys): a worker
 * terminated with its lock word so marked is taken over by the host's exit
 * handler, once its thread has ended (dead-cpu.ts takeOverDeadHolder),
 * instead of poisoning the domain. Bit 30: ids are far below it, HANDOFF is bit 31.
 */
// @ts-ignore: decorator
@inline export const BOUNDARY: u32 = 0x40000000;
/** The holder id in a lock word, without the boundary mark. */
// @ts-ignore: decorator
@inline export function holderOf(v: u32): u32 {
  return v & ~BOUNDARY;
}
/**
 * Marks the lock at `word`, which this instance holds, as between two
 * operations (`at` true) or inside one. A plain store: only the holder
 * writes a held word (waiters only read it until it is 0 or handed over), a
 * terminate() lands only at V8's interrupt checks, never between two stores
 * of straight-line code, and whoever acts on the mark of a dead holder (the
 * exit handler's take-over, after the worker's exit event) sees every store
 * the worker made. Nobody may act on it before: a holder marked dead may
 * still run, and its next clear does not re-read the word.
 */
// @ts-ignore: decorator
@inline export function markBoundary(word: usize, at: bool): void {
  store<u32>(word, at ? selfId | BOUNDARY : selfId);
}

/** The waiters word's count of announced waiters; the bits above are its generation. */
// @ts-ignore: decorator
@inline export const WAITER_COUNT: u32 = 0xffff;
// @ts-ignore: decorator
@inline const WAITER_GEN: u32 = 0x10000;

/** Set when lock() gives up on a dead holder: the holder id (CPU + 1). */
export let deadHolder: u32 = 0;

/** The host reads deadHolder once per failure, then clears it. */
export function clearDeadHolder(): void {
  deadHolder = 0;
  deadLockAddr = 0;
}

/** Address of the lock word that had a dead holder. */
export let deadLockAddr: usize = 0;

/**
 * Gives up on the lock at `word`, whose holder `holder` (CPU + 1) is dead:
 * poisons the domain (first reporter wins) and traps; the host turns the
 * trap into LockHolderDeadError naming the holder's CPU. The caller may
 * itself hold other locks: the poison makes whoever waits on those fail
 * too instead of hanging, and the host refuses every later call.
 */
export function failOnDeadHolder(d: Domain, word: usize, holder: u32): void {
  atomicCmpxchg<u32>(poisonedAddr(d), 0, holder);
  deadHolder = holder;
  deadLockAddr = word;
  unreachable();
}

/** Takes the lock at `word` for CPU id `who - 1`. Traps if its holder's worker is gone. */
// @ts-ignore: decorator
@inline export function lock(d: Domain, word: usize, who: u32): void {
  // The uncontended case is one cmpxchg, inlined into every caller.
  if (atomicCmpxchg<u32>(word, 0, who) != 0) lockContended(d, word, who);
  faultPoint(word, true);  // debug build only (fault.ts)
}

/** May `who` take a lock word holding `v`: free, or handed over by someone else? */
// @ts-ignore: decorator
@inline function takeable(v: u32, who: u32): bool {
  return v == 0 || ((v & HANDOFF) != 0 && v != (HANDOFF | who));
}

function lockContended(d: Domain, word: usize, who: u32): void {
  if (!THREADS) unreachable();  // one thread, and it holds the lock already
  for (let i = 0; i < SPINS; i++) {
    let v = atomicLoad<u32>(word);
    if (takeable(v, who) && atomicCmpxchg<u32>(word, v, who) == v) return;
    // Its own hand-over, and nobody announced to take it: take it back.
    if (v == (HANDOFF | who) && (atomicLoad<u32>(word + LOCK_WAITERS) & WAITER_COUNT) == 0
      && atomicCmpxchg<u32>(word, v, who) == v) return;
  }
  lockSlow(d, word, who);
}

/** Does this instance hold the lock at `word`? For debug-build preconditions ("the caller holds ..."). */
// @ts-ignore: decorator
@inline export function holds(word: usize): bool {
  return holderOf(atomicLoad<u32>(word)) == selfId;
}

/**
 * The waiters word this instance found stale (a hand-over nobody took in a
 * whole park) and the lock it belongs to: it hands over no more while that
 * word reads the same. Per instance, as `parks` below.
 */
let staleWord: usize = 0;
let staleWaiters: u32 = 0;

/** Does someone wait for the lock at `word` that a hand-over would serve (announced, and not a count found stale)? */
// @ts-ignore: decorator
@inline export function waiterWaits(word: usize): bool {
  let w = atomicLoad<u32>(word + LOCK_WAITERS);
  return (w & WAITER_COUNT) != 0 && !(word == staleWord && w == staleWaiters);
}

// @ts-ignore: decorator
@inline export function unlock(word: usize): void {
  if (DEBUG) assert(holds(word), "unlock: the caller holds the lock");
  atomicStore<u32>(word, 0);
  if (THREADS && (atomicLoad<u32>(word + LOCK_WAITERS) & WAITER_COUNT) != 0) atomicNotify(word, 1);
  faultPoint(word, false);  // debug build only (fault.ts)
}

/**
 * unlock for a holder that steps aside for a waiter it saw (waiterWaits) and
 * means to lock again at once (batch.ts): the free word is handed over to
 * the announced waiters, so this thread cannot take it back before one of
 * them has held it. Plain unlock stays unfair: handing over at every unlock
 * under contention would make each critical section wait for a parked
 * thread's wake-up (8 workers on 2 cores counting under one lock: minutes
 * instead of seconds).
 */
export function unlockHandingOver(word: usize): void {
  if (DEBUG) assert(holds(word), "unlockHandingOver: the caller holds the lock");
  atomicStore<u32>(word, 0);
  if (waiterWaits(word) && atomicCmpxchg<u32>(word, 0, HANDOFF | selfId) == 0) {
    // The waiter counted may have taken the free word and left meanwhile: undo a hand-over nobody is there to take.
    if ((atomicLoad<u32>(word + LOCK_WAITERS) & WAITER_COUNT) == 0) atomicCmpxchg<u32>(word, HANDOFF | selfId, 0);
  }
  if ((atomicLoad<u32>(word + LOCK_WAITERS) & WAITER_COUNT) != 0) atomicNotify(word, 1);
  faultPoint(word, false);  // debug build only (fault.ts)
}

/**
 * Parks since the last liveness check, and the loop's other state. Globals,
 * not locals: Node 20's baseline wasm compiler (V8 11.3 Liftoff) loses
 * updates to a local made in a loop that contains memory.atomic.wait32 (a
 * local `parks` stayed at 0 or 1, so a dead holder was never reported and
 * waiters hung forever). Globals are not affected. Per instance, so per
 * thread: not shared.
 */
let parks: i32 = 0;
let ownParks: i32 = 0;
let seenWord: u32 = 0;
let parkResult: i32 = 0;
/** Liveness checks that found a dead holder whose lock word is boundary-marked (see parkUntilTaken). */
let boundaryChecks: i32 = 0;

/**
 * Liveness checks (~200 ms each: ~10 s in all) a waiter keeps parking behind a dead holder
 * that was between two operations (BOUNDARY) before it gives up: a holder
 * marked dead (kill({ now: true }) marks first, then terminates) may still
 * run until its thread ends, so a waiter never takes such a lock itself.
 * CpuPool's exit handler takes it over and wakes the waiter, usually within
 * milliseconds (dead-cpu.ts takeOverDeadHolder): endView for a sharer's
 * view, at every sharer's exit whatever cpuDeadPath says; takeOverDeadCpu
 * for the CPU's own id, with the CPU-dead path only (not in a pool started
 * with cpuDeadPath false). Where no take-over comes (that, a domain used
 * without CpuPool, or the host thread itself blocked in this wait, which
 * cannot run the exit event), the domain is poisoned as for any dead
 * holder, only later.
 */
// @ts-ignore: decorator
@inline const BOUNDARY_CHECKS: i32 = 50;

function lockSlow(d: Domain, word: usize, who: u32): void {
  announce(word);
  parkUntilTaken(d, word, who);
  atomicSub<u32>(word + LOCK_WAITERS, 1);
}

/**
 * Counts this thread among the lock's waiters and bumps the generation, so
 * that every announcement makes a waiters word never seen before: a holder
 * that recorded a stale word (a dead waiter's count) sees this waiter.
 */
// @ts-ignore: decorator
@inline export function announce(word: usize): void {
  atomicAdd<u32>(word + LOCK_WAITERS, 1 + WAITER_GEN);
}

/**
 * lockSlow's loop, for a caller already announced in the waiters word:
 * returns holding the lock. Exported for the hand-over's bound test
 * (api/rcache.ts's lockWaitOps), which announces itself first.
 */
export function parkUntilTaken(d: Domain, word: usize, who: u32): void {
  parks = 0;
  ownParks = 0;
  boundaryChecks = 0;
  while (true) {
    seenWord = atomicLoad<u32>(word);
    if (takeable(seenWord, who)) {
      if (atomicCmpxchg<u32>(word, seenWord, who) == seenWord) break;
      continue;
    }
    // Its own hand-over with nobody else announced (the count is ours alone): take it back.
    if (seenWord == (HANDOFF | who) && (atomicLoad<u32>(word + LOCK_WAITERS) & WAITER_COUNT) <= 1) {
      if (atomicCmpxchg<u32>(word, seenWord, who) == seenWord) break;
      continue;
    }
    parkResult = atomicWait32(word, seenWord, PARK_NS);
    if (seenWord == (HANDOFF | who)) {
      // HANDOFF_PARKS whole parks and nobody took our hand-over: the count is stale (a waiter killed while
      // parked). Take it back.
      if (parkResult == 2 && ++ownParks >= HANDOFF_PARKS && atomicCmpxchg<u32>(word, seenWord, who) == seenWord) {
        staleWord = word;
        staleWaiters = atomicLoad<u32>(word + LOCK_WAITERS) - 1;  // as it will read once we leave
        break;
      }
    } else if (parkResult != 1 && !takeable(atomicLoad<u32>(word), who)) {
      // Woken (or timed out) and the lock is still taken: bump the generation, so that a holder that
      // found this count stale sees a live waiter again.
      atomicAdd<u32>(word + LOCK_WAITERS, WAITER_GEN);
    }
    // A poisoned domain (a CPU died holding a lock and the CPU-dead path or
    // another waiter said so) fails every waiter at its next wake-up.
    let poisonedBy = atomicLoad<u32>(poisonedAddr(d));
    if (poisonedBy != 0) {
      atomicSub<u32>(word + LOCK_WAITERS, 1);
      failOnDeadHolder(d, word, poisonedBy);
    }
    if (++parks >= PARKS_BEFORE_CHECK) {
      parks = 0;
      let v = atomicLoad<u32>(word);
      let holder = holderOf(v);
      if (holderDead(d, holder)) {  // its CPU marked dead, or (a sharer) its view
        // Between two operations: the exit handler takes the lock over (dead-cpu.ts); wait for it, boundedly.
        if ((v & BOUNDARY) != 0 && (v & HANDOFF) == 0 && ++boundaryChecks < BOUNDARY_CHECKS) continue;
        atomicSub<u32>(word + LOCK_WAITERS, 1);
        failOnDeadHolder(d, word, holderCpuId(d, holder));
      }
    }
  }
}
