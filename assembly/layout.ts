// The one layout of a domain in shared memory.
//
// Every worker instantiates its own copy of this module, with its own globals
// and static data, over one shared WebAssembly.Memory. So nothing shared may
// live in a global: all shared state sits at offsets recorded in the domain
// header below, and every entry point takes the domain's base address.
//
// ╒═══════════════════ Domain regions (byte offsets from base) ═══════════════╕
// │ Domain header (this class, HEADER_BYTES)                                  │
// ├── offCpuCaches ───────────────────────────────────────────────────────────┤
// │ CpuCache[cpus][ORDERS] one cache line each: lock, loaded, prev, counters  │
// ├── offDepots ──────────────────────────────────────────────────────────────┤
// │ Depot[ORDERS]          one cache line each: lock, list head, counters     │
// ├── offCpuState ────────────────────────────────────────────────────────────┤
// │ CpuState[cpus]         one cache line each: alive flag, tree counters     │
// ├── offNodes: the slab, last, growing with memory.grow ─────────────────────┤
// │ Group 0 │ Group 1 │ ... │ Group groups-1 │→ grows            (see below)   │
// └───────────────────────────────────────────────────────────────────────────┘
//
// The slab is an array of 64-byte cells, numbered from offNodes: cell i is at
// offNodes + i * CELL_BYTES, so a node index is a cell index and nodeAt() is
// one multiply-add. Node 0 (nil) and node 1 (the anchor) are cells 0 and 1.
// A magazine is a run of magCells cells and is named by its first cell, so
// magAt() is the same multiply-add. Cells are handed out by a bump index
// (cellsHigh) under the slab lock and never return to it: freed nodes and
// magazines go to their own free lists. The memory is grown one group at a
// time, when the bump index enters a group not yet mapped: the slab costs
// what was used, not what the caps allow (nodeCap, magCap only bound it).
//
// ╒══════════ Group (GROUP_CELLS cells = 4 wasm pages) ══════════════════════╕
// │ cells [0, USABLE_CELLS): nodes and magazines │ count block: u32 per cell │
// └──────────────────────────────────────────────────────────────────────────┘
// The subtree count of cell i (kept only while the domain counts the walk)
// sits in the count block at the end of i's own group, so counts grow with
// the slab and countPtr() needs no table. A magazine never straddles a count
// block: a run that does not fit before it starts in the next group.

import { DEBUG } from "./debug";
import { atomicLoad } from "./atomics";

/** "IOVA" in ASCII, little-endian: marks memory that holds a domain. */
// @ts-ignore: decorator
@inline export const MAGIC: u32 = 0x41564f49;
/** Bumped whenever the layout below changes shape. */
// @ts-ignore: decorator
@inline export const LAYOUT_VERSION: u32 = 7;

/** Size orders 0..5 (1 to 32 pages) are cached, as IOVA_RANGE_CACHE_MAX_SIZE (exported: the host reads it). */
export const ORDERS: u32 = 6;
// @ts-ignore: decorator
@inline export const CACHE_LINE: u32 = 64;
// @ts-ignore: decorator
@inline export const HEADER_BYTES: u32 = 576;
/** pfn_lo and pfn_hi of the anchor node: above every usable pfn. */
// @ts-ignore: decorator
@inline export const IOVA_ANCHOR: u64 = 0xFFFFFFFFFFFFFFFF;
/** Node index meaning "none"; node 0 is also the nil sentinel of the tree. */
// @ts-ignore: decorator
@inline export const NIL: u32 = 0;
// @ts-ignore: decorator
@inline export const ANCHOR: u32 = 1;

/** Depot policies; the numbers are part of the layout (stored in the header). */
export enum Policy {
  TREE_ONLY, LINUX_510, CPU_FLUSH, SCALED_DEPOT, LINUX_64, ADAPTIVE,
}

/** Why the last failing operation failed; read by the host to build its error. */
export enum Err {
  NONE, NO_SPACE, NODE_SLAB_FULL, FAST_FAIL_32,
}

