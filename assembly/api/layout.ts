// The layout as numbers, for host code that reads shared memory directly
// (the books audit walks magazines itself rather than trust the module's
// own counters). Asking the module keeps one source of truth: layout.ts.

import { Domain, CpuCache, Depot, Magazine, MAG_HEADER, CACHE_LINE, ORDERS, CELL_BYTES, GROUP_BYTES, USABLE_CELLS } from "../layout";

export function layoutField(which: u32): u32 {
  switch (which) {
    case 0: return offsetof<Domain>("cpus");
    case 1: return offsetof<Domain>("magSize");
    case 2: return offsetof<Domain>("magStride");
    case 3: return offsetof<Domain>("offNodes");
    case 4: return offsetof<Domain>("offCpuCaches");
    case 5: return offsetof<Domain>("offDepots");
    case 6: return offsetof<Domain>("treeLock");
    case 7: return offsetof<CpuCache>("loaded");
    case 8: return offsetof<CpuCache>("prev");
    case 9: return offsetof<Depot>("head");
    case 10: return offsetof<Depot>("size");
    case 11: return offsetof<Magazine>("next");
    case 12: return MAG_HEADER;
    case 13: return CACHE_LINE;
    case 14: return ORDERS;
    case 15: return offsetof<Magazine>("size");
    case 16: return CELL_BYTES;
    case 17: return GROUP_BYTES;
    case 18: return USABLE_CELLS;
    case 19: return offsetof<Domain>("destroyed");
    case 20: return offsetof<Domain>("poisoned");
    default: return 0xFFFFFFFF;
  }
}
