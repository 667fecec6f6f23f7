// After a worker of a real-clock run died: give back every IOVA the run still
// holds, so a dead worker loses nothing and hands nothing out twice.
//
// Every worker is gone when this runs (the survivors left at a clean point,
// between two domain calls; the dead one wherever it was killed). Each I/O
// slot in shared memory says where its I/O was (shared.ts, S_STATE):
//  - SLOT_LIVE: mapped, every segment written: the host unmaps them all, as
//    the device's completion would have;
//  - SLOT_UNMAPPING: S_UNMAPPED segments are unmapped; the rest are unmapped
//    here except the next one, which the dead worker (S_UNMAPPER, the
//    completion CPU's worker) may have been inside;
//  - SLOT_MAPPING: the dead worker was inside mapIo; its segments are not
//    written, so which ranges it took is known only from the tree.
// Then every flush queue is drained and, when a call was in doubt, every
// cached pfn goes back to the tree (flushAll): whatever the tree still holds
// then is held by no one, and must be the in-doubt call's (at most its
// segments), which is freed. Anything else is a lost range: a problem.
import type { IovaDomain } from '../../domain/iova-domain.js';
import type { DmaPath } from '../../domain/dma.js';
import type { RunPlan } from './plan.js';
import {
  S_NSEG, S_STATE, S_UNMAPPED, S_UNMAPPER, SEG_WORDS, SLOT_FREE, SLOT_HDR, SLOT_LIVE, SLOT_MAPPING, SLOT_UNMAPPING,
} from './shared.js';

export interface Recovery {
  /** Segments the host unmapped for I/Os left in flight. */
  unmapped: number;
  /** Ranges of the dead worker's in-doubt call found held by no one and freed. */
  settled: number;
  problems: string[];
}

/**
 * Unmaps what the run's slots still hold and settles the dead workers'
 * in-doubt call. `dead` holds the plan's worker indexes that died or failed
 * (their last call may be half done); `cpu` is a CPU the host may use for the
 * unmaps (one none of them ran on).
 */
export function recoverSlots(plan: RunPlan, f64: Float64Array, domain: IovaDomain, dma: DmaPath,
  dead: ReadonlySet<number>, cpu: number, nowMs: number): Recovery {
  const problems: string[] = [];
  let unmapped = 0;
  const inDoubtPfns = new Set<number>();
  /** Ranges the in-doubt maps may have taken: at most each one's largest I/O in segments. */
  let mapBudget = 0;
  for (const w of plan.workers) {
    for (let s = 0; s < w.iodepth; s++) {
      const sb = w.slotBase + s * w.slotStride;
      const state = f64[sb + S_STATE]!;
      if (state === SLOT_FREE) continue;
      const nseg = f64[sb + S_NSEG]!;
      let from = 0;
      if (state === SLOT_MAPPING || state === SLOT_UNMAPPING) {
        // The owner maps its slots; the completion CPU's worker unmaps them.
        const by = state === SLOT_MAPPING ? w.index : f64[sb + S_UNMAPPER]!;
        if (!dead.has(by)) {
          problems.push(`worker ${by} left ${w.name}'s slot ${s} ${state === SLOT_MAPPING ? 'mapping' : 'unmapping'} although it neither died nor failed`);
          continue;
        }
        if (state === SLOT_MAPPING) {
          mapBudget += w.maxSegs;
          f64[sb + S_STATE] = SLOT_FREE;
          continue;
        }
        from = f64[sb + S_UNMAPPED]!;
        if (from < nseg) inDoubtPfns.add(f64[sb + SLOT_HDR + SEG_WORDS * from]!);
        from++;
      } else if (state !== SLOT_LIVE) {
        problems.push(`${w.name} (worker ${w.index}) slot ${s} has an unknown state ${state}`);
        continue;
      }
      for (let i = from; i < nseg; i++) {
        const e = sb + SLOT_HDR + SEG_WORDS * i;
        dma.unmapIova(cpu, f64[e]!, f64[e + 1]!, plan.strict, nowMs);
        unmapped++;
      }
      f64[sb + S_STATE] = SLOT_FREE;
    }
  }
  if (!plan.strict) for (let c = 0; c < plan.cpus; c++) dma.drain(c);

  let settled = 0;
  if (mapBudget > 0 || inDoubtPfns.size > 0) {
    domain.flushAll();
    for (const r of domain.ranges()) {
      if (inDoubtPfns.delete(r.lo)) {
        // the in-doubt unmap had not freed it
      } else if (mapBudget > 0) {
        mapBudget--; // taken by the in-doubt map
      } else {
        problems.push(`range [${r.lo}, ${r.hi}] is held by no one after the recovery (lost)`);
        continue;
      }
      domain.free(r.lo);
      settled++;
    }
  }
  return { unmapped, settled, problems };
}
