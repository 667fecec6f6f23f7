// The code sets of the core, read from the module's exports.
//
// The core declares each set once, as an `export enum` of AssemblyScript
// (assembly/api/codes.ts and the stat selectors of assembly/api/*.ts); every
// member is a wasm global named "Set.MEMBER". Here the host names the members
// it uses; their numbers come from the module, never from this file. codes()
// refuses a module whose sets hold other names than these, so host and core
// cannot drift apart silently (test/interface.test.ts checks both ways).
import type { IovaExports } from "./exports.js";
import { compiledModule, instantiate, newSharedMemory } from "./module.js";
import type { WasmGlobal, WasmModule } from "./types.js";

/** Bad.* of assembly/tree/check.ts: what check() found broken. */
export const CHECK_TEXT = {
  ROOT_RED: "the root is red",
  RED_RED: "a red node has a red child",
  BLACK_HEIGHT: "black heights differ between siblings",
  PARENT_LINK: "a child's parent link is wrong",
  ORDER: "keys are out of order",
  OVERLAP: "two ranges overlap",
  GAP: "a node's gap does not match its neighbours",
  MAX_GAP: "a node's maxGap does not match its subtree",
  SLAB_COUNT: "node slab accounting does not add up",
  ANCHOR_NOT_LAST: "the anchor is not the last node",
  CACHED_NODE: "a cached node is not in the tree",
  SENTINEL: "the nil sentinel was modified",
  RANGE_INVERTED: "a range has pfn_lo > pfn_hi",
  CYCLE: "the tree has a cycle",
  COUNT: "a node's subtree count is wrong",
  ALIGN: "a node's aligned-block order does not match its subtree",
  LAYOUT: "the header's region offsets do not match its geometry or run past the memory",
} as const;

/** Books.* of assembly/iommu/books.ts: what is wrong with the books. */
export const BOOKS_TEXT = {
  OK: "the books balance",
  FQ_PENDING: "entries are still in a flush queue",
  RANGES_UNACCOUNTED: "the tree holds ranges that are neither reserved, mapped nor cached (lost), or fewer than that (handed out twice)",
  TREE_INVALID: "a tree invariant is broken",
} as const;

/** Every code set the host reads, with the names of its members. */
export const CODE_SETS = {
  /** Why the last failing call failed (lastError, lastTreeError). */
  Err: ["NONE", "NO_SPACE", "NODE_SLAB_FULL", "FAST_FAIL_32"],
  /** Depot policies, stored in the domain header. */
  Policy: ["TREE_ONLY", "LINUX_510", "CPU_FLUSH", "SCALED_DEPOT", "LINUX_64", "ADAPTIVE"],
  /** Kernel eras, stored in the domain header (assembly/era.ts). */
  Era: ["V5_10", "V5_11", "V6_X"],
  Bad: Object.keys(CHECK_TEXT) as (keyof typeof CHECK_TEXT)[],
  Books: Object.keys(BOOKS_TEXT) as (keyof typeof BOOKS_TEXT)[],
  /** fq_timer_on of the flush queue (FqGlobal.timerState). */
  Timer: ["OFF", "ARMING", "ARMED"],
  /** Bits of queue_iova's result (fqQueue, dmaUnmapIova). */
  Queued: ["FULL_FLUSH", "ARMED_TIMER", "FLUSHES_SHIFT", "FLAGS"],
  /** The stats dump (assembly/api/stats.ts): domain-wide counters, and domainStat() selectors. */
  Stat: ["ranges", "nodeCap", "allocs", "frees", "allocFailures", "freeMisses", "slabFull", "reserves", "max32AllocSize",
    "dma32Pfn", "startPfn", "cachedPfn", "cached32Pfn", "era", "totalBytes", "maxTotalBytes", "maxGroups", "groups",
    "growFailures", "nodesMade", "magsUsed", "magCap", "magAllocFailures", "magLimit", "magazineSize", "policy", "cpus",
    "depotMax", "clockMs", "reclaimSlice", "reclaimHandoffs", "COUNT"],
  /** The dump's per-order depot block. */
  DepotStat: ["magazines", "pushes", "pops", "fullEvents", "magsToTree", "workDue", "reclaimingPfns", "reclaimDebt", "pfns", "COUNT"],
  /** The dump's per-CPU block (summed over orders). */
  CpuStat: ["hits", "misses", "inserts", "insertFails", "COUNT"],
  /** The dump's per-CPU-and-order block: magazine fills. */
  CellStat: ["loaded", "prev", "COUNT"],
  /** Byte offsets of the dump's blocks. */
  StatsAt: ["DEPOTS", "CPUS"],
  /** The flush-queue dump (assembly/api/iommu.ts): per CPU, a ring's counters. */
  FqStat: ["depth", "maxDepth", "queued", "freed", "fullFlushes", "timerFirings", "COUNT"],
  /** The flush-queue dump's first block: the whole queue's counters and its timer. */
  FqGlobal: ["pending", "startCnt", "finishCnt", "flushes", "invalidations", "timerState", "timerCpu", "timerDueMs", "freedForeign",
    "COUNT"],
  /** layoutField() selectors: byte offsets and sizes of assembly/layout.ts. */
  LayoutField: ["cpus", "magSize", "magStride", "offSlab", "offCpuCaches", "offDepots", "treeLock", "cpuCacheLoaded",
    "cpuCachePrev", "depotHead", "depotSize", "magNext", "magHeader", "cacheLine", "magSizeField",
    "cellBytes", "groupBytes", "usableCells", "destroyed", "poisoned"],
  /** The simulator's f64 parameters (assembly/sim/layout.ts), by index into its P array. */
  SimParam: ["segBytes", "dmaLimitPfn", "durationNs", "tickNs", "reclaimMs", "migrateNs", "submitNs", "completeNs", "magazineNs",
    "treeAllocNs", "walkNodeNs", "treeFreeNs", "fastFailNs", "lockNs", "lockHandoffNs", "lockHandoffRemoteNs", "depotNs",
    "iotlbFlushNs", "deviceBaseNs", "nsPerByte", "deviceJitter", "fqEntryNs", "retryNs", "mergeLogP", "timerDrainAll", "contendedLocks", "kblockdShare", "COUNT"],
  /** The simulator's totals (and each interval's copy, SimTotal.COUNT further on). */
  SimTotal: ["ios", "drainedIos", "maps", "mapFailures", "migrations", "fastFails", "failedWalks", "failedWalkNodes", "fallbacks64",
    "strictInvalidations", "mapNs", "depotLooks", "COUNT"],
  /** Bits of SimParam.contendedLocks: the lock classes whose waits are modelled. */
  LockClass: ["TREE", "DEPOT", "FQ"],
  /** simOffset() selectors (assembly/api/sim.ts). */
  SimAt: ["params", "totals", "cpuTable", "jobTable", "blockSizes", "reserved", "cpuBytes", "jobBytes", "locks", "histHead",
    "histBuckets", "jobStreams"],
  /** The simulator's kinds of random draw, a stream of each per job (assembly/sim/random.ts). */
  Stream: ["SIZE", "DEVICE", "KBLOCKD", "MIGRATE", "COUNT"],
  /** simLockStat() selectors. */
  SimLockStat: ["held", "wait", "iHeld", "iWait", "acquisitions", "handoffs", "maxHeld", "kworkerHolds", "kworkerHeld",
    "kworkerMaxHeld", "floorWaits", "floorWaitNs"],
  /** simLockIndex() kinds: the tree lock, a depot lock (by order), a flush-queue lock (by CPU). */
  SimLock: ["tree", "depot", "fq"],
} as const;

