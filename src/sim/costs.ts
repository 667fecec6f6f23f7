// The cost model of the load simulator: every figure the virtual clock
// charges, in one place. docs/cost-model.md says where each comes from
// (../shared/anchors.md: the kernel's own C code, measured in userspace).
//
// Times are nanoseconds of simulated time. Only the cache and tree figures
// come from measurement; the driver, IOTLB and device figures are round
// numbers of the right order for a many-core arm64/x86 server with SAS or
// NVMe SSDs, and are options so a reader can try their own.

export interface CostModel {
  /** CPU time of the driver and block layer to submit one I/O (without the IOVA work). */
  submitNs: number;
  /** CPU time of the completion path of one I/O (interrupt, block layer; without the unmap). */
  completeNs: number;
  /** One alloc_iova_fast or free_iova_fast served by a magazine (or one flush-queue entry). */
  magazineNs: number;
  /** Fixed part of one tree allocation (alloc_iova: lock, node, insert, rebalance). */
  treeAllocNs: number;
  /** Each node the kernel's backward walk visits (rb_prev and the fit test). */
  walkNodeNs: number;
  /** One free to the tree (find, erase, rebalance) under the tree lock. */
  treeFreeNs: number;
  /** One max32_alloc_size fast-fail: a tree-lock round trip that walks nothing (under the tree lock). */
  fastFailNs: number;
  /** Taking and releasing any lock of the model once, uncontended. */
  lockNs: number;
  /** Added when a lock's last holder was another CPU of the same socket (its line and data move). */
  lockHandoffNs: number;
  /** The same when the last holder was on another socket. */
  lockHandoffRemoteNs: number;
  /** Each depot push, pop, depot-full event or look at an empty depot, under the depot lock of its order. */
  depotNs: number;
  /** queue_iova's own work for one entry, under the CPU's flush-queue lock (the entries it frees cost magazineNs each). */
  fqEntryNs: number;
  /** One IOTLB invalidation with sync: per unmap when strict, per domain flush when not. */
  iotlbFlushNs: number;
  /** Device service time before the transfer: the latency of a 4 KiB read. */
  deviceBaseNs: number;
  /** Transfer rate of each job's device, bytes per second. */
  deviceBytesPerSec: number;
  /** Spread of the device latency: each I/O's is scaled by 1 + jitter * (u - 1/2), u uniform in [0, 1). */
  deviceJitter: number;
  /**
   * 1: each job's device moves one transfer at a time, so bytes / bandwidth
   * queue behind each other and the bandwidth caps the job's throughput.
   * 0: every I/O takes base + bytes / bandwidth regardless of the others.
   */
  deviceSerialTransfers: number;
}

/**
 * Anchors (../shared/anchors.md, kernel C code, one thread):
 *  - alloc_iova_fast + free_iova_fast through warm magazines: 16.5 ns a pair
 *    (16.8 ns with the 5.10 caches): about 8 ns each; we charge 10.
 *  - alloc_iova + __free_iova, size 1: 37 ns a pair at 1e3 ranges, 44 ns at
 *    1e4, 101 ns at 1e5, 125 ns at 1e6: 60 ns each for the fixed part is
 *    at the top of that range, as befits a lock that bounces between CPUs.
 *  - random sizes 1..64, where the walk dominates: 10.1 us a pair at 1e4
 *    ranges, 91 us at 1e5: 0.9 to 1.0 ns per node visited.
 */
export const MAGAZINE_NS = 10;
export const TREE_ALLOC_NS = 60;
export const WALK_NODE_NS = 0.9;
export const TREE_FREE_NS = 60;

/** Round figures, not measurements (see docs/cost-model.md). */
export const SUBMIT_NS = 1_000;
export const COMPLETE_NS = 1_000;
export const IOTLB_FLUSH_NS = 2_000;
export const DEVICE_BASE_NS = 50_000;
export const DEVICE_BYTES_PER_SEC = 1e9;
export const DEVICE_JITTER = 0.2;
export const DEVICE_SERIAL_TRANSFERS = 1;

/**
 * Lock figures (../shared/anchors.md, the kernel's C code): a repeated
 * max32_alloc_size fast-fail costs 19 ns. The measured per-operation
 * figures above include their own uncontended lock, so lockNs adds
 * nothing by default; hand-offs default to 0 (no contention cost) and
 * depot operations to 0 (inside magazineNs) until a study sets them.
 */
export const FAST_FAIL_NS = 19;
export const LOCK_NS = 0;
export const LOCK_HANDOFF_NS = 0;
export const LOCK_HANDOFF_REMOTE_NS = 0;
export const DEPOT_NS = 0;
/** As the engine charged each flush-queue entry before: one magazine-sized step. */
export const FQ_ENTRY_NS = MAGAZINE_NS;

export const DEFAULT_COSTS: Readonly<CostModel> = Object.freeze({
  submitNs: SUBMIT_NS,
  completeNs: COMPLETE_NS,
  magazineNs: MAGAZINE_NS,
  treeAllocNs: TREE_ALLOC_NS,
  walkNodeNs: WALK_NODE_NS,
  treeFreeNs: TREE_FREE_NS,
  fastFailNs: FAST_FAIL_NS,
  lockNs: LOCK_NS,
  lockHandoffNs: LOCK_HANDOFF_NS,
  lockHandoffRemoteNs: LOCK_HANDOFF_REMOTE_NS,
  depotNs: DEPOT_NS,
  fqEntryNs: FQ_ENTRY_NS,
  iotlbFlushNs: IOTLB_FLUSH_NS,
  deviceBaseNs: DEVICE_BASE_NS,
  deviceBytesPerSec: DEVICE_BYTES_PER_SEC,
  deviceJitter: DEVICE_JITTER,
  deviceSerialTransfers: DEVICE_SERIAL_TRANSFERS,
});

/** Flush queue geometry of drivers/iommu/iova.c (v5.10). */
export const IOVA_FQ_SIZE = 256;
export const IOVA_FQ_TIMEOUT_MS = 10;

export function resolveCosts(partial: Partial<CostModel> = {}): CostModel {
  const out = { ...DEFAULT_COSTS } as CostModel;
  for (const [k, v] of Object.entries(partial)) {
    if (!(k in DEFAULT_COSTS)) throw new RangeError(`unknown cost ${JSON.stringify(k)} (known: ${Object.keys(DEFAULT_COSTS).join(", ")})`);
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new RangeError(`cost ${k} must be a finite number >= 0, got ${String(v)}`);
    (out as unknown as Record<string, number>)[k] = v;
  }
  if (out.deviceBytesPerSec <= 0) throw new RangeError("cost deviceBytesPerSec must be > 0");
  if (out.deviceSerialTransfers !== 0 && out.deviceSerialTransfers !== 1) throw new RangeError("cost deviceSerialTransfers must be 0 or 1");
  if (out.deviceJitter > 1.9) throw new RangeError("cost deviceJitter must be at most 1.9 (device times stay positive)");
  return out;
}
