// The layout as numbers, for host code that reads shared memory directly
// (the books audit walks magazines itself rather than trust the module's
// own counters). Asking the module keeps one source of truth: layout.ts.

import { Domain, CpuCache, Depot, Magazine, MAG_HEADER, CACHE_LINE, CELL_BYTES, GROUP_BYTES, USABLE_CELLS } from "../layout";

/** layoutField() selectors: byte offsets and sizes of assembly/layout.ts. */
export enum LayoutField {
  cpus, magSize, magStride, offSlab, offCpuCaches, offDepots, treeLock, cpuCacheLoaded, cpuCachePrev,
  depotHead, depotSize, magNext, magHeader, cacheLine, magSizeField, cellBytes, groupBytes,
  usableCells, destroyed, poisoned,
}

export function layoutField(which: u32): u32 {
  switch (which) {
    case LayoutField.cpus: return offsetof<Domain>("cpus");
    case LayoutField.magSize: return offsetof<Domain>("magSize");
    case LayoutField.magStride: return offsetof<Domain>("magStride");
    case LayoutField.offSlab: return offsetof<Domain>("offNodes");
    case LayoutField.offCpuCaches: return offsetof<Domain>("offCpuCaches");
    case LayoutField.offDepots: return offsetof<Domain>("offDepots");
    case LayoutField.treeLock: return offsetof<Domain>("treeLock");
    case LayoutField.cpuCacheLoaded: return offsetof<CpuCache>("loaded");
    case LayoutField.cpuCachePrev: return offsetof<CpuCache>("prev");
    case LayoutField.depotHead: return offsetof<Depot>("head");
    case LayoutField.depotSize: return offsetof<Depot>("size");
    case LayoutField.magNext: return offsetof<Magazine>("next");
    case LayoutField.magHeader: return MAG_HEADER;
    case LayoutField.cacheLine: return CACHE_LINE;
    case LayoutField.magSizeField: return offsetof<Magazine>("size");
    case LayoutField.cellBytes: return CELL_BYTES;
    case LayoutField.groupBytes: return GROUP_BYTES;
    case LayoutField.usableCells: return USABLE_CELLS;
    case LayoutField.destroyed: return offsetof<Domain>("destroyed");
    case LayoutField.poisoned: return offsetof<Domain>("poisoned");
    default: return 0xFFFFFFFF;
  }
}
