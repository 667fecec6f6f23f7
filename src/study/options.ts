// The study's options, its defaults, and the one place each policy's
// simulator options are worked out (planStudy). docs/aging.md gives the
// source of every default.
import { POLICIES, policyArg, type DepotPolicy } from "../domain/policy.js";
import { studyDefaults } from "../options/defaults.js";
import { STUDY_QUICK_SECONDS } from "../options/table.js";
import type { CostModel } from "../sim/costs.js";
import { resolveSimOptions, type CompletionMode, type LockClassName, type SimConfig, type SimProgress, type TimerDrain } from "../sim/options.js";
import type { SimResult } from "../sim/engine.js";
import type { KernelEra } from "../domain/era.js";
import { compressionOf, FAITHFUL_SECONDS, type CompressionItem } from "./compression.js";
import { threadCosts } from "./costs.js";
import { THREAD_HZ, THREAD_MERGE, THREAD_PCI_WINDOWS, threadLayout, threadMerge } from "./thread.js";
import { meanIosPerRequest, type RequestMerge } from "../load/merge.js";
import { blockSizeArg } from "../load/block-size.js";

/**
 * The default load: the thread's machine and test (src/study/thread.ts gives
 * the source of each value; docs/aging.md prints them). The values are the
 * defaults of the study's rows in the option table (src/options/table.ts),
 * written there once.
 */
export const STUDY_DEFAULTS = Object.freeze({
  ...(studyDefaults() as Required<Pick<StudyOptions,
    "cpus" | "jobs" | "iodepth" | "bs" | "completion" | "strict" | "migrateMs" | "kblockdShare" | "seconds" | "intervalMs" | "reclaimIntervalMs" | "seed">>),
  quickSeconds: STUDY_QUICK_SECONDS,
  dma32First: true,
});

export interface StudyOptions {
  /** Policies to run, in this order. Default: all five. */
  policies?: readonly DepotPolicy[];
  /** Kernel era for every policy. Default: each policy on its own kernel's (POLICY_ERA). */
  era?: KernelEra;
  /** Simulated seconds per policy (default: the table's; STUDY_QUICK_SECONDS with quick). */
  seconds?: number;
  quick?: boolean;
  /** The thread's system uncompressed (run length: the thread's last dump, unless `seconds` says otherwise). */
  faithful?: boolean;
  seed?: number;
  cpus?: number;
  jobs?: number;
  /** fio I/Os in flight per job (with merging: requests of them, iodepth / mean reads per request, rounded). */
  iodepth?: number;
  bs?: string;
  /**
   * The block layer's merging of sequential reads into requests (thread.ts
   * THREAD_MERGE). Default true; false maps each I/O as its own request.
   * Only a fixed bs merges.
   */
  merge?: boolean;
  /** The most reads one request holds (default THREAD_MERGE.maxIos, 124). */
  mergeMaxIos?: number;
  completion?: CompletionMode;
  strict?: boolean;
  migrateMs?: number;
  /** Experiment: share of requests mapped by kblockd on their hardware queue's CPUs in turn (SimOptions.kblockdShare). Default 0. */
  kblockdShare?: number;
  intervalMs?: number;
  reclaimIntervalMs?: number;
  dma32First?: boolean;
  /**
   * Reserve the thread's host bridge window (iova_reserve_pci_windows).
   * Default true; false (an ablation) leaves the 32-bit space without it,
   * the same number of pfns usable (the compressed space keeps its size).
   */
  pciWindow?: boolean;
  /** Where the flush-queue timer frees every ring's entries; default the kernel's ("timer-cpu"). */
  fqTimerDrain?: TimerDrain;
  /** Lock classes whose waits are modelled; default all (an ablation leaves one out). */
  contendedLocks?: LockClassName[];
  /** Magazines per order's bounded depot (v5.10's MAX_GLOBAL_MAGS by default; an ablation raises it). */
  depotMax?: number;
  /**
   * Pfns of the 32-bit space left to allocate (the rest reserved): an
   * experiment. Default: the compression's (compression.ts), or the whole
   * space when faithful.
   */
  dma32Pfns?: number;
  costs?: Partial<CostModel>;
  /**
   * Policies simulated at once, each in a worker thread (runStudyParallel
   * and runStudyToDir). Default 1. Results do not depend on it.
   */
  parallel?: number;
  /** Called after every sample of every policy. */
  onProgress?: (policy: DepotPolicy, index: number, p: SimProgress) => void;
  /** Called when a policy's run is done. */
  onPolicyDone?: (policy: DepotPolicy, index: number, r: SimResult) => void;
  /**
   * Stop request (src/cli/interrupt.ts): each run ends at its next sample and
   * the runs not started are left out. Runs go to worker threads then, so
   * the calling thread stays free to take SIGINT.
   */
  stop?: Int32Array;
}

