// Options of one simulated load run, their defaults and their checks.
import { geometryOf, magazineBound, policyArg, UNBOUNDED_DEPOT_ROOM, type DepotPolicy } from "../domain/policy.js";
import { blockSizeArg, formatBlockSize, largestBlockBytes, type BlockSize } from "../load/block-size.js";
import { IOVA_FQ_SIZE, IOVA_FQ_TIMEOUT_MS, resolveCosts, type CostModel } from "./costs.js";
import { ADAPTIVE_RECLAIM_MS } from "../domain/policy.js";
import { MAX_RANGES } from "../domain/iova-domain.js";
import { loadSlabs } from "../load/slabs.js";
import { POLICY_ERA, eraArg, type KernelEra } from "../domain/era.js";
import type { RequestMerge } from "../load/merge.js";

/**
 * Where fq_flush_timeout frees the entries of every CPU's ring. "timer-cpu":
 * all on the CPU the timer fires on, into its caches (v5.10 and v6.x
 * drivers/iommu/iova.c, for_each_possible_cpu fq_ring_free; the thread's
 * explanation of the growth). "own-cpu": an ablation, no kernel's: each ring
 * on its own CPU, into its own caches, as a per-CPU timer would.
 */
export type TimerDrain = "timer-cpu" | "own-cpu";
export const TIMER_DRAINS: readonly TimerDrain[] = ["timer-cpu", "own-cpu"];

/** The locks of the model, by class: iova_rbtree_lock, each order's rcache->lock, each CPU's fq->lock. */
export type LockClassName = "tree" | "depot" | "fq";
export const LOCK_CLASSES: readonly LockClassName[] = ["tree", "depot", "fq"];

/** Where an I/O's completion (and so its unmap) runs, given its job's CPU c of C. */
export type CompletionMode = "same" | "other" | "single";
export const COMPLETION_MODES: readonly CompletionMode[] = ["same", "other", "single"];

export interface SimProgress {
  /** Simulated milliseconds done, of durationMs. */
  simMs: number;
  durationMs: number;
  /** I/Os completed so far. */
  ios: number;
  /** The latest sample's IOPS, pfns cached and tree size. */
  iops: number;
  cached: number;
  tree: number;
}

