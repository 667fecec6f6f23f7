// A "run" module for CpuPool (see cpu-worker.ts): lockedCount one
// iteration per call, so that workers interleave as often as possible, and
// count how often another CPU took the lock between two of ours (the
// counter moved by more than our own +1). A non-zero count shows the lock
// really was contended; the exact final counter shows it excluded.
import { LockHolderDeadError } from "../errors.js";
import type { RunContext } from "./cpu-worker.js";

export interface ProbeArgs {
  lockAddr: number;
  counterAddr: number;
  iters: number;
}

export function interleaved(ctx: RunContext, a: ProbeArgs): { cpu: number; iters: number; interleaves: number } {
  const { domain } = ctx;
  const u32 = new Uint32Array(domain.memory.buffer);
  const at = a.counterAddr >>> 2;
  let last = -1;
  let interleaves = 0;
  try {
    for (let i = 0; i < a.iters; i++) {
      domain.ex.lockedCount(domain.base, a.lockAddr, a.counterAddr, 1);
      const v = Atomics.load(u32, at);
      if (last >= 0 && v !== last + 1) interleaves++;
      last = v;
    }
  } catch (e) {
    const holder = domain.ex.deadHolder.value as number;
    if (holder !== 0) throw new LockHolderDeadError(holder - 1);
    throw e;
  }
  return { cpu: ctx.cpu, iters: a.iters, interleaves };
}

/** `iters` single-iteration lockedCountHandingOver calls: the hand-over (assembly/lock.ts) under contention; `interleaves` counts the unlocks that handed over. */
export function handingOver(ctx: RunContext, a: ProbeArgs): { cpu: number; iters: number; interleaves: number } {
  const { domain } = ctx;
  let handed = 0;
  try {
    // One iteration per call, as interleaved(): between calls the worker runs JS, so the others get to park.
    for (let i = 0; i < a.iters; i++) handed += domain.ex.lockedCountHandingOver(domain.base, a.lockAddr, a.counterAddr, 1);
  } catch (e) {
    const holder = domain.ex.deadHolder.value as number;
    if (holder !== 0) throw new LockHolderDeadError(holder - 1);
    throw e;
  }
  return { cpu: ctx.cpu, iters: a.iters, interleaves: handed };
}
