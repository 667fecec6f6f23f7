// The simulator's state in shared memory (the host's bytes after a domain):
// one Sim header, then its arrays. This is the load model, not the kernel:
// fio-like jobs, a device, a virtual clock and what the kernel's work costs
// on it. The kernel's work itself is the core's (tree, caches, flush queue,
// dma-iommu), called directly from the event loop.
//
// ╒═ Sim header ══════════════════════════════════════════════════════════╕
// │ geometry, region offsets, P (f64 parameters), totals, interval counts │
// ├═ per CPU: busy-until f64, socket u32, interrupt CPU u32, jobs u32      │
// ├═ per job: CPU u32, next migration f64, device free-at f64, a random    │
// │           stream per kind of draw u64 x Stream.COUNT (random.ts)      │
// ├═ per slot: job u32, phase u32, submitted-at f64, segments u32, I/Os   │
// │            u32, completion CPU u32; segments (pfn u64, pages u64) x   │
// │            segsMax                                                    │
// ├═ event queue: the loser tree of queue.ts (a key per node)             │
// ├═ locks: tree, depot[ORDERS], flush queue[cpus] (Lock, one line each)  │
// ├═ histograms: map, unmap, clat                                         │
// ├═ block sizes: (bytes f64, cumulative probability f64) x entries       │
// ├═ reserved ranges: (lo u64, hi u64) x reserved                        │
// └═ merged requests' I/O-count thresholds (merge.ts): T f64 x MERGE_TABLE, ┘
//    T + GUARD f64 x (MERGE_TABLE + 2), a start count u8 x MERGE_BUCKETS

import { ORDERS, CACHE_LINE } from "../layout";
import { queueBytes } from "./queue";
import { Stream } from "./random";

/**
 * f64 parameters, by index into Sim's P array. The host writes them by these
 * names, read from the module's exports (src/wasm/codes.ts: SimParam).
 */
export enum SimParam {
  segBytes = 0,
  dmaLimitPfn,
  durationNs,
  tickNs,
  reclaimMs,
  migrateNs,
  submitNs,
  completeNs,
  magazineNs,
  treeAllocNs,
  walkNodeNs,
  treeFreeNs,
  fastFailNs,
  lockNs,
  lockHandoffNs,
  lockHandoffRemoteNs,
  depotNs,
  iotlbFlushNs,
  deviceBaseNs,
  nsPerByte,
  deviceJitter,
  fqEntryNs,
  retryNs,
  /** Merged requests (bsKind 3): ln of the chance that one more I/O joins a request. */
  mergeLogP,
  /**
   * Mechanism switches (ablations), 1 the kernel's behaviour. timerDrainAll:
   * fq_flush_timeout drains every CPU's ring on the timer's CPU (v5.10
   * iova.c); 0: each ring is drained on its own CPU, into its own caches.
   */
  timerDrainAll,
  /** Lock waits modelled, a bit per lock class (LockClass): all set is the default; a clear bit lets that class's holds overlap. */
  contendedLocks,
  /**
   * Share of merged requests whose map runs on a kblockd worker (an async
   * run of the hardware queue, blk_mq_run_hw_queue(hctx, true) in v5.10
   * block/blk-mq.c) instead of the submitting CPU: on the hctx's CPUs in
   * turn, 8 runs each (blk_mq_hctx_next_cpu, BLK_MQ_CPU_WORK_BATCH). 0: every
   * map on its job's CPU. An experiment: no source gives the thread's rate.
   */
  kblockdShare,
  COUNT,
}

/** Bits of SimParam.contendedLocks, one per lock class (the host reads them: src/wasm/codes.ts). */
export enum LockClass {
  TREE = 1,
  DEPOT = 2,
  FQ = 4,
}

/**
 * Per-run totals and per-interval counts, by index into Sim's T array; the
 * host reads them by these names (src/wasm/codes.ts: SimTotal).
 */
export enum SimTotal {
  ios = 0,
  drainedIos,
  maps,
  mapFailures,
  migrations,
  fastFails,
  failedWalks,
  failedWalkNodes,
  fallbacks64,
  strictInvalidations,
  mapNs,
  depotLooks,
  COUNT,
}