/** Bits of Domain.flags: how this domain's tree is searched and counted. */
export enum Flag {
  /** Place with the node-by-node oracle walk (placement.ts walkDown) instead of seekDown. */
  ORACLE_WALK = 1,
  /**
   * Keep subtree counts (tree/gap.ts) and count the kernel's walk length
   * (kernelWalkSteps). Costs full-path propagation and two ranks per alloc.
   */
  COUNT_WALK,
}

// ╒═════════════════════════ Domain header ══════════════════════════════════╕
// │ magic │ version │ totalBytes │ flags        ... geometry, region offsets  │
// │ treeLock (own line) │ root, anchor, cached nodes, node free list        │
// │ startPfn │ dma32Pfn │ max32AllocSize │ slab lock, bump index, growth      │
// └──────────────────────────────────────────────────────────────────────────┘
@unmanaged export class Domain {
  // --- identity and geometry (written once by init, read-only after) [0..64)
  magic: u32;
  version: u32;
  totalBytes: u32;    // bytes from base to the end of the slab's last group (grows)
  flags: u32;        // Flag.* bits
  granuleShift: u32;
  cpus: u32;
  policy: u32;
  magSize: u32;
  nodeCap: u32;
  magCap: u32;
  depotMax: u32;
  magStride: u32;
  offNodes: u32;      // the slab (cell 0)
  magCells: u32;      // cells per magazine: ceil(magStride / CELL_BYTES)
  offCpuCaches: u32;
  offDepots: u32;
  // [64..128)
  offCpuState: u32;
  poisoned: u32;      // 0, or the id (CPU + 1) of a dead lock holder: the domain is unusable
  startPfn: u64;
  dma32Pfn: u64;
  clockMs: u64;       // the domain's clock (real or virtual), set by the host
  maxGroups: u32;     // the slab may grow to this many groups (from nodeCap, magCap, 4 GiB)
  era: u32;           // Era.* (assembly/era.ts): which kernel's tree and flush path this domain runs
  pad3: u64;
  pad4: u64;
  pad5: u64;
  // --- tree state, guarded by treeLock [128..192)
  treeLock: u32;
  treeWaiters: u32;
  root: u32;
  cachedNode: u32;
  cached32Node: u32;
  freeNode: u32;      // head of the node free list (linked through Node.left)
  nodesUsed: u32;     // nodes out of the slab, the anchor included
  nodesMade: u32;     // cells ever made nodes (the anchor included): nodesUsed + free list
  destroyed: u32;    // 1 once destroy() ran: the host's views refuse every later call
  pad10: u32;
  max32AllocSize: u64;
  allocs: u64;
  frees: u64;
  // [192..256)
  allocFailures: u64;
  freeMisses: u64;    // free of a pfn no range holds: a no-op, but counted
  slabFull: u64;
  reserves: u64;
  viewTable: u32;     // byte address of the host's view table (assembly/holder.ts), 0: none
  sharedViews: u32;   // its words after the first: one per view that shares a CPU
  pad7: u64;
  pad8: u64;
  pad9: u64;
  // --- the slab and the magazines' free list, guarded by slabLock [256..320)
  // Innermost lock: taken under the tree lock (takeNode) and under CPU
  // cache locks (magAlloc), never the other way round.
  slabLock: u32;
  slabWaiters: u32;
  magFreeHead: u32;
  magsUsed: u32;
  magsMade: u32;      // cell runs ever made magazines: magsUsed + free list
  magLimit: u32;      // fault injection: at most this many magazines out at once
  magAllocFailures: u64;
  cellsHigh: u32;     // next cell the bump hands out
  groups: u32;        // groups mapped (the memory covers them)
  growFailures: u64;  // memory.grow refused (the engine had no memory)
  // --- adaptive's sliced reclaim (assembly/rcache/reclaim.ts) [320..544) of HEADER_BYTES:
  // guarded by reclaimLock, but for depotShort*, which the depot lock guards. reclaimLock is
  // the outermost lock: taken only by the domain clock's work, before any CPU cache, depot
  // or tree lock.
  reclaimLock: u32;
  reclaimWaiters: u32;
  reclaimSlice: u32;  // at most this many pfns go to the tree per hold of the tree lock
  reclaimOrder: u32;  // the order the next slice serves first (round robin)
  reclaimLastMs: u64; // the domain clock when slices were last paced
  reclaimHandoffs: u64; // magazines the idle-cache sweep handed to a depot
  // Per order: the depot magazine being returned slice by slice (0: none),
  // then the CPU the idle-cache sweep looks at next (cpus: sweep done).
  reclaimMag0: u32; reclaimMag1: u32; reclaimMag2: u32; reclaimMag3: u32; reclaimMag4: u32; reclaimMag5: u32;
  reclaimCpu0: u32; reclaimCpu1: u32; reclaimCpu2: u32; reclaimCpu3: u32; reclaimCpu4: u32; reclaimCpu5: u32;
  // Per order, for the interval's end (reclaimInterval): the depot's low water of the
  // interval before the last (kmem's ml_reaplimit); its pops counter (low 32 bits) when
  // the last interval began, moved past the reclaim's own pops; the load's pops in the
  // interval before the last.
  reclaimLow0: u32; reclaimLow1: u32; reclaimLow2: u32; reclaimLow3: u32; reclaimLow4: u32; reclaimLow5: u32;
  reclaimMark0: u32; reclaimMark1: u32; reclaimMark2: u32; reclaimMark3: u32; reclaimMark4: u32; reclaimMark5: u32;
  reclaimPops0: u32; reclaimPops1: u32; reclaimPops2: u32; reclaimPops3: u32; reclaimPops4: u32; reclaimPops5: u32;
  // Per order: the pfns the depot's magazines lack to be full (depotShortAddr: adaptive's
  // sweep pushes an idle cache's part-filled magazines), under the depot lock.
  depotShort0: u32; depotShort1: u32; depotShort2: u32; depotShort3: u32; depotShort4: u32; depotShort5: u32;
  // Per order: the magazines the idle-cache sweep handed to the depot in this interval,
  // then in the interval before (reclaimInterval: at most these go back unreserved).
  reclaimGiven0: u32; reclaimGiven1: u32; reclaimGiven2: u32; reclaimGiven3: u32; reclaimGiven4: u32; reclaimGiven5: u32;
  reclaimGivenBefore0: u32; reclaimGivenBefore1: u32; reclaimGivenBefore2: u32; reclaimGivenBefore3: u32; reclaimGivenBefore4: u32; reclaimGivenBefore5: u32;
  // Per order: the depot's low water with the reclaim's magazine in hand counted as
  // there (depotSlice: a magazine pushed back whole was never away for the load).
  reclaimHeldLow0: u32; reclaimHeldLow1: u32; reclaimHeldLow2: u32; reclaimHeldLow3: u32; reclaimHeldLow4: u32; reclaimHeldLow5: u32;
}

