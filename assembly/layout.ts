// The one layout of a domain in shared memory.
//
// Every worker instantiates its own copy of this module, with its own globals
// and static data, over one shared WebAssembly.Memory. So nothing shared may
// live in a global: all shared state sits at offsets recorded in the domain
// header below, and every entry point takes the domain's base address.
//
// ╒═══════════════════ Domain regions (byte offsets from base) ═══════════════╕
// │ Domain header (this class, HEADER_BYTES)                                  │
// ├── offNodes ───────────────────────────────────────────────────────────────┤
// │ Node[nodeCap + 1]      index 0 = nil sentinel, index 1 = anchor           │
// ├── offCounts ──────────────────────────────────────────────────────────────┤
// │ u32[nodeCap + 2]       subtree counts, kept only while counting the walk  │
// ├── offMags ────────────────────────────────────────────────────────────────┤
// │ Magazine[magCap + 1]   index 0 = "no magazine"; stride magStride          │
// ├── offCpuCaches ───────────────────────────────────────────────────────────┤
// │ CpuCache[cpus][ORDERS] one cache line each: lock, loaded, prev, counters  │
// ├── offDepots ──────────────────────────────────────────────────────────────┤
// │ Depot[ORDERS]          one cache line each: lock, list head, counters     │
// ├── offCpuState ────────────────────────────────────────────────────────────┤
// │ CpuState[cpus]         one cache line each: alive flag, tree counters     │
// └───────────────────────────────────────────────────────────────────────────┘

/** "IOVA" in ASCII, little-endian: marks memory that holds a domain. */
// @ts-ignore: decorator
@inline export const MAGIC: u32 = 0x41564f49;
/** Bumped whenever the layout below changes shape. */
// @ts-ignore: decorator
@inline export const LAYOUT_VERSION: u32 = 5;

/** Size orders 0..5 (1 to 32 pages) are cached, as IOVA_RANGE_CACHE_MAX_SIZE. */
// @ts-ignore: decorator
@inline export const ORDERS: u32 = 6;
// @ts-ignore: decorator
@inline export const CACHE_LINE: u32 = 64;
// @ts-ignore: decorator
@inline export const HEADER_BYTES: u32 = 512;
/** pfn_lo and pfn_hi of the anchor node: above every usable pfn. */
// @ts-ignore: decorator
@inline export const IOVA_ANCHOR: u64 = 0xFFFFFFFFFFFFFFFF;
/** Node index meaning "none"; node 0 is also the nil sentinel of the tree. */
// @ts-ignore: decorator
@inline export const NIL: u32 = 0;
// @ts-ignore: decorator
@inline export const ANCHOR: u32 = 1;

/** Depot policies; the numbers are part of the layout (stored in the header). */
export namespace Policy {
  // @ts-ignore: decorator
  @inline export const TREE_ONLY: u32 = 0;
  // @ts-ignore: decorator
  @inline export const LINUX_510: u32 = 1;
  // @ts-ignore: decorator
  @inline export const CPU_FLUSH: u32 = 2;
  // @ts-ignore: decorator
  @inline export const SCALED_DEPOT: u32 = 3;
  // @ts-ignore: decorator
  @inline export const LINUX_64: u32 = 4;
  // @ts-ignore: decorator
  @inline export const ADAPTIVE: u32 = 5;
}

/** Why the last failing operation failed; read by the host to build its error. */
export namespace Err {
  // @ts-ignore: decorator
  @inline export const NONE: u32 = 0;
  // @ts-ignore: decorator
  @inline export const NO_SPACE: u32 = 1;
  // @ts-ignore: decorator
  @inline export const NODE_SLAB_FULL: u32 = 2;
  // @ts-ignore: decorator
  @inline export const DESTROYED: u32 = 3;
  // @ts-ignore: decorator
  @inline export const LOCK_HOLDER_DEAD: u32 = 4;
  // @ts-ignore: decorator
  @inline export const FAST_FAIL_32: u32 = 5;
}