export interface SimOptions {
  /** Depot policy of the IOVA domain. Default "adaptive". */
  policy?: DepotPolicy;
  /** Kernel era of the tree and flush path. Default: the policy's own (POLICY_ERA). */
  era?: KernelEra;
  /** Seed of every random draw (block sizes, device times, migrations). Default 1. */
  seed?: number;
  /** CPUs of the machine. Default 48. */
  cpus?: number;
  /** fio jobs; job j starts on CPU j % cpus. Default 12. */
  jobs?: number;
  /** I/Os each job keeps in flight. Default 32. */
  iodepth?: number;
  /** fio-style block size: "4k", "4k-64k" or "4k/90:256k/10". Default "4k". */
  bs?: string | BlockSize;
  /**
   * Merged requests (src/load/merge.ts): each request, one map and one IOVA,
   * is 1 + a geometric number of further I/Os of the fixed `bs`, each joining
   * with chance p, at most maxIos; IOPS count the I/Os. Default none: each
   * I/O its own request.
   */
  merge?: RequestMerge | null;
  /** IOMMU page size in bytes. Default 4096. */
  granule?: number;
  /** Largest DMA segment in bytes: an I/O maps as ceil(bytes / maxSegment) IOVAs. Default 1 MiB. */
  maxSegment?: number;
  /** Try below 4 GiB first without flushing, as dma-iommu does for PCI devices. Default true. */
  dma32First?: boolean;
  /** IOVA address width: the 64-bit limit is 2^bits / granule - 1. Default 48. */
  addressBits?: number;
  /** CPU of the completion: "same" as the job, "other" (the next CPU), "single" (CPU 0). Default "other". */
  completion?: CompletionMode;
  /** Strict unmap (free at once, one IOTLB invalidation each) or the flush queue. Default false. */
  strict?: boolean;
  /** Simulated run time (a multiple of intervalMs; rounded up). Default 10 s. */
  durationMs?: number;
  /** Sampling interval of the series. Default 1000 ms. */
  intervalMs?: number;
  /** The domain clock (domain.tick) advances in steps of this much simulated time. Default 1 ms. */
  tickMs?: number;
  /** Reclaim interval handed to domain.tick (adaptive's working-set interval). Default ADAPTIVE_RECLAIM_MS. */
  reclaimIntervalMs?: number;
  /** adaptive: most pfns a reclaim slice frees per hold of the tree lock. Default ADAPTIVE_SLICE_PFNS. */
  reclaimSlicePfns?: number;
  /**
   * Mean time between scheduler migrations of each job to another idle CPU
   * (exponential). 0: jobs stay pinned. Default 0.
   */
  migrateMs?: number;
  /**
   * Share (0-1) of merged requests mapped by a kblockd worker on the CPUs of
   * their hardware queue in turn (v5.10 blk-mq's async queue run) instead of
   * on the job's CPU. An experiment: no source gives a rate. Default 0.
   */
  kblockdShare?: number;
  /** Flush-queue ring size per CPU (IOVA_FQ_SIZE: holds one fewer). Default 256. */
  fqSize?: number;
  /** Flush-queue timer (IOVA_FQ_TIMEOUT). Default 10 ms. */
  fqTimeoutMs?: number;
  /** Where the flush-queue timer frees every ring's entries (TimerDrain). Default "timer-cpu", the kernel's. */
  fqTimerDrain?: TimerDrain;
  /**
   * Lock classes whose waits are modelled (a CPU that wants a held lock
   * spins until it is free). Default all three; leaving one out is an
   * ablation: its holds may overlap, each still costs its own time.
   */
  contendedLocks?: LockClassName[];
  /**
   * Full magazines per order's depot for the bounded policies (linux-5.10,
   * cpu-flush, scaled-depot). Default the policy's (MAX_GLOBAL_MAGS 32 for
   * v5.10). A bound the run never reaches switches the depot-full path off.
   */
  depotMax?: number;
  /** Kernel HZ: the flush-queue timer expires on a jiffy boundary (msecs_to_jiffies rounds up). 0: none. Default 250. */
  hz?: number;
  /** CPUs are split into this many equal, contiguous sockets (a lock hand-off across them costs lockHandoffRemoteNs). Default 1. */
  sockets?: number;
  /** The CPU each job runs on (one per job). Default: job j on CPU j % cpus. */
  jobCpus?: number[];
  /** The interrupt CPU of an I/O submitted from CPU c: completionCpus[c] (one per CPU). Overrides `completion`. */
  completionCpus?: number[];
  /** Host bridge memory windows, bus addresses in bytes, inclusive; reserved at setup (iova_reserve_pci_windows). Default none. */
  pciWindows?: Array<{ start: number; end: number }>;
  /** Overrides of the cost model (src/sim/costs.ts). */
  costs?: Partial<CostModel>;
  /** Node slab of the domain; default sized from the policy's cache bound. */
  maxRanges?: number;
  /** Magazine slab of the domain; default sized from the policy's cache bound. */
  maxMagazines?: number;
  /** Called after every sample. */
  onProgress?: (p: SimProgress) => void;
  /**
   * Stop request (a shared Int32Array, so it reaches worker threads): once
   * element 0 is non-zero, the run ends at its next sample, drains and
   * returns what ran (SimResult.stopped). Used for SIGINT.
   */
  stop?: Int32Array;
}

export interface SimConfig {
  policy: DepotPolicy;
  era: KernelEra;
  seed: number;
  cpus: number;
  jobs: number;
  iodepth: number;
  bs: BlockSize;
  bsText: string;
  /** Merged requests of the fixed bs, or null (each I/O its own request). */
  merge: RequestMerge | null;
  granule: number;
  maxSegment: number;
  dma32First: boolean;
  addressBits: number;
  completion: CompletionMode;
  strict: boolean;
  durationMs: number;
  intervalMs: number;
  tickMs: number;
  reclaimIntervalMs: number;
  /** The policy's reclaim slice (pfns per tree-lock hold); see CacheGeometry.reclaimSlicePfns. */
  reclaimSlicePfns: number;
  migrateMs: number;
  kblockdShare: number;
  fqSize: number;
  fqTimeoutMs: number;
  fqTimerDrain: TimerDrain;
  contendedLocks: LockClassName[];
  /** The bounded depot's magazines per order (the policy's unless set; unbounded policies ignore it). */
  depotMax: number;
  hz: number;
  sockets: number;
  jobCpus: number[];
  /** The interrupt CPU of each CPU (from completionCpus, else from completion). */
  completionCpus: number[];
  pciWindows: Array<{ start: number; end: number }>;
  costs: CostModel;
  maxRanges: number;
  maxMagazines: number;
}