// ╒═════════════════════════ Node (64 bytes: one cache line) ═══════════════════════════════════╕
// │ lo: u64 │ hi: u64 │ gap: u64 │ maxGap: u64 │ alignKey: u64 │ maxAlignKey: u64 │              │
// │ left: u32 │ right: u32 │ parent: u32 │ red: u8 │ pad                                        │
// └─────────────────────────────────────────────────────────────────────────────────────────────┘
// 64 bytes in 64-byte slots, one cache line per node, as the kernel's
// iommu_iova slab holds them (../shared/anchors.md): a search that visits a
// node touches one line, where 48-byte slots split every other node in two.
// gap    = free pfns between this range and the previous one (below it), i.e.
//          lo - (prev.hi + 1), or lo itself for the lowest range.
// maxGap = the largest gap in this node's subtree: the augmentation that lets
//          the placement search skip whole subtrees that cannot hold a range.
// alignKey    = which size-aligned requests the gap holds, as one number
//               (gap.ts, alignKey): a request of size s, aligned to
//               A = roundup_pow_of_two(s), fits iff alignKey >= A + s.
//               maxAlignKey = subtree maximum, so aligned searches prune
//               exactly as unaligned ones do with maxGap.
// Subtree counts (for ranks: the length of the kernel's node-by-node walk,
// known without walking, for the cost model) live in the count block of the
// node's slab group, u32 per cell, kept only while the domain counts the walk.
@unmanaged export class Node {
  lo: u64;
  hi: u64;
  gap: u64;
  maxGap: u64;
  alignKey: u64;
  maxAlignKey: u64;
  left: u32;
  right: u32;
  parent: u32;
  red: u8;
  pad0: u8;
  pad1: u16;
}
// @ts-ignore: decorator
@inline export const NODE_BYTES: u32 = 64;
/** The slab's unit: one node; a magazine is a run of them. */
// @ts-ignore: decorator
@inline export const CELL_BYTES: u32 = NODE_BYTES;
// @ts-ignore: decorator
@inline export const GROUP_SHIFT: u32 = 12;
/** Cells per group: 4096 cells of 64 bytes are exactly 4 wasm pages. */
// @ts-ignore: decorator
@inline export const GROUP_CELLS: u32 = 1 << GROUP_SHIFT;
// @ts-ignore: decorator
@inline export const GROUP_BYTES: u32 = GROUP_CELLS * CELL_BYTES;
/** Cells the count block takes: a u32 for each cell of the group. */
// @ts-ignore: decorator
@inline export const COUNT_CELLS: u32 = (GROUP_CELLS * 4 + CELL_BYTES - 1) / CELL_BYTES;
/** Cells of a group that hold nodes and magazines (those before its count block). */
// @ts-ignore: decorator
@inline export const USABLE_CELLS: u32 = GROUP_CELLS - COUNT_CELLS;