/** Locks of the model: their index in the lock array. */
export namespace L {
  // @ts-ignore: decorator
  @inline export const TREE: u32 = 0;
  /** depot lock of order o: DEPOT + o. */
  // @ts-ignore: decorator
  @inline export const DEPOT: u32 = 1;
  /** flush-queue lock of CPU c: FQ + c. */
  // @ts-ignore: decorator
  @inline export const FQ: u32 = 1 + ORDERS;
}

/** One lock of the model: who held it last, until when, and what it cost. */
@unmanaged export class Lock {
  heldNs: f64;       // whole run
  waitNs: f64;
  iHeld: f64;        // this interval
  iWait: f64;
  acquisitions: f64;
  handoffs: f64;     // acquisitions from a CPU other than the last holder
  since: f64;        // when the current holder got it (between acquire and release)
  lastCpu: i32;      // -1: never held
  booked: u32;       // holds in the booking (clock.ts: BOOKED_AT, at most BOOKED)
  maxHeld: f64;      // the longest single hold
  kwHolds: f64;      // holds by the kworker (the domain clock's policy work: CPU index cpus)
  kwHeld: f64;
  kwMaxHeld: f64;
  floor: f64;        // every hold dropped from the booking ended by then (clock.ts)
  floorCpu: i32;     // 1 + the holder of the latest dropped hold (0: none dropped)
  head: u32;         // the earliest booked hold's place in the booking's ring (clock.ts)
  floorWaits: f64;   // holds whose start the floor put later than their arrival (clock.ts hold)
  floorWaitNs: f64;  // the ns by which the floor put them later (floor - arrival)
  // then the booking, a ring from head: BOOKED holds' start and end (f64 pairs), then their CPUs (i32), clock.ts
}

/** Histogram: fio's log-linear plat buckets, 6 bits (as src/sim/histogram.ts). */
// @ts-ignore: decorator
@inline export const HIST_BITS: u32 = 6;
// @ts-ignore: decorator
@inline export const HIST_BUCKETS: u32 = 29 << 6;
/** n, min, max, sum, sumSq, then the buckets, all f64. */
// @ts-ignore: decorator
@inline export const HIST_HEAD: u32 = 5;
// @ts-ignore: decorator
@inline export const HIST_BYTES: u32 = (HIST_HEAD + HIST_BUCKETS) * 8;

export namespace H {
  // @ts-ignore: decorator
  @inline export const MAP: u32 = 0;
  // @ts-ignore: decorator
  @inline export const UNMAP: u32 = 1;
  // @ts-ignore: decorator
  @inline export const CLAT: u32 = 2;
}

// @ts-ignore: decorator
@inline export const PH_SUBMIT: u32 = 0;
// @ts-ignore: decorator
@inline export const PH_COMPLETE: u32 = 1;
/** A merged request (bsKind 3) whose reads are submitted: it maps at this event. */
// @ts-ignore: decorator
@inline export const PH_MAP: u32 = 2;

@unmanaged export class Sim {
  domain: u32;
  fq: u32;
  cpus: u32;
  jobs: u32;
  iodepth: u32;
  slots: u32;
  segsMax: u32;
  strict: u32;
  pci: u32;
  serial: u32;       // a job's device moves one transfer at a time
  bsKind: u32;       // 0 fixed, 1 range, 2 table, 3 merged requests (bsFixed a unit, bsSteps the most units)
  bsEntries: u32;
  nReserved: u32;
  timerOn: u32;      // the model's copy of "a TIMER event is pending"
  finished: u32;
  offCpu: u32;
  offJob: u32;
  offSlot: u32;
  offSegs: u32;
  offQueue: u32;
  offLocks: u32;
  offHists: u32;
  offBs: u32;
  offReserved: u32;
  offMerge: u32;
  mergeEntries: u32; // thresholds in the merged-request table (merge.ts)
  totalBytes: u32;
  nextMigrateNs: f64; // the earliest job's next migration (loop.ts migrateDue); Infinity: none before the duration
  nowNs: f64;         // the simulated present: the time of the event being handled (clock.ts book)
  timerAt: f64;
  nextTickNs: f64;
  bsFixed: f64;
  bsMin: f64;
  bsSteps: f64;
  window32Used: f64; // written by simWindow32
  lowestPfn32: f64;
}

