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
  config: Record<string, unknown>;
}

/** All arrays have the same length: one sample per interval. */
export interface PolicySeries {
  /** simulated seconds */
  t: number[];
  iops: number[];
  /** pfns held in all CPU magazines + depots */
  cachedTotal: number[];
  /** pfns in CPU magazines */
  cpuTotal: number[];
  /** pfns in depots */
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

export interface PolicyResult {
  policy: string;
  series: PolicySeries;
  summary: PolicySummary;
}

export interface StudyResult {
  meta: StudyMeta;
  policies: PolicyResult[];
}