// ╒══════════════ Magazine (8 + 8 * magSize bytes) ═══════════════╕
// │ size: u32 │ next: u32 │ pfns: u64[magSize]                   │
// └───────────────────────────────────────────────────────────────┘
// next links a magazine into the depot list or the slab's free list.
@unmanaged export class Magazine {
  size: u32;
  next: u32;
}
// @ts-ignore: decorator
@inline export const MAG_HEADER: u32 = 8;

// ╒══════════════ CpuCache (one cache line per CPU and order) ══════╕
// │ lock │ waiters │ loaded │ prev │ hits │ misses │ inserts │ ...    │
// └─────────────────────────────────────────────────────────────────┘
@unmanaged export class CpuCache {
  lock: u32;
  waiters: u32;
  loaded: u32;
  prev: u32;
  hits: u64;          // alloc served from a magazine
  misses: u64;        // alloc that went to the tree
  inserts: u64;       // free kept in a magazine
  insertFails: u64;   // free that went to the tree
  seenOps: u64;       // adaptive: hits + misses + inserts + insertFails at the last sweep
  busyMs: u64;        // adaptive: the domain clock at the last sweep that found seenOps changed (reclaim.ts)
}

// ╒══════════════ Depot (one cache line per order) ════════════════╕
// │ lock │ waiters │ head │ size │ pushes │ pops │ fullEvents │ ... │
// └─────────────────────────────────────────────────────────────────┘
@unmanaged export class Depot {
  lock: u32;
  waiters: u32;
  head: u32;          // newest magazine; list linked through Magazine.next
  size: u32;          // magazines in the depot
  pushes: u64;
  pops: u64;
  fullEvents: u64;    // a full magazine found the depot full
  magsToTree: u64;    // magazines whose pfns went back to the tree
  workDue: u64;       // linux-6.4 delayed work / adaptive reclaim: next run (ms), 0 = none
  lowWater: u32;      // adaptive: fewest magazines the depot held since the last reclaim
  reclaimDebt: u32;   // adaptive: magazines of the last interval's surplus not yet returned (reclaimLock)
}

