// Output of `iova fio`: the input shapes the runner fills in, and (re-exported
// from one small module each) the functions that print them the way fio does.

import type { LatencyStats } from '../load/latency.js';
import type { RwMode } from './options.js';

export type { LatencyStats } from '../load/latency.js';
export { DEFAULT_PERCENTILES, LatencyHistogram, latencyStats, percentileKey, percentileRank } from '../load/latency.js';
export { num2str, cFixed, fmtFixed } from './num2str.js';
export { allocatorLine, condensedRunString, etaString, jobStateChar, statusLine } from './status.js';
export { ctime, groupSummary, jobSummary, normalReport, percentileBlock } from './summary.js';
export { jsonReport, jsonText } from './json.js';

/** Latency statistics, plus the histogram bins when json+ output wants them. */
export interface LatencySummary extends LatencyStats {
  /** Non-empty histogram buckets, keyed by bucket value (LatencyHistogram.bins()). */
  bins?: Record<string, number>;
}

/** min/max/mean/stdev of periodic samples (fio's bw_stat / iops_stat). */
export interface SampleStats {
  min: number;
  max: number;
  mean: number;
  stdev: number;
  samples: number;
}

/** One data direction of one job. Latencies in ns. */
export interface DirResult {
  ioBytes: number;
  totalIos: number;
  runtimeMs: number;
  slat?: LatencySummary;
  clat?: LatencySummary;
  lat?: LatencySummary;
  /** Bandwidth samples in KiB/s, one per status interval. */
  bwSamples?: SampleStats;
  iopsSamples?: SampleStats;
}

/** Our allocator counters for one job (or summed over a group). */
export interface IovaCounters {
  /** Latency of each map (IOVA alloc) call, ns. */
  map: LatencySummary;
  /** Latency of each unmap (IOVA free) call, ns. */
  unmap: LatencySummary;
  cacheHits: number;
  cacheMisses: number;
  depotFullEvents: number;
  /** Nodes in the rbtree when the job ended. */
  treeSize: number;
  /** Flush-queue flushes (non-strict mode). */
  flushes?: number;
  /** Allocations that failed (address space exhausted). */
  allocFailures?: number;
}

export interface JobResult {
  name: string;
  groupid: number;
  /** Threads folded into this result (fio's "jobs=N"). */
  members: number;
  error: number;
  pid: number;
  /** When the job finished; printed as C's ctime() in local time. */
  time: Date;
  read?: DirResult;
  write?: DirResult;
  trim?: DirResult;
  iova?: IovaCounters;
  /** Option text for JSON's "job options". */
  options?: Record<string, string>;
}

/** One job's letter in the status line comes from its state and pattern. */
export type JobRunState =
  | 'pending' | 'setup' | 'ramp' | 'running' | 'finishing' | 'exited' | 'finished' | 'error' | 'killed';

export interface StatusJob {
  state: JobRunState;
  rw: RwMode;
  rwmixread?: number;
}

/** Rates are per second over the last status interval. */
export interface StatusSnapshot {
  jobs: readonly StatusJob[];
  /** fio's "f=": open files; default: one per running job. */
  filesOpen?: number;
  elapsedSec: number;
  /** Seconds left; negative when unknown. */
  etaSec: number;
  bytesPerSec: { read: number; write: number; trim: number };
  iops: { read: number; write: number; trim: number };
  /** Sum of the running jobs' rate caps (rate, rate_iops), when any is set. */
  rateCap?: { bytesPerSec: number; iops: number };
}

/** The allocator's global state, as the kernel debug thread prints it. */
export interface AllocatorState {
  cpuTotal: number;
  depotTotal: number;
  /** Defaults to cpuTotal + depotTotal. */
  total?: number;
  tree: number;
}
