// Spinlocks over shared memory: spin briefly, then park with wait/notify.
//
// ╒═══ Lock (two u32 words, adjacent: layout.ts's accessors check it) ═══╕
// │ word: 0 free, else holder's CPU id + 1 │ waiters: parked count  │
// └────────────────────────────────────────────────────────────────┘
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
/** Parks before the holder's liveness is checked (~1 s). */
// @ts-ignore: decorator
@inline const PARKS_BEFORE_CHECK: i32 = 500;

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

function lockContended(d: Domain, word: usize, who: u32): void {
  if (!THREADS) unreachable();  // one thread, and it holds the lock already
  for (let i = 0; i < SPINS; i++) {
    if (atomicLoad<u32>(word) == 0 && atomicCmpxchg<u32>(word, 0, who) == 0) return;
  }
  lockSlow(d, word, who);
}

/** Does this instance hold the lock at `word`? For debug-build preconditions ("the caller holds ..."). */
// @ts-ignore: decorator
@inline export function holds(word: usize): bool {
  return atomicLoad<u32>(word) == selfId;
}

// @ts-ignore: decorator
@inline export function unlock(word: usize): void {
  if (DEBUG) assert(holds(word), "unlock: the caller holds the lock");
  atomicStore<u32>(word, 0);
  if (THREADS && atomicLoad<u32>(word + LOCK_WAITERS) != 0) atomicNotify(word, 1);
  faultPoint(word, false);  // debug build only (fault.ts)
}

/**
 * Parks since the last liveness check. A global, not a local: Node 20's
 * baseline wasm compiler (V8 11.3 Liftoff) loses updates to a local made in
 * a loop that contains memory.atomic.wait32 (a local `parks` stayed at 0 or
 * 1, so a dead holder was never reported and waiters hung forever).
 * Globals are not affected. Per instance, so per thread: not shared.
 */
let parks: i32 = 0;

function lockSlow(d: Domain, word: usize, who: u32): void {
  atomicAdd<u32>(word + LOCK_WAITERS, 1);
  parks = 0;
  while (true) {
    let seen = atomicCmpxchg<u32>(word, 0, who);
    if (seen == 0) break;
    atomicWait32(word, seen, PARK_NS);
    // A poisoned domain (a CPU died holding a lock and the CPU-dead path or
    // another waiter said so) fails every waiter at its next wake-up.
    let poisonedBy = atomicLoad<u32>(poisonedAddr(d));
    if (poisonedBy != 0) {
      atomicSub<u32>(word + LOCK_WAITERS, 1);
      failOnDeadHolder(d, word, poisonedBy);
    }
    if (++parks >= PARKS_BEFORE_CHECK) {
      parks = 0;
      let holder = atomicLoad<u32>(word);
      if (holderDead(d, holder)) {  // its CPU marked dead, or (a sharer) its view
        atomicSub<u32>(word + LOCK_WAITERS, 1);
        failOnDeadHolder(d, word, holderCpuId(d, holder));
      }
    }
  }
  atomicSub<u32>(word + LOCK_WAITERS, 1);
}