// ╒══════════════ CpuState (one cache line per CPU) ═══════════════╕
// │ alive │ attached │ reserved counters                            │
// └─────────────────────────────────────────────────────────────────┘
// attached: 1 while a view owns this CPU's scratch slot (the host's attach
// claims it, the CPU-dead path releases it), so two views never share one.
@unmanaged export class CpuState {
  alive: u32;
  attached: u32;
  pad1: u64;
  pad2: u64;
  pad3: u64;
  pad4: u64;
  pad5: u64;
  pad6: u64;
  pad7: u64;
}

// @ts-ignore: decorator
@inline export function alignUp(x: u64, a: u64): u64 {
  return (x + a - 1) & ~(a - 1);
}

/** Bytes from base to the slab: the header and the fixed regions, each on a cache line. */
export function fixedBytes(cpus: u32): u64 {
  return <u64>HEADER_BYTES + <u64>cpus * ORDERS * CACHE_LINE + <u64>ORDERS * CACHE_LINE + <u64>cpus * CACHE_LINE;
}

/** Cells a magazine of magSize pfns takes. */
// @ts-ignore: decorator
@inline export function magCellsOf(magSize: u32): u32 {
  return (MAG_HEADER + magSize * 8 + CELL_BYTES - 1) / CELL_BYTES;
}

/**
 * Groups the slab needs at most: nil, nodeCap + 1 nodes (the anchor
 * included) and magCap magazines, where each group may waste up to
 * magCells - 1 cells before its count block (a magazine that did not fit).
 */
export function groupsNeeded(nodeCap: u32, magCap: u32, magSize: u32): u64 {
  let mc = <u64>magCellsOf(magSize);
  let cells = <u64>nodeCap + 2 + <u64>magCap * mc;
  let perGroup = <u64>USABLE_CELLS - (mc - 1);
  return (cells + perGroup - 1) / perGroup;
}

/**
 * The region offsets of a domain of this geometry at byte address base,
 * computed in 64 bits (in u32, 2^22 magazines of 127 pfns would wrap past
 * 2^32). Returns the bytes the domain takes when its slab has grown to
 * what nodeCap and magCap need; when `d` is not null, writes the geometry
 * and offsets into its header, with the slab mapped for its first group.
 * The host refuses any geometry whose grown size does not fit its memory
 * before it calls domainInit, so the u32 fields written here never wrap;
 * maxGroups is still capped at the end of a 4 GiB memory.
 */
function planLayout(d: Domain | null, base: u64, cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): u64 {
  let off: u64 = HEADER_BYTES;
  let offCpuCaches = off;
  off += <u64>cpus * ORDERS * CACHE_LINE;
  let offDepots = off;
  off += <u64>ORDERS * CACHE_LINE;
  let offCpuState = off;
  off += <u64>cpus * CACHE_LINE;
  let offNodes = off;
  let need = groupsNeeded(nodeCap, magCap, magSize);
  if (d) {
    let fit = base + offNodes < (<u64>1 << 32) ? ((<u64>1 << 32) - base - offNodes) / <u64>GROUP_BYTES : 0;
    d.cpus = cpus;
    d.nodeCap = nodeCap;
    d.magCap = magCap;
    d.magSize = magSize;
    d.magStride = MAG_HEADER + magSize * 8;
    d.magCells = magCellsOf(magSize);
    d.offCpuCaches = <u32>offCpuCaches;
    d.offDepots = <u32>offDepots;
    d.offCpuState = <u32>offCpuState;
    d.offNodes = <u32>offNodes;
    d.maxGroups = <u32>(need < fit ? need : fit);
    d.groups = 1;
    d.totalBytes = <u32>(offNodes + GROUP_BYTES);
  }
  return offNodes + need * <u64>GROUP_BYTES;
}