// Per-CPU record: busy-until f64, socket u32, irq CPU u32, jobs on it u32,
// async runs of the hctx whose irq CPU this is u32 (blk_mq_hctx_next_cpu's turn).
// @ts-ignore: decorator
@inline export const CPU_BYTES: u32 = 24;
// Per-job record: CPU u32, pad, next migration f64, device free-at f64, then
// the job's random streams (random.ts Stream), a u64 state each at JOB_STREAMS.
// @ts-ignore: decorator
@inline export const JOB_STREAMS: u32 = 24;
// @ts-ignore: decorator
@inline export const JOB_BYTES: u32 = JOB_STREAMS + 8 * <u32>Stream.COUNT;
// Per-slot record: job u32, phase u32, submitted-at f64, segments u32, I/Os it stands for u32,
// completion CPU u32 (the interrupt CPU of the CPU that mapped it), pad.
// @ts-ignore: decorator
@inline export const SLOT_BYTES: u32 = 32;
// @ts-ignore: decorator
@inline export const LOCK_BYTES: u32 = 768;  // the fields (128 bytes), then clock.ts's booking of BOOKED (32) holds (640)
// @ts-ignore: decorator
@inline export const SIM_HEADER: u32 = 704;  // the fields, then P at P_OFF (32 f64), T at T_OFF (24 f64), the scratch
// @ts-ignore: decorator
@inline export const P_OFF: u32 = 192;        // P array inside the header
// @ts-ignore: decorator
@inline const P_SLOTS: u32 = 32;
// @ts-ignore: decorator
@inline const T_SLOTS: u32 = 24;
// @ts-ignore: decorator
@inline export const T_OFF: u32 = P_OFF + 8 * P_SLOTS;  // T array: totals (whole run), then the interval's copy
/** Scratch u64 x 8 for the clock's snapshots (per-order depot counts). */
// @ts-ignore: decorator
@inline export const SCRATCH_OFF: u32 = T_OFF + 8 * T_SLOTS;

/** Thresholds of the merged requests' draw (merge.ts): counts up to MERGE_TABLE + 1 come from the table. */
// @ts-ignore: decorator
@inline export const MERGE_TABLE: u32 = 64;
/** Buckets of u in [0, 1) for the draw's start count (merge.ts): a power of two, so that u * MERGE_BUCKETS is exact. */
// @ts-ignore: decorator
@inline export const MERGE_BUCKETS: u32 = 1024;
// @ts-ignore: decorator
@inline const MERGE_BYTES: u32 = MERGE_TABLE * 8 + (MERGE_TABLE + 2) * 8 + MERGE_BUCKETS;

// @ts-ignore: decorator
@inline function line(x: u32): u32 { return (x + CACHE_LINE - 1) & ~(CACHE_LINE - 1); }

/** Bytes of a Sim for this geometry. */
export function simBytes(cpus: u32, jobs: u32, iodepth: u32, segsMax: u32, bsEntries: u32, nReserved: u32): u32 {
  if (<u32>SimParam.COUNT > P_SLOTS || <u32>(2 * SimTotal.COUNT) > T_SLOTS || SCRATCH_OFF + 64 > SIM_HEADER) ERROR("Sim header: P, T or the scratch overflow");
  let slots = jobs * iodepth;
  let n: u32 = SIM_HEADER;
  n += line(cpus * CPU_BYTES);
  n += line(jobs * JOB_BYTES);
  n += line(slots * SLOT_BYTES);
  n += line(slots * segsMax * 16);
  n += line(queueBytes(slots));
  n += (1 + ORDERS + cpus) * LOCK_BYTES;
  n += 3 * line(HIST_BYTES);
  n += line(bsEntries * 16);
  n += line(nReserved * 16);
  n += line(MERGE_BYTES);
  return n;
}

