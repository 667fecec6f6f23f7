// What one simulated run returns (simulate() in engine.ts): its configuration,
// series and samples, totals, lock figures, latencies and the books' verdict.
import type { KernelEra } from "../domain/era.js";
import type { LatencyStats } from "../load/latency.js";
import type { PolicySeries } from "../report/types.js";
import type { SimConfig } from "./options.js";
import type { CacheDump, SimDiagnostics, SimSamples } from "./sampling.js";

export interface SimCounters {
  /** I/Os completed within the run (the iops series sums to this over the interval). */
  ios: number;
  /** I/Os that were in flight when submission stopped, completed while draining. */
  drainedIos: number;
  /** IOVAs mapped (segments). */
  maps: number;
  /** Submissions that found no IOVA space (retried 10 us later). */
  mapFailures: number;
  treeAllocs: number;
  treeFrees: number;
  /** Nodes the kernel's walk would have visited, summed over the run. */
  walkSteps: number;
  /** max32_alloc_size fast-fails, failed 32-bit walks (and their nodes), 64-bit fallbacks. */
  fastFails: number;
  failedWalks: number;
  failedWalkNodes: number;
  fallbacks64: number;
  /** Domain flushes from a full flush queue. */
  fqFullFlushes: number;
  /** Flush-queue entries freed on a CPU other than the one that queued them (the timer's one-CPU drain). */
  fqForeignFrees: number;
  fqTimerFirings: number;
  /** IOTLB invalidations: one per strict unmap, one per domain flush. */
  iotlbFlushes: number;
  migrations: number;
  /** Simulated ns the tree lock was held, and waited for (summed over CPUs). */
  treeLockHeldNs: number;
  treeLockWaitNs: number;
  /** The longest single hold of the tree lock (simulated ns), by anyone. */
  treeLockMaxHoldNs: number;
  /**
   * The tree-lock holds of the domain clock's policy work on the kworker
   * (linux-6.4's depot work, adaptive's reclaim slices): how many, their
   * total and the longest (simulated ns).
   */
  policyTreeHolds: number;
  policyTreeHeldNs: number;
  policyTreeMaxHoldNs: number;
  cacheHits: number;
  cacheMisses: number;
  magazineAllocFailures: number;
  depotFullEvents: number;
  magsFreedToTree: number;
}

/** One lock over the whole run (simulated ns). */
export interface LockTotals {
  heldNs: number;
  waitNs: number;
  acquisitions: number;
  handoffs: number;
  /** Holds whose start the booking's floor put after their arrival (assembly/sim/clock.ts hold), and by how many ns in all (part of waitNs). */
  floorWaits: number;
  floorWaitNs: number;
}

export interface BooksCheck {
  ok: boolean;
  /** IOVAs still mapped by I/Os after the drain (must be 0). */
  live: number;
  /** Entries still in flush queues after the drain (must be 0). */
  fqPending: number;
  treeRanges: number;
  cachedPfns: number;
  /** domain.check()'s complaint, or null. */
  checkError: string | null;
  problems: string[];
}

export interface SimResult {
  config: SimConfig;
  /** The kernel era the domain ran on (the tree and flush path). */
  era: KernelEra;
  series: PolicySeries;
  /** print_iova1/print_iova2-style snapshots, about DUMPS_PER_RUN per run. */
  dumps: CacheDump[];
  /** Extra per-sample series for diagnosis, aligned with series.t. */
  diagnostics: SimDiagnostics;
  /** The aging study's instrumentation, per sample. */
  samples: SimSamples;
  counters: SimCounters;
  locks: { tree: LockTotals; depot: LockTotals[]; fq: LockTotals };
  /** Simulated ns: map (submit to mapped), unmap (completion to unmapped), clat (submit to unmapped). */
  latency: { map: LatencyStats; unmap: LatencyStats; clat: LatencyStats };
  books: BooksCheck;
  /** Simulated time run: config.durationMs, or less when options.stop cut the run short. */
  simulatedSeconds: number;
  /** options.stop ended the run before config.durationMs. */
  stopped: boolean;
  wallSeconds: number;
  /**
   * The engine's measured speed, on the one thread that ran it: I/Os (fio
   * blocks of bs: one 4 KiB read by default) completed, drain included, per
   * wall second of this run.
   */
  simIosPerWallSecond: number;
  /**
   * On-CPU seconds of the thread that ran it, setup to books as wallSeconds
   * (src/sim/thread-cpu.ts; NaN where the system does not say): unlike the
   * wall clock, not the time other threads held its core.
   */
  cpuSeconds: number;
  /** The I/Os of simIosPerWallSecond per cpuSeconds: the speed per core (NaN where cpuSeconds is). */
  simIosPerCpuSecond: number;
  /** Requests completed (drain included): a merged request carries several I/Os, each one map, one IOVA, one completion. */
  requests: number;
  /** requests per wall second of this run. */
  simRequestsPerWallSecond: number;
}

/** The books' verdict in one line, naming the policy (for logs and errors). */
export function booksMessage(result: Pick<SimResult, "config" | "books">): string {
  return result.books.ok
    ? `iova sim (${result.config.policy}): books balance`
    : `iova sim (${result.config.policy}): books do not balance after the drain: ${result.books.problems.join("; ")}`;
}