/** Bytes a domain of this geometry takes when made: the fixed regions and the slab's first group. */
export function domainBytes(cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): u64 {
  return fixedBytes(cpus) + GROUP_BYTES;
}

/** Bytes it can grow to when both slabs are full (64-bit: may exceed any memory). */
export function domainMaxBytes(cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): u64 {
  return planLayout(null, 0, cpus, nodeCap, magCap, magSize);
}

/** Writes the geometry and region offsets into a zeroed header (the domain's base is its address). */
export function layoutDomain(d: Domain, cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): void {
  planLayout(d, <u64>changetype<usize>(d), cpus, nodeCap, magCap, magSize);
}

// The header's fields must fit the bytes the layout gives it.
// @ts-ignore: compile-time check
if (offsetof<Domain>() > HEADER_BYTES) ERROR("Domain header is larger than HEADER_BYTES");

/** Per-instance scratch header that layoutIntact() plans into, to compare with a domain's. */
const planned = changetype<Domain>(memory.data(HEADER_BYTES, CACHE_LINE));

/**
 * check()'s view of the layout: the header's offsets are the ones its
 * geometry gives, in 64 bits; the slab's mapped groups are within its limit
 * and inside the memory. A header whose sizes wrapped, or that was
 * overwritten, fails here.
 */
export function layoutIntact(d: Domain): bool {
  let base = <u64>changetype<usize>(d);
  planLayout(planned, base, d.cpus, d.nodeCap, d.magCap, d.magSize);
  // totalBytes is stored after the memory grew (slab.ts), so it never runs past the memory.
  let total = <u64>atomicLoad<u32>(totalBytesAddr(d));
  let slab = total - <u64>d.offNodes;
  return planned.maxGroups == d.maxGroups && total > <u64>d.offNodes && slab % <u64>GROUP_BYTES == 0
    && slab / <u64>GROUP_BYTES <= <u64>d.maxGroups
    && base + total <= (<u64>memory.size() << 16)
    && planned.magStride == d.magStride && planned.magCells == d.magCells && planned.offNodes == d.offNodes
    && planned.offCpuCaches == d.offCpuCaches && planned.offDepots == d.offDepots && planned.offCpuState == d.offCpuState;
}

// --- addressing: every region is reached through one of these ---

/** Node i of domain d (i = 0 is the nil sentinel). */
// @ts-ignore: decorator
@inline export function nodeAt(d: Domain, i: u32): Node {
  return changetype<Node>(changetype<usize>(d) + d.offNodes + <usize>i * NODE_BYTES);
}
/**
 * Address of node 0 (nil, the slab's first cell). The tree code takes it
 * once per function and reaches node i as nodeIn(nb, i): nodeAt() re-reads
 * d.offNodes after every store to memory (wasm cannot tell that the
 * header's offset did not change), one extra load on each node access.
 */