export function layoutSim(s: Sim, cpus: u32, jobs: u32, iodepth: u32, segsMax: u32, bsEntries: u32, nReserved: u32): void {
  let slots = jobs * iodepth;
  s.cpus = cpus; s.jobs = jobs; s.iodepth = iodepth; s.slots = slots; s.segsMax = segsMax;
  s.bsEntries = bsEntries; s.nReserved = nReserved;
  let n: u32 = SIM_HEADER;
  s.offCpu = n; n += line(cpus * CPU_BYTES);
  s.offJob = n; n += line(jobs * JOB_BYTES);
  s.offSlot = n; n += line(slots * SLOT_BYTES);
  s.offSegs = n; n += line(slots * segsMax * 16);
  s.offQueue = n; n += line(queueBytes(slots));
  s.offLocks = n; n += (1 + ORDERS + cpus) * LOCK_BYTES;
  s.offHists = n; n += 3 * line(HIST_BYTES);
  s.offBs = n; n += line(bsEntries * 16);
  s.offReserved = n; n += line(nReserved * 16);
  s.offMerge = n; n += line(MERGE_BYTES);
  s.totalBytes = n;
}

// --- addressing
// @ts-ignore: decorator
@inline export function simAt(addr: usize): Sim { return changetype<Sim>(addr); }
// @ts-ignore: decorator
@inline export function pAt(s: Sim, i: u32): f64 { return load<f64>(changetype<usize>(s) + P_OFF + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline export function tPtr(s: Sim, i: u32): usize { return changetype<usize>(s) + T_OFF + (<usize>i << 3); }
/** The interval's copy of total i. */
// @ts-ignore: decorator
@inline export function iPtr(s: Sim, i: u32): usize { return changetype<usize>(s) + T_OFF + ((<usize>(SimTotal.COUNT + i)) << 3); }
// @ts-ignore: decorator
@inline export function bump(s: Sim, i: u32, by: f64): void {
  let p = tPtr(s, i);
  store<f64>(p, load<f64>(p) + by);
  let q = iPtr(s, i);
  store<f64>(q, load<f64>(q) + by);
}
// @ts-ignore: decorator
@inline export function cpuPtr(s: Sim, c: u32): usize { return changetype<usize>(s) + s.offCpu + <usize>c * CPU_BYTES; }
// @ts-ignore: decorator
@inline export function jobPtr(s: Sim, j: u32): usize { return changetype<usize>(s) + s.offJob + <usize>j * JOB_BYTES; }
/** The state of job j's random stream of this kind (random.ts Stream). */
// @ts-ignore: decorator
@inline export function streamPtr(s: Sim, j: u32, kind: u32): usize { return jobPtr(s, j) + JOB_STREAMS + (<usize>kind << 3); }
// @ts-ignore: decorator
@inline export function slotPtr(s: Sim, k: u32): usize { return changetype<usize>(s) + s.offSlot + <usize>k * SLOT_BYTES; }
// @ts-ignore: decorator
@inline export function segPtr(s: Sim, k: u32): usize { return changetype<usize>(s) + s.offSegs + <usize>(k * s.segsMax) * 16; }
// @ts-ignore: decorator
@inline export function lockAt(s: Sim, i: u32): Lock { return changetype<Lock>(changetype<usize>(s) + s.offLocks + <usize>i * LOCK_BYTES); }
// @ts-ignore: decorator
@inline export function histPtr(s: Sim, h: u32): usize { return changetype<usize>(s) + s.offHists + <usize>h * line(HIST_BYTES); }
// @ts-ignore: decorator
@inline export function bsPtr(s: Sim, i: u32): usize { return changetype<usize>(s) + s.offBs + <usize>i * 16; }
// @ts-ignore: decorator
@inline export function reservedPtr(s: Sim, i: u32): usize { return changetype<usize>(s) + s.offReserved + <usize>i * 16; }
// @ts-ignore: decorator
@inline export function mergePtr(s: Sim, i: u32): usize { return changetype<usize>(s) + s.offMerge + (<usize>i << 3); }
/** Threshold i plus the draw's guard (0 <= i < MERGE_TABLE + 2; Infinity past the table's entries). */
// @ts-ignore: decorator
@inline export function mergeUpPtr(s: Sim, i: u32): usize { return changetype<usize>(s) + s.offMerge + MERGE_TABLE * 8 + (<usize>i << 3); }
/** Bucket b's start count: the thresholds i with T[i] + guard <= b / MERGE_BUCKETS. */
// @ts-ignore: decorator
@inline export function mergeStartPtr(s: Sim, b: u32): usize { return changetype<usize>(s) + s.offMerge + MERGE_TABLE * 8 + (MERGE_TABLE + 2) * 8 + <usize>b; }
