// The books of a domain under load, checked once everything in flight has
// been unmapped and the flush queue drained: every range in the tree is
// either reserved, still mapped by an I/O the caller counts, or a pfn held
// by a magazine (CPU or depot). Nothing else may be left, and nothing may
// be queued. Both clocks (the simulator and the real-clock runner) ask here.

import { Domain, ORDERS, cpuCacheAt, depotAt, magAt } from "../layout";
import { magSize } from "../rcache/magazine";
import { reclaimingPfns } from "../rcache/reclaim";
import { checkTree } from "../tree/check";
import { FlushQueue, fqPending } from "./flush-queue";

/** What is wrong with the books (Books.*); the host turns it into words. */
export enum Books {
  OK,
  /** Entries are still in a flush queue. */
  FQ_PENDING,
  /** The tree holds ranges that nobody accounts for (lost), or fewer than accounted (handed out twice). */
  RANGES_UNACCOUNTED,
  /** A tree invariant is broken (check() says which). */
  TREE_INVALID,
}

/** pfns held by every CPU's magazines and every depot (with those adaptive's reclaim is returning). */
export function cachedPfns(d: Domain): u64 {
  let n: u64 = 0;
  for (let c: u32 = 0; c < d.cpus; c++) {
    for (let o: u32 = 0; o < ORDERS; o++) {
      let cc = cpuCacheAt(d, c, o);
      n += <u64>(magSize(d, cc.loaded) + magSize(d, cc.prev));
    }
  }
  for (let o: u32 = 0; o < ORDERS; o++) {
    n += <u64>reclaimingPfns(d, o);
    let m = depotAt(d, o).head;
    while (m != 0) {
      n += <u64>magSize(d, m);
      m = magAt(d, m).next;
    }
  }
  return n;
}

/**
 * Books.* for a domain whose I/Os still map `live` ranges and whose
 * reservations made `reserved` ranges. Callers hold no lock and nothing
 * runs concurrently (the end of a run).
 */
export function booksProblem(d: Domain, fq: FlushQueue | null, live: u64, reserved: u64): u32 {
  if (fq !== null && fqPending(fq) != 0) return Books.FQ_PENDING;
  let ranges = <u64>(d.nodesUsed - 1);
  if (ranges != cachedPfns(d) + live + reserved) return Books.RANGES_UNACCOUNTED;
  if (checkTree(d) != 0) return Books.TREE_INVALID;
  return Books.OK;
}