// @ts-ignore: decorator
@inline export function nodesBase(d: Domain): usize {
  return changetype<usize>(d) + d.offNodes;
}
/** Node i of the slab whose node 0 is at nb (nodesBase): nodeAt(d, i) with the base known. */
// @ts-ignore: decorator
@inline export function nodeIn(nb: usize, i: u32): Node {
  return changetype<Node>(nb + <usize>i * NODE_BYTES);
}
/** Address of cell i's subtree count, in its group's count block (only meaningful while counts are kept). */
// @ts-ignore: decorator
@inline export function countPtr(d: Domain, i: u32): usize {
  return changetype<usize>(d) + d.offNodes + <usize>(i >> GROUP_SHIFT) * GROUP_BYTES
    + USABLE_CELLS * CELL_BYTES + (<usize>(i & (GROUP_CELLS - 1)) << 2);
}
/** Magazine m of domain d: the run of cells from cell m (m = 0 means "no magazine" and is never dereferenced). */
// @ts-ignore: decorator
@inline export function magAt(d: Domain, m: u32): Magazine {
  return changetype<Magazine>(changetype<usize>(d) + d.offNodes + <usize>m * CELL_BYTES);
}
/** Address of pfns[k] of magazine m. */
// @ts-ignore: decorator
@inline export function magPfnPtr(d: Domain, m: u32, k: u32): usize {
  return changetype<usize>(d) + d.offNodes + <usize>m * CELL_BYTES + MAG_HEADER + <usize>k * 8;
}
// @ts-ignore: decorator
@inline export function cpuCacheAt(d: Domain, cpu: u32, order: u32): CpuCache {
  if (DEBUG) assert(cpu < d.cpus && order < ORDERS, "cpuCacheAt: a CPU and an order of the domain");
  return changetype<CpuCache>(changetype<usize>(d) + d.offCpuCaches + <usize>(cpu * ORDERS + order) * CACHE_LINE);
}
// @ts-ignore: decorator
@inline export function depotAt(d: Domain, order: u32): Depot {
  if (DEBUG) assert(order < ORDERS, "depotAt: a cached order");
  return changetype<Depot>(changetype<usize>(d) + d.offDepots + <usize>order * CACHE_LINE);
}
// @ts-ignore: decorator
@inline export function cpuStateAt(d: Domain, cpu: u32): CpuState {
  if (DEBUG) assert(cpu < d.cpus, "cpuStateAt: a CPU of the domain");
  return changetype<CpuState>(changetype<usize>(d) + d.offCpuState + <usize>cpu * CACHE_LINE);
}
// --- locks: every lock is reached through one of these ---
// A lock is a holder word and, LOCK_WAITERS bytes after it, its waiter count
// (lock.ts). Each accessor checks at compile time that its struct keeps the
// two so: a layout change that moves them apart fails the build (ERROR)
// instead of letting lock() count waiters in the neighbouring field.

/** Bytes from a lock's holder word to its waiter count: the next u32. */
// @ts-ignore: decorator
@inline export const LOCK_WAITERS: usize = 4;

/** iova_rbtree_lock: the tree, its cached nodes and the node free list. */
// @ts-ignore: decorator
@inline export function treeLockAddr(d: Domain): usize {
  if (offsetof<Domain>("treeWaiters") != offsetof<Domain>("treeLock") + LOCK_WAITERS) ERROR("Domain.treeWaiters must follow treeLock");
  return changetype<usize>(d) + offsetof<Domain>("treeLock");
}
/** The slab's lock: the bump index, the growth, the magazines' free list. */
// @ts-ignore: decorator
@inline export function slabLockAddr(d: Domain): usize {
  if (offsetof<Domain>("slabWaiters") != offsetof<Domain>("slabLock") + LOCK_WAITERS) ERROR("Domain.slabWaiters must follow slabLock");
  return changetype<usize>(d) + offsetof<Domain>("slabLock");
}
/** adaptive's reclaim lock (rcache/reclaim.ts): outermost, taken only by the domain clock's work. */
// @ts-ignore: decorator
@inline export function reclaimLockAddr(d: Domain): usize {
  if (offsetof<Domain>("reclaimWaiters") != offsetof<Domain>("reclaimLock") + LOCK_WAITERS) ERROR("Domain.reclaimWaiters must follow reclaimLock");
  return changetype<usize>(d) + offsetof<Domain>("reclaimLock");
}
/** A CPU's rcache lock (cpu_rcache->lock) of one order. */
// @ts-ignore: decorator
@inline export function cpuCacheLockAddr(c: CpuCache): usize {
  if (offsetof<CpuCache>("waiters") != offsetof<CpuCache>("lock") + LOCK_WAITERS) ERROR("CpuCache.waiters must follow lock");
  return changetype<usize>(c) + offsetof<CpuCache>("lock");
}
/**
 * The u32 of order o in one of the Domain's per-order rows (reclaimMag0..5,
 * depotShort0..5, ...): `field0` is offsetof<Domain>() of the row's order 0.
 */