function int(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

function num(name: string, v: unknown, lo: number, hi: number, loOpen = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || (loOpen && v === lo) || v > hi) {
    throw new RangeError(`${name} must be a number in ${loOpen ? "(" : "["}${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

function bool(name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new RangeError(`${name} must be true or false, got ${String(v)}`);
  return v;
}

/** Fills in defaults and checks every option; throws RangeError naming the bad one. */
export function resolveSimOptions(o: SimOptions = {}): SimConfig {
  const policy = policyArg(o.policy ?? "adaptive");
  const cpus = int("cpus", o.cpus ?? 48, 1, 1024);
  const jobs = int("jobs", o.jobs ?? 12, 1, 4096);
  const iodepth = int("iodepth", o.iodepth ?? 32, 1, 65536);
  const bs = blockSizeArg(o.bs ?? "4k");
  const granule = int("granule", o.granule ?? 4096, 512, 65536);
  if ((granule & (granule - 1)) !== 0) throw new RangeError(`granule must be a power of two, got ${granule}`);
  const maxSegment = int("maxSegment", o.maxSegment ?? 1 << 20, granule, 2 ** 40);
  const intervalMs = num("intervalMs", o.intervalMs ?? 1000, 1, 3.6e6);
  // Whole intervals, at least one: a duration far below an interval (1e-300 ms) would round to 0.
  const durationMs = Math.max(1, Math.ceil(num("durationMs", o.durationMs ?? 10_000, 0, 1e10, true) / intervalMs - 1e-9)) * intervalMs;
  const completion = oneOf("completion", o.completion ?? "other", COMPLETION_MODES);
  const fqSize = int("fqSize", o.fqSize ?? IOVA_FQ_SIZE, 2, 1 << 16);
  const cfg: SimConfig = {
    policy,
    era: o.era === undefined ? POLICY_ERA[policy] : eraArg(o.era),
    seed: int("seed", o.seed ?? 1, 0, 2 ** 32 - 1),
    cpus,
    jobs,
    iodepth,
    bs,
    bsText: formatBlockSize(bs),
    merge: mergeArg(o.merge, bs),
    granule,
    maxSegment,
    dma32First: bool("dma32First", o.dma32First ?? true),
    addressBits: int("addressBits", o.addressBits ?? 48, 33, 52),
    completion,
    strict: bool("strict", o.strict ?? false),
    durationMs,
    intervalMs,
    tickMs: num("tickMs", o.tickMs ?? 1, 0.001, 1e6, false),
    reclaimIntervalMs: num("reclaimIntervalMs", o.reclaimIntervalMs ?? ADAPTIVE_RECLAIM_MS, 1, 1e9),
    reclaimSlicePfns: int("reclaimSlicePfns", o.reclaimSlicePfns ?? geometryOf(policy, cpus).reclaimSlicePfns, 1, 1 << 20),
    migrateMs: num("migrateMs", o.migrateMs ?? 0, 0, 1e12),
    kblockdShare: num("kblockdShare", o.kblockdShare ?? 0, 0, 1),
    fqSize,
    fqTimeoutMs: num("fqTimeoutMs", o.fqTimeoutMs ?? IOVA_FQ_TIMEOUT_MS, 0.001, 1e6),
    fqTimerDrain: oneOf("fqTimerDrain", o.fqTimerDrain ?? "timer-cpu", TIMER_DRAINS),
    contendedLocks: lockClasses(o.contendedLocks),
    depotMax: 0,
    hz: int("hz", o.hz ?? 250, 0, 100_000),
    sockets: int("sockets", o.sockets ?? 1, 1, cpus),
    jobCpus: cpuList("jobCpus", o.jobCpus, jobs, cpus) ?? Array.from({ length: jobs }, (_, j) => j % cpus),
    completionCpus: cpuList("completionCpus", o.completionCpus, cpus, cpus) ??
      Array.from({ length: cpus }, (_, c) => (completion === "same" ? c : completion === "other" ? (c + 1) % cpus : 0)),
    pciWindows: windowsArg(o.pciWindows),
    costs: resolveCosts(o.costs),
    maxRanges: 0,
    maxMagazines: 0,
  };
  if (cpus % cfg.sockets !== 0) throw new RangeError(`sockets must divide cpus (${cpus}), got ${cfg.sockets}`);
  const segsPerIo = Math.ceil(largestRequestBytes(cfg) / maxSegment);
  // Every IOVA in flight needs a node of the slab: past its bound the run could not start (or its arrays not be made).
  if (jobs * iodepth * segsPerIo > MAX_RANGES) {
    throw new RangeError(`bs: the largest block (${largestRequestBytes(cfg)} bytes) maps as ${segsPerIo} segments of ${maxSegment} bytes; ` +
      `${jobs} jobs x iodepth ${iodepth} would keep ${jobs * iodepth * segsPerIo} IOVAs in flight, more than a domain holds (${MAX_RANGES})`);
  }
  if (o.maxMagazines !== undefined) int("maxMagazines", o.maxMagazines, 0, 1 << 22);
  const geo = geometryOf(policy, cpus);
  // Unbounded policies keep their room (UNBOUNDED_DEPOT_ROOM); a bounded one's slab follows its bound.
  cfg.depotMax = Number.isFinite(geo.depotMax) ? int("depotMax", o.depotMax ?? geo.depotMax, 1, UNBOUNDED_DEPOT_ROOM) : geo.depotMax;
  const slabs = loadSlabs(policy, cpus, jobs * iodepth * segsPerIo, fqSize,
    o.maxMagazines ?? magazineBound(geo, cpus, cfg.depotMax));
  cfg.maxMagazines = slabs.maxMagazines;
  cfg.maxRanges = int("maxRanges", o.maxRanges ?? slabs.maxRanges, 16, MAX_RANGES);
  return cfg;
}

/** The largest request a run maps: the largest block, or a merged request of maxIos blocks. */
export function largestRequestBytes(c: Pick<SimConfig, "bs" | "merge">): number {
  return largestBlockBytes(c.bs) * (c.merge ? c.merge.maxIos : 1);
}

function mergeArg(v: unknown, bs: BlockSize): RequestMerge | null {
  if (v === undefined || v === null) return null;
  const m = v as Partial<RequestMerge> | null;
  const p = num("merge.p", m?.p, 0, 1);
  if (p === 1) throw new RangeError("merge.p must be below 1 (a request must end), got 1");
  const maxIos = int("merge.maxIos", m?.maxIos, 1, 65536);
  if (bs.kind !== "fixed") throw new RangeError(`merge needs a fixed bs (requests of whole I/Os), got ${formatBlockSize(bs)}`);
  return { p, maxIos };
}

function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(v)) throw new RangeError(`${name} must be one of ${allowed.join(", ")}, got ${String(v)}`);
  return v as T;
}

function lockClasses(v: unknown): LockClassName[] {
  if (v === undefined) return [...LOCK_CLASSES];
  if (!Array.isArray(v)) throw new RangeError(`contendedLocks must be an array of ${LOCK_CLASSES.join(", ")}, got ${JSON.stringify(v)}`);
  const out = v.map((c, i) => oneOf(`contendedLocks[${i}]`, c, LOCK_CLASSES));
  return LOCK_CLASSES.filter((c) => out.includes(c));
}

function cpuList(name: string, v: unknown, length: number, cpus: number): number[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== length) throw new RangeError(`${name} must be an array of ${length} CPU numbers, got ${JSON.stringify(v)}`);
  return v.map((c, i) => int(`${name}[${i}]`, c, 0, cpus - 1));
}

function windowsArg(v: unknown): Array<{ start: number; end: number }> {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new RangeError(`pciWindows must be an array of { start, end }, got ${JSON.stringify(v)}`);
  return v.map((w, i) => {
    const start = int(`pciWindows[${i}].start`, (w as { start?: unknown })?.start, 0, 2 ** 53 - 1);
    const end = int(`pciWindows[${i}].end`, (w as { end?: unknown })?.end, start, 2 ** 53 - 1);
    return { start, end };
  });
}

/** The configuration as plain JSON (for reports). */
export function configJson(c: SimConfig): Record<string, unknown> {
  const { bs: _bs, ...rest } = c;
  return {
    ...rest, bs: c.bsText, costs: { ...c.costs }, jobCpus: [...c.jobCpus], completionCpus: [...c.completionCpus],
    contendedLocks: [...c.contendedLocks], depotMax: Number.isFinite(c.depotMax) ? c.depotMax : null,
  };
}
