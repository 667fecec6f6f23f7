// Who holds a lock: the holder id in a lock word, and whether its worker is
// gone. Ids are the lock-holder ids of assembly/self.ts:
//
//   1 .. cpus                   the view that owns CPU id - 1 (attach without shareCpu)
//   cpus + 1                    the thread that created the domain
//   cpus + 1 + k, k >= 1        shared view k (attach with shareCpu), one per view
//
// Views that share a CPU get ids of their own, so a sharer killed inside a
// critical section is told apart from the CPU's other sharers, which are
// still running: only the dead one's locks are reported, and the CPU stays
// up until its last view is gone (as a CPU in the kernel stays online while
// any task runs on it).
//
// The host keeps the view table (src/domain/iova-domain.ts) below the
// domain and gives its address once (setViewTable). Word k of it is shared
// view k's: 0 free, else (claim count << VIEW_CPU_BITS) | (cpu + 1), with
// VIEW_DEAD set once the host marked the view's worker dead.

import { Domain, cpuStateAt, aliveAddr } from "./layout";
import { atomicLoad } from "./atomics";

/** Low bits of a view-table word: the view's CPU + 1 (1024 CPUs fit). Exported: the host builds the words. */
export const VIEW_CPU_BITS: u32 = 11;
/** The bit of a view-table word that says its worker is dead (the word's sign). Exported: the host sets it. */
export const VIEW_DEAD: u32 = 0x80000000;

/** View-table word of shared view k (1..sharedViews), or 0 for no such view. */
function viewWord(d: Domain, k: u32): u32 {
  if (k == 0 || k > d.sharedViews || d.viewTable == 0) return 0;
  return atomicLoad<u32>(<usize>d.viewTable + (<usize>k << 2));
}

/** Is the holder `holder` (an id above) gone? The creating thread never is: it is the host itself. */
export function holderDead(d: Domain, holder: u32): bool {
  if (holder == 0) return false;
  if (holder <= d.cpus) return atomicLoad<u32>(aliveAddr(cpuStateAt(d, holder - 1))) == 0;
  let k = holder - d.cpus - 1;
  if (k == 0 || k > d.sharedViews) return false;
  let w = viewWord(d, k);
  return w == 0 || (w & VIEW_DEAD) != 0;
}

/**
 * The CPU (+ 1) a holder ran on, as the poison word and LockHolderDeadError
 * name it: a sharer's is in its view-table word (the host frees the word
 * only after its dead-holder check). The id itself when that is unknown.
 */
export function holderCpuId(d: Domain, holder: u32): u32 {
  if (holder <= d.cpus + 1) return holder;
  let w = viewWord(d, holder - d.cpus - 1);
  let cpu1 = w & ((1 << VIEW_CPU_BITS) - 1);
  return cpu1 != 0 ? cpu1 : holder;
}