/** The constants the core exports as plain globals. */
export const CODE_CONSTANTS = ["ORDERS", "VIEW_CPU_BITS", "VIEW_DEAD", "HANDOFF_TAKE_BACK_MS"] as const;

export type CodeSet = keyof typeof CODE_SETS;
/** The member names of one set. */
export type MemberOf<S extends CodeSet> = (typeof CODE_SETS)[S][number];
/** Every set as { MEMBER: number }, and the constants, as the module defines them. */
export type Codes = { readonly [S in CodeSet]: Readonly<Record<MemberOf<S>, number>> } & {
  readonly [C in (typeof CODE_CONSTANTS)[number]]: number;
};

const cache = new WeakMap<object, Codes>();
/** The last module asked for and its codes: one thread has one module, so most calls end here. */
let last: { module: WasmModule | null; codes: Codes | null } = { module: null, codes: null };

/**
 * The codes of a module (by default this thread's), read once from a probe
 * instance over a one-page memory.
 * @throws Error when the module's sets and the host's names differ
 */
export function codes(module: WasmModule = compiledModule()): Codes {
  if (module === last.module) return last.codes!;
  let c = cache.get(module);
  if (!c) {
    c = codesOf(instantiate(newSharedMemory(65536), module));
    cache.set(module, c);
  }
  last = { module, codes: c };
  return c;
}

/** Reads every set and constant from an instance's exports, checking the names both ways. */
export function codesOf(ex: IovaExports | Record<string, unknown>): Codes {
  const raw = ex as Record<string, unknown>;
  const exported = Object.keys(raw);
  const out: Record<string, unknown> = {};
  for (const [set, names] of Object.entries(CODE_SETS) as [CodeSet, readonly string[]][]) {
    const core = exported.filter((k) => k.startsWith(`${set}.`)).map((k) => k.slice(set.length + 1));
    const missing = names.filter((n) => !core.includes(n));
    const extra = core.filter((n) => !names.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(`iova-wasm: the host and the wasm module disagree on ${set}: `
        + [missing.length > 0 ? `not exported: ${missing.join(", ")}` : "", extra.length > 0 ? `no host name: ${extra.join(", ")}` : ""]
          .filter(Boolean).join("; "));
    }
    out[set] = Object.freeze(Object.fromEntries(names.map((n) => [n, globalValue(raw, `${set}.${n}`)])));
  }
  for (const name of CODE_CONSTANTS) out[name] = globalValue(raw, name);
  return Object.freeze(out) as Codes;
}

/** The member of a set that has this number, or undefined. */
export function memberOf<S extends CodeSet>(set: S, value: number, c: Codes = codes()): MemberOf<S> | undefined {
  const table = c[set] as Record<string, number>;
  return (Object.keys(table) as MemberOf<S>[]).find((k) => table[k] === value);
}

function globalValue(raw: Record<string, unknown>, name: string): number {
  const g = raw[name] as WasmGlobal | undefined;
  if (typeof g?.value !== "number") throw new Error(`iova-wasm: the wasm module exports no global ${name}`);
  return g.value;
}
