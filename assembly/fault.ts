// Fault points: where the fault suite (test/faults-*.test.ts) parks a worker
// so that its terminate() lands at a known place. Debug build only: in the
// release build `faultPoint` is an empty inline and `armFault` refuses.
//
// Every lock acquisition and every release is an event. A thread armed with
// armFault(flag, n) counts its events; at the n-th it records where it is in
// the three u32 words at `flag` and blocks there until it is terminated:
//   flag[0] FAULT_INSIDE (just took the lock at flag[1]) or FAULT_AFTER
//           (just released it); the host waits for this word to turn non-zero
//   flag[1] the lock word's address
//   flag[2] locks this thread holds at that moment (0: between critical sections)
// A kill at an acquisition lands inside a critical section; a kill after a
// release lands between two steps of one operation, where nothing is locked
// but an operation may be half done. Both are where a real terminate() can
// land; parking there makes the case reproducible from its seed.
//
// Armed with `stop` set, the thread does not park: it traps at the event.
// The call ends right there, as under terminate() (which also unwinds the
// wasm stack where it lands), but the thread lives on, so a test can play
// the dead CPU in one thread, step through every event of a call one by
// one, and settle the books after each (test/faults-sweep.test.ts).

import { DEBUG } from "./debug";
import { atomicNotify, atomicStore, atomicWait32 } from "./atomics";

export const FAULT_INSIDE: u32 = 1;
export const FAULT_AFTER: u32 = 2;

let faultAt: u32 = 0;
let faultEvents: u32 = 0;
let faultFlag: usize = 0;
let faultStop: bool = false;
/** Locks this instance holds (debug build only; the release build does not count). */
let held: u32 = 0;

/**
 * Arms this instance: park (or, with `stop`, trap) at its n-th lock event
 * from now (n >= 1; 0 disarms). Returns 0 in the release build.
 */
export function armFault(flag: usize, n: u32, stop: bool): u32 {
  if (!DEBUG) return 0;
  faultFlag = flag;
  faultStop = stop;
  faultEvents = 0;
  faultAt = n;
  return 1;
}

/** Lock events since armFault (debug build). */
export function faultEventCount(): u32 {
  return faultEvents;
}

/** Called by lock() after taking `word` (inside) and by unlock() after releasing it. */
// @ts-ignore: decorator
@inline export function faultPoint(word: usize, inside: bool): void {
  if (DEBUG) faultEvent(word, inside);
}

function faultEvent(word: usize, inside: bool): void {
  if (inside) held++; else held--;
  if (faultAt == 0) return;
  if (++faultEvents != faultAt) return;
  faultAt = 0;
  store<u32>(faultFlag + 4, <u32>word);
  store<u32>(faultFlag + 8, held);
  atomicStore<u32>(faultFlag, inside ? FAULT_INSIDE : FAULT_AFTER);
  atomicNotify(faultFlag, 1);
  if (faultStop) unreachable();
  // Until terminate(): the bounded wait lets the termination request through.
  while (true) atomicWait32(faultFlag + 12, 0, 10_000_000);
}
