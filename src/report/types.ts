// Shape of the aging-study JSON document: the same storage load run under
// several depot policies on a virtual clock, one time series per policy.

export interface StudyMeta {
  tool: string;
  version: string;
  date: string;
  node: string;
  machine: string;
  seed: number;
  simulatedSeconds: number;
  wallSeconds: number;
  /** The run was stopped early (SIGINT): the policies and times are what ran. */
  interrupted?: boolean;
  /**
   * The simulator's measured speed over all runs, per core (each run is one
   * thread; runWallSeconds is the sum of the runs' wall times): I/Os (fio
   * blocks of ioSize, one 4 KiB read by default) and requests (a merged
   * request carries several I/Os: one map, one IOVA, one completion) per
   * wall second of a run. cpuSeconds is the sum of the sim threads' own
   * on-CPU time and simIosPerCpuSecond the I/Os per second of it: the speed
   * of one core, whatever else ran at the same time (absent where a thread
   * could not read its CPU time).
   */
  speed?: {
    ios: number; requests?: number; ioSize?: string; runWallSeconds: number;
    simIosPerWallSecond: number; simRequestsPerWallSecond?: number;
    cpuSeconds?: number; simIosPerCpuSecond?: number;
  };
  config: Record<string, unknown>;
}

/** All arrays have the same length: one sample per interval. */
export interface PolicySeries {
  /** simulated seconds */
  t: number[];
  iops: number[];
  /** IOVAs (magazine entries, one pfn each) held in all CPU magazines + depots */
  cachedTotal: number[];
  /** IOVAs in CPU magazines */
  cpuTotal: number[];
  /** IOVAs in depots */
  depotTotal: number[];
  /** ranges in the rbtree */
  treeSize: number[];
  /** [order 0..5][sample]: magazines in the depot per size order */
  depotMags: number[][];
  /** cumulative */
  depotFullEvents: number[];
  /** cumulative */
  magsFreedToTree: number[];
  /** cumulative */
  fqTimerFirings: number[];
  /** max flush-queue depth seen in the interval */
  fqDepthMax: number[];
}

export interface PolicySummary {
  iopsStart: number;
  iopsEnd: number;
  worst10s: number;
  peakCached: number;
  peakTree: number;
  cliff: boolean;
  cliffAt: number | null;
}

/**
 * Per-sample instrumentation the report draws when present, aligned with
 * series.t. Every field is optional: a run records what its engine measures.
 */
export interface PolicyInstruments {
  /** Mean nodes the kernel's walk visited per tree allocation in the interval. */
  walkPerTreeAlloc?: number[];
  /** Fraction of the interval the tree lock (iova_rbtree_lock) was held. */
  treeLockBusy?: number[];
  /** Summed wait for the tree lock / interval length (CPUs waiting on average). */
  treeLockWait?: number[];
  /** Fraction of the interval the depot locks (all orders) were held. */
  depotLockBusy?: number[];
  /** Fraction of the interval the flush-queue locks were held. */
  fqLockBusy?: number[];
  /** Mean map latency in the interval, ns. */
  mapLatencyMean?: number[];
  /** Fraction of the 32-bit IOVA space allocated (reserved windows excluded). */
  window32Used?: number[];
  /** Lowest allocated pfn below 4 GiB. */
  lowestPfn32?: number[];
  /** max32_alloc_size fast-fails, failed walks and 64-bit fallbacks per second. */
  fastFails?: number[];
  failedWalks?: number[];
  fallbacks64?: number[];
  /** Requests mapped per second (IOVA allocations); IOPS count the I/Os, several per merged request. */
  requestsPerSecond?: number[];
}

export interface PolicyResult {
  policy: string;
  series: PolicySeries;
  summary: PolicySummary;
  instruments?: PolicyInstruments;
}

/** A small table of display strings (the calibration table, the ablations). */
export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
  /** Lines printed under the table. */
  notes: string[];
}

/** The study's reading of its own result, printed by the terminal and the HTML alike. */
export interface StudyReading {
  /** Plain-language lines: what fell and why. */
  verdict: string[];
  tables: ReportTable[];
  /** What the run compresses relative to the thread, and by how much (empty: nothing). */
  compression: string[];
}

export interface StudyResult {
  meta: StudyMeta;
  policies: PolicyResult[];
  reading?: StudyReading;
  /**
   * `iova aging --ablations`: per ablation (one mechanism changed), its
   * options and each policy's figures against the baseline's
   * (src/study/ablations.ts, AblationRecord).
   */
  ablations?: ReadonlyArray<{ name: string; change: string; policies: ReadonlyArray<{ policy: string; figures: Record<string, number | null> }> }>;
}