// ╒═════════════════════════ Domain header ══════════════════════════════════╕
// │ magic │ version │ totalBytes │ flags        ... geometry, region offsets  │
// │ treeLock (own line) │ root, anchor, cached nodes, node free list        │
// │ startPfn │ dma32Pfn │ max32AllocSize │ magazine slab lock and free list   │
// └──────────────────────────────────────────────────────────────────────────┘
@unmanaged export class Domain {
  // --- identity and geometry (written once by init, read-only after) [0..64)
  magic: u32;
  version: u32;
  totalBytes: u32;
  flags: u32;
  granuleShift: u32;
  cpus: u32;
  policy: u32;
  magSize: u32;
  nodeCap: u32;
  magCap: u32;
  depotMax: u32;
  magStride: u32;
  offNodes: u32;
  offMags: u32;
  offCpuCaches: u32;
  offDepots: u32;
  // [64..128)
  offCpuState: u32;
  poisoned: u32;      // 0, or the id (CPU + 1) of a dead lock holder: the domain is unusable
  startPfn: u64;
  dma32Pfn: u64;
  clockMs: u64;       // the domain's clock (real or virtual), set by the host
  offCounts: u32;
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
  nodesHigh: u32;     // slab indexes below this have been handed out once
  destroyed: u32;
  lastError: u32;
  max32AllocSize: u64;
  allocs: u64;
  frees: u64;
  // [192..256)
  allocFailures: u64;
  freeMisses: u64;    // free of a pfn no range holds: a no-op, but counted
  slabFull: u64;
  reserves: u64;
  pad6: u64;
  pad7: u64;
  pad8: u64;
  pad9: u64;
  // --- magazine slab, guarded by magLock [256..320)
  magLock: u32;
  magWaiters: u32;
  magFreeHead: u32;
  magsUsed: u32;
  magsHigh: u32;
  magLimit: u32;      // fault injection: at most this many magazines out at once
  magAllocFailures: u64;
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
// known without walking, for the cost model) live in a side array, u32 per
// node at offCounts, kept only while the domain counts the walk.
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
  seenOps: u64;       // adaptive: hits + misses + inserts + insertFails at the last reclaim
  idleReclaims: u64;  // adaptive: times this cache sat idle a whole interval and was emptied
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
  pad0: u32;
}

