// The cost model of the thread's machine: what the study charges instead of
// the engine's defaults (src/sim/costs.ts, which are hot-cache figures of a
// small tree on one thread). Each figure is taken from ../shared/anchors.md
// (the kernel's own C code, measured on large, scattered and cold trees and
// with contended locks) or from the thread, or is marked a guess.
import { DEFAULT_COSTS, type CostModel } from "../sim/costs.js";

export interface CostRow {
  /** A field of the engine's CostModel. */
  field: string;
  ns: number;
  source: string;
  guess: boolean;
}

const A = "anchors.md";

export const THREAD_COST_ROWS: readonly CostRow[] = [
  { field: "submitNs", ns: 7_400, guess: false,
    source: "per fio I/O (a 4 KiB read), charged once for each read a request holds: the thread's CPU-bound rate, 12 jobs at 1616K IOPS, is 7.43 us of a job's CPU per read (fio, io_submit and io_getevents, the bio, its share of the request, SCSI and hisi_sas delivery); the map the model charges per request on top is tens of ns" },
  { field: "completeNs", ns: 2_000, guess: true,
    source: "per request, not measured: the interrupt thread, SCSI/block completion and the aio events of its reads on the completion CPU, without the unmap" },
  { field: "magazineNs", ns: 12, guess: false,
    source: `${A}: alloc_iova_fast + free_iova_fast freed on the other core, v5.10: 15.2/14.9 ns a pair (7.5 each), plus the irq save/restore the stand-in lock leaves out (pushf+popf 4.9 ns)` },
  { field: "treeAllocNs", ns: 800, guess: false,
    source: `${A}: alloc_iova, short walk (size 1), data-cold 794/812 ns: the lock, a node from the slab, the insert and rebalance on a 9e4-node scattered tree` },
  { field: "walkNodeNs", ns: 125, guess: false,
    source: `${A}: walk per node visited at 9e4 nodes, data-cold 119/130 ns (cold 119-133, scattered 22-142): every rb_prev a cache miss, as on a tree scattered over a slab by hours of use` },
  { field: "treeFreeNs", ns: 1_150, guess: false,
    source: `${A}: v5.10 depot-full, a magazine of 128 pfns freed to the tree, data-cold 144/153 us: 1.1-1.2 us per pfn (find and erase). A lone free_iova with the whole tree evicted takes 2.7-2.8 us; under this load the tree's upper levels stay warm` },
  { field: "fastFailNs", ns: 19, guess: false, source: `${A}: the max32_alloc_size fast-fail, repeated: 19 ns (lock round trip)` },
  { field: "lockNs", ns: 7.1, guess: false,
    source: `${A}: spin_lock_irqsave-like pair uncontended: CAS acquire + release store 2.19 ns, plus pushf+popf 4.92 ns` },
  { field: "lockHandoffNs", ns: 90, guess: false,
    source: `${A}: 100 ns critical section with both cores hammering a FIFO lock: a hand-off adds 89-92 ns when the data shares the lock's line, as iova_domain's first line does` },
  { field: "lockHandoffRemoteNs", ns: 650, guess: true,
    source: `${A}: estimate, not a measurement: 2-4 line transfers at the published Kunpeng 920 / 2-socket socket-to-socket latencies give 0.4-0.9 us; the middle` },
  { field: "depotNs", ns: 30, guess: false,
    source: `${A}: rcache->lock (plain spin_lock, irqs already off): CAS pair 2.19 ns plus one cache-line transfer 28 ns, the depot's line last written by another CPU` },
  { field: "fqEntryNs", ns: 12, guess: true,
    source: "not measured: queue_iova's own work per entry (lock, ring write) taken equal to a magazine operation" },
  { field: "iotlbFlushNs", ns: 2_000, guess: true,
    source: "not measured here: an SMMUv3 TLBI + CMD_SYNC round trip (non-strict: once per 10 ms timer or full queue, so it barely counts; strict: per unmap)" },
  { field: "deviceBaseNs", ns: 100_000, guess: true,
    source: "a SAS SSD's 4 KiB read; any value under iodepth x submitNs (237 us) leaves the CPUs setting the rate, as on the thread's machine" },
  { field: "deviceBytesPerSec", ns: 1.2e9, guess: false, source: "one 12 Gb/s SAS-3 lane (8b/10b): 1.2 GB/s" },
  { field: "deviceSerialTransfers", ns: 0, guess: true, source: "each job reads from its own disks; transfers do not queue behind each other" },
  { field: "deviceJitter", ns: 0.2, guess: true, source: "device latency spread of +-10%" },
];

/**
 * The thread's cost model as engine overrides. Rows for fields this engine
 * does not have are left out (the engine refuses unknown costs).
 */
export function threadCosts(): Partial<CostModel> {
  const out: Record<string, number> = {};
  for (const r of THREAD_COST_ROWS) if (r.field in DEFAULT_COSTS) out[r.field] = r.ns;
  return out as Partial<CostModel>;
}