// @ts-ignore: decorator
@inline export function orderSlotAddr(d: Domain, field0: usize, o: u32): usize {
  return changetype<usize>(d) + field0 + (<usize>o << 2);
}
/**
 * pfns the magazines in this depot lack to be full (Domain.depotShort*):
 * 0 but under adaptive, whose idle-cache sweep pushes part-filled ones.
 */
// @ts-ignore: decorator
@inline export function depotShortAddr(d: Domain, dp: Depot): usize {
  let order = (changetype<usize>(dp) - changetype<usize>(d) - <usize>d.offDepots) / CACHE_LINE;
  return orderSlotAddr(d, offsetof<Domain>("depotShort0"), <u32>order);
}
/** An order's depot lock (rcache->lock). */
// @ts-ignore: decorator
@inline export function depotLockAddr(dp: Depot): usize {
  if (offsetof<Depot>("waiters") != offsetof<Depot>("lock") + LOCK_WAITERS) ERROR("Depot.waiters must follow lock");
  return changetype<usize>(dp) + offsetof<Depot>("lock");
}

// --- fields other threads read or write without the lock that guards them
// (atomic loads and stores): reached by address through one of these ---

/** Domain.magic: set last by domainInit, so a domain is valid once it holds MAGIC. */
// @ts-ignore: decorator
@inline export function magicAddr(d: Domain): usize { return changetype<usize>(d) + offsetof<Domain>("magic"); }
/** Domain.totalBytes: stored after the memory grew, read by check() and the stats. */
// @ts-ignore: decorator
@inline export function totalBytesAddr(d: Domain): usize { return changetype<usize>(d) + offsetof<Domain>("totalBytes"); }
/** Domain.groups: the slab groups the memory covers. */
// @ts-ignore: decorator
@inline export function groupsAddr(d: Domain): usize { return changetype<usize>(d) + offsetof<Domain>("groups"); }
/** Domain.destroyed: 1 once destroy() ran (the host's views read it). */
// @ts-ignore: decorator
@inline export function destroyedAddr(d: Domain): usize { return changetype<usize>(d) + offsetof<Domain>("destroyed"); }
/** Domain.poisoned: the id of a dead lock holder, or 0. */
// @ts-ignore: decorator
@inline export function poisonedAddr(d: Domain): usize { return changetype<usize>(d) + offsetof<Domain>("poisoned"); }
/** CpuState.alive: read by waiters to tell a dead holder. */
// @ts-ignore: decorator
@inline export function aliveAddr(st: CpuState): usize { return changetype<usize>(st) + offsetof<CpuState>("alive"); }
/** CpuState.attached: claimed by one view's attach (cmpxchg). */
// @ts-ignore: decorator
@inline export function attachedAddr(st: CpuState): usize { return changetype<usize>(st) + offsetof<CpuState>("attached"); }
/** CpuCache.loaded and .prev: read by the stats without the CPU's lock. */
// @ts-ignore: decorator
@inline export function loadedAddr(c: CpuCache): usize { return changetype<usize>(c) + offsetof<CpuCache>("loaded"); }
// @ts-ignore: decorator
@inline export function prevAddr(c: CpuCache): usize { return changetype<usize>(c) + offsetof<CpuCache>("prev"); }
/** Depot.size: read by the stats without the depot lock. */
// @ts-ignore: decorator
@inline export function depotSizeAddr(dp: Depot): usize { return changetype<usize>(dp) + offsetof<Depot>("size"); }
/** Depot.magsToTree: counted outside the depot lock. */
// @ts-ignore: decorator
@inline export function magsToTreeAddr(dp: Depot): usize { return changetype<usize>(dp) + offsetof<Depot>("magsToTree"); }

/** The domain whose header starts at byte address base. */
// @ts-ignore: decorator
@inline export function domainAt(base: usize): Domain {
  return changetype<Domain>(base);
}