/** What a study runs: its policies and, for each, the simulator's resolved configuration. */
export interface StudyPlan {
  policies: DepotPolicy[];
  /** The era every policy was told to run on, or null: each on its own (configs[i].era). */
  era: KernelEra | null;
  /** One per policy, in the same order; each is resolved and checked once, here. */
  configs: SimConfig[];
  faithful: boolean;
  /** What this run compresses relative to the thread's system (empty when faithful). */
  compression: CompressionItem[];
  /** How many of the thread's seconds one simulated second stands for (1 when the run length is not compressed). */
  timeScale: number;
}

/** The study's merged requests: the thread's, unless turned off or the block size is not fixed. */
function requestMerge(o: StudyOptions, bs: string): RequestMerge | null {
  if (o.merge === false) return null;
  if (blockSizeArg(bs).kind !== "fixed") {
    if (o.merge === true) throw new RangeError(`merge needs a fixed bs (requests of whole I/Os), got ${bs}`);
    return null;
  }
  const cap = o.mergeMaxIos ?? THREAD_MERGE.maxIos;
  if (!Number.isInteger(cap) || cap < 1 || cap > 65536) throw new RangeError(`mergeMaxIos must be an integer in [1, 65536], got ${String(cap)}`);
  return cap === 1 ? null : threadMerge(cap);
}

/**
 * Resolves every policy's simulator options, checking all of them before
 * any run starts (a bad option throws RangeError naming it). The configs go
 * to the engine as they are.
 */
export function planStudy(o: StudyOptions = {}): StudyPlan {
  const policies = [...(o.policies ?? POLICIES)].map((p) => policyArg(p));
  if (policies.length === 0) throw new RangeError("no policies to run");
  const d = STUDY_DEFAULTS;
  const faithful = o.faithful ?? false;
  const seconds = o.seconds ?? (faithful ? FAITHFUL_SECONDS : o.quick ? d.quickSeconds : d.seconds);
  const cpus = o.cpus ?? d.cpus;
  const jobs = o.jobs ?? d.jobs;
  const layout = threadLayout(cpus, jobs);
  const compression = compressionOf(seconds, faithful, o.dma32Pfns, (o.pciWindow ?? true) ? THREAD_PCI_WINDOWS : []);
  const bs = o.bs ?? d.bs;
  const merge = requestMerge(o, bs);
  const iodepth = o.iodepth ?? d.iodepth;
  const configs = policies.map((policy) => resolveSimOptions({
    policy,
    sockets: layout.sockets,
    jobCpus: layout.jobCpus,
    // The controller's queues decide the completion CPU, unless --completion says otherwise.
    ...(o.completion === undefined ? { completionCpus: layout.completionCpus } : {}),
    pciWindows: compression.pciWindows.map((w) => ({ ...w })),
    hz: THREAD_HZ,
    era: o.era,
    seed: o.seed ?? d.seed,
    cpus,
    jobs,
    iodepth: merge ? Math.max(1, Math.round(iodepth / meanIosPerRequest(merge))) : iodepth,
    bs,
    merge,
    completion: o.completion ?? d.completion,
    strict: o.strict ?? d.strict,
    migrateMs: o.migrateMs ?? d.migrateMs,
    kblockdShare: o.kblockdShare ?? d.kblockdShare,
    durationMs: seconds * 1000,
    intervalMs: o.intervalMs ?? d.intervalMs,
    reclaimIntervalMs: o.reclaimIntervalMs ?? d.reclaimIntervalMs,
    dma32First: o.dma32First ?? d.dma32First,
    ...(o.fqTimerDrain !== undefined ? { fqTimerDrain: o.fqTimerDrain } : {}),
    ...(o.contendedLocks !== undefined ? { contendedLocks: o.contendedLocks } : {}),
    ...(o.depotMax !== undefined ? { depotMax: o.depotMax } : {}),
    costs: { ...threadCosts(), ...o.costs },
  }));
  return { policies, era: o.era ?? null, configs, faithful, compression: compression.items, timeScale: compression.timeScale };
}