// ╒══════════════ CpuState (one cache line per CPU) ═══════════════╕
// │ alive │ pad │ reserved counters                                 │
// └─────────────────────────────────────────────────────────────────┘
@unmanaged export class CpuState {
  alive: u32;
  pad0: u32;
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

/**
 * The region offsets of a domain of this geometry, computed in 64 bits: with
 * u32 arithmetic 2^22 magazines of 127 pfns wrap past 2^32 and the slab is
 * laid out as a few bytes, overlapping the caches. Returns the total size in
 * bytes and, when `d` is not null, writes the offsets into its header. The
 * host refuses any geometry whose total does not fit its memory before it
 * calls domainInit, so the u32 offsets written here never wrap.
 */
function planLayout(d: Domain | null, cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): u64 {
  let stride: u64 = <u64>MAG_HEADER + <u64>magSize * 8;
  let off: u64 = HEADER_BYTES;
  let offNodes = off;
  off += alignUp((<u64>nodeCap + 2) * NODE_BYTES, CACHE_LINE);
  let offCounts = off;
  off += alignUp((<u64>nodeCap + 2) * 4, CACHE_LINE);
  let offMags = off;
  off += alignUp((<u64>magCap + 1) * stride, CACHE_LINE);
  let offCpuCaches = off;
  off += <u64>cpus * ORDERS * CACHE_LINE;
  let offDepots = off;
  off += <u64>ORDERS * CACHE_LINE;
  let offCpuState = off;
  off += <u64>cpus * CACHE_LINE;
  if (d) {
    d.cpus = cpus;
    d.nodeCap = nodeCap;
    d.magCap = magCap;
    d.magSize = magSize;
    d.magStride = <u32>stride;
    d.offNodes = <u32>offNodes;
    d.offCounts = <u32>offCounts;
    d.offMags = <u32>offMags;
    d.offCpuCaches = <u32>offCpuCaches;
    d.offDepots = <u32>offDepots;
    d.offCpuState = <u32>offCpuState;
    d.totalBytes = <u32>off;
  }
  return off;
}

/** Bytes a domain of this geometry needs (64-bit: may exceed any memory); each region starts on a cache line. */
export function domainBytes(cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): u64 {
  return planLayout(null, cpus, nodeCap, magCap, magSize);
}

/** Writes the geometry and region offsets into a zeroed header. */
export function layoutDomain(d: Domain, cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): void {
  planLayout(d, cpus, nodeCap, magCap, magSize);
}

/** Per-instance scratch header that layoutIntact() plans into, to compare with a domain's. */
const planned = changetype<Domain>(memory.data(HEADER_BYTES, CACHE_LINE));

/**
 * check()'s view of the layout: the header's offsets are the ones its
 * geometry gives, in 64 bits, and the whole domain lies inside the memory.
 * A header whose sizes wrapped, or that was overwritten, fails here.
 */
export function layoutIntact(d: Domain): bool {
  let total = planLayout(planned, d.cpus, d.nodeCap, d.magCap, d.magSize);
  return total == <u64>d.totalBytes
    && <u64>changetype<usize>(d) + total <= (<u64>memory.size() << 16)
    && planned.magStride == d.magStride && planned.offNodes == d.offNodes && planned.offCounts == d.offCounts
    && planned.offMags == d.offMags && planned.offCpuCaches == d.offCpuCaches && planned.offDepots == d.offDepots
    && planned.offCpuState == d.offCpuState;
}

// --- addressing: every region is reached through one of these ---

/** Node i of domain d (i = 0 is the nil sentinel). */
// @ts-ignore: decorator
@inline export function nodeAt(d: Domain, i: u32): Node {
  return changetype<Node>(changetype<usize>(d) + d.offNodes + <usize>i * NODE_BYTES);
}
/** Address of node i's subtree count (only meaningful while counts are kept). */
// @ts-ignore: decorator
@inline export function countPtr(d: Domain, i: u32): usize {
  return changetype<usize>(d) + d.offCounts + (<usize>i << 2);
}
/** Magazine m of domain d (m = 0 means "no magazine" and is never dereferenced). */
// @ts-ignore: decorator
@inline export function magAt(d: Domain, m: u32): Magazine {
  return changetype<Magazine>(changetype<usize>(d) + d.offMags + <usize>m * d.magStride);
}
/** Address of pfns[k] of magazine m. */
// @ts-ignore: decorator
@inline export function magPfnPtr(d: Domain, m: u32, k: u32): usize {
  return changetype<usize>(d) + d.offMags + <usize>m * d.magStride + MAG_HEADER + <usize>k * 8;
}
// @ts-ignore: decorator
@inline export function cpuCacheAt(d: Domain, cpu: u32, order: u32): CpuCache {
  return changetype<CpuCache>(changetype<usize>(d) + d.offCpuCaches + <usize>(cpu * ORDERS + order) * CACHE_LINE);
}
// @ts-ignore: decorator
@inline export function depotAt(d: Domain, order: u32): Depot {
  return changetype<Depot>(changetype<usize>(d) + d.offDepots + <usize>order * CACHE_LINE);
}
// @ts-ignore: decorator
@inline export function cpuStateAt(d: Domain, cpu: u32): CpuState {
  return changetype<CpuState>(changetype<usize>(d) + d.offCpuState + <usize>cpu * CACHE_LINE);
}
/** The domain whose header starts at byte address base. */
// @ts-ignore: decorator
@inline export function domainAt(base: usize): Domain {
  return changetype<Domain>(base);
}
