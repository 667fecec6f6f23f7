// The fault suite's host side: after a worker was terminated, settle where
// every range is, from the workers' journals (fault-driver.ts), the
// magazines and the tree. Exact: every range in the tree is live in exactly
// one journal, cached in exactly one magazine, or one of the ranges of the
// call the dead worker was inside (which may or may not have completed);
// every live range is in the tree with its extent. Anything else (a range
// lost, one handed out twice, a pending range that does not fit the call)
// is reported as a problem.
import type { IovaDomain } from "../domain/iova-domain.js";
import { cachedPfns } from "./audit.js";
import { Journal, PENDING_ALLOC, PENDING_FREE, PENDING_NONE } from "./fault-driver.js";
import { extentOf } from "./workload.js";

export interface Settlement {
  /** Every live range, [pfn, size, ...]: the journals' and the dead worker's settled pending ones. */
  live: number[];
  /** The dead worker's pending ranges found allocated in the tree (its call had handed them out, or not yet taken them back). */
  settled: number[];
  problems: string[];
}

/** Turns a journal entry (a, b) into (pfn, size); identity for a domain, the arena's mapping for an arena. */
export type EntryMap = (a: number, b: number) => [number, number];

const identity: EntryMap = (a, b) => [a, b];

/** Journal entries of a SharedArena (offset + 1, bytes) as domain (pfn, size in units). */
export function arenaEntries(unit: number, basePfn: number): EntryMap {
  return (o1, bytes) => [o1 === 0 ? 0 : (o1 - 1) / unit + basePfn, Math.ceil(bytes / unit)];
}

/**
 * Settles the books of a quiescent domain. `journals[i].dead` marks a
 * worker that was terminated (several may be, killed at once): only their
 * pending calls may be in doubt; every other worker must have ended
 * between calls.
 */
export function settleBooks(d: IovaDomain, journals: { journal: Journal; dead: boolean }[], map: EntryMap = identity): Settlement {
  const problems: string[] = [];
  const want = new Map<number, { hi: number; what: string }>();
  const add = (lo: number, hi: number, what: string) => {
    const prev = want.get(lo);
    if (prev) problems.push(`pfn ${lo} is in two places: ${prev.what} and ${what}`);
    else want.set(lo, { hi, what });
  };
  const live: number[] = [];
  /** The dead workers' pending entries: (pfn, size), and whether the call was an alloc (its pfn unknown). */
  const doubt: { alloc: boolean; pfn: number; size: number }[] = [];
  journals.forEach(({ journal, dead }, w) => {
    const l = journal.live();
    for (let i = 0; i < l.length; i += 2) {
      const [pfn, size] = map(l[i], l[i + 1]);
      live.push(pfn, size);
      add(pfn, pfn + extentOf(size) - 1, `worker ${w}'s live range (size ${size})`);
    }
    const p = journal.pendingCall();
    if (p.kind === PENDING_NONE) return;
    if (!dead) {
      problems.push(`worker ${w} is alive but its journal has a call pending`);
      return;
    }
    if (p.kind !== PENDING_FREE && p.kind !== PENDING_ALLOC) {
      problems.push(`worker ${w}: unknown pending kind ${p.kind}`);
      return;
    }
    for (let i = 0; i < p.entries.length; i += 2) {
      const alloc = p.kind === PENDING_ALLOC;
      const [pfn, size] = alloc ? [0, map(1, p.entries[i + 1])[1]] : map(p.entries[i], p.entries[i + 1]);
      doubt.push({ alloc, pfn, size });
    }
  });
  const { pfns } = cachedPfns(d);
  for (const c of pfns) add(c.pfn, c.pfn + (1 << c.order) - 1, c.where);

  const settled: number[] = [];
  const used = new Set<number>();
  for (const r of d.ranges()) {
    const w = want.get(r.lo);
    if (w) {
      if (w.hi !== r.hi) problems.push(`${w.what} at ${r.lo} should end at ${w.hi}, the tree says ${r.hi}`);
      want.delete(r.lo);
      continue;
    }
    // Not live, not cached: it must be one of a dead worker's pending ranges (a free names its pfn, first).
    const extent = r.hi - r.lo + 1;
    const fits = (e: (typeof doubt)[number], i: number) => !used.has(i) && extentOf(e.size) === extent;
    let k = doubt.findIndex((e, i) => fits(e, i) && !e.alloc && e.pfn === r.lo);
    if (k < 0) k = doubt.findIndex((e, i) => fits(e, i) && e.alloc);
    if (k < 0) {
      problems.push(`tree range [${r.lo}, ${r.hi}] is neither live, cached, nor part of a dead worker's pending call (lost)`);
      continue;
    }
    used.add(k);
    settled.push(r.lo, doubt[k]!.size);
  }
  for (const [lo, w] of want) problems.push(`${w.what} at ${lo} is not in the tree`);
  return { live: [...live, ...settled], settled, problems };
}
