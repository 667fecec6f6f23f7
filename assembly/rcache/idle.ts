// Adaptive policy, second half of its working-set reclaim: a CPU cache that
// saw no allocation or free for a whole reclaim interval holds pfns no one
// is using (a job moved to another CPU and left its magazines behind). Its
// pfns go back to the tree; the empty magazines stay, ready for reuse.
// The depot half is reclaimIdle() in depot.ts; docs/adaptive-policy.md.

import { Domain, CpuCache, cpuCacheAt, cpuCacheLockAddr, depotAt } from "../layout";
import { lock, unlock } from "../lock";
import { selfId } from "../self";
import { magFreePfns, magEmpty } from "./magazine";

/** Empties the caches of this order that were idle since the last call; returns pfns freed. */
export function reclaimIdleCpuCaches(d: Domain, order: u32): u32 {
  let freed: u32 = 0;
  for (let cpu: u32 = 0; cpu < d.cpus; cpu++) {
    let c = cpuCacheAt(d, cpu, order);
    let addr = cpuCacheLockAddr(c);
    lock(d, addr, selfId);
    let ops = c.hits + c.misses + c.inserts + c.insertFails;
    if (ops == c.seenOps && (!magEmpty(d, c.loaded) || !magEmpty(d, c.prev))) {
      freed += magFreePfns(d, c.loaded);
      freed += magFreePfns(d, c.prev);
      c.idleReclaims++;
    }
    c.seenOps = ops;
    unlock(addr);
  }
  return freed;
}
