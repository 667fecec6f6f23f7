// From resolved job options to the run's plan: one worker per job clone (CPU
// = clone index % cpus), an interrupt-only worker for every CPU that takes
// completions but runs no job, the domain's slab sizes, and the offsets of
// every shared block (shared.ts). The plan is plain data: every worker gets
// a copy and finds the blocks of every other worker and CPU in it.
import { FioOptionError } from '../errors.js';
import { type JobOptions, modelOf } from '../options.js';
import { largestBlockBytes } from '../../load/block-size.js';
import { loadSlabs } from '../../load/slabs.js';
import { formatBlockSize, formatSize } from '../../load/values.js';
import { MAX_BATCH } from '../../domain/iova-domain.js';
import { CTRL_WORDS, F_WORDS, HDR_WORDS, SEG_WORDS, SLOT_HDR, W_WORDS, WF_WORDS } from './shared.js';

/** IOVA space of the 64-bit limit: 48 address bits, as an x86/arm64 IOMMU's usual aperture. */
export const ADDRESS_BITS = 48;

export interface WorkerPlan {
  /** Worker number; job workers first (in job order), then interrupt-only workers. */
  index: number;
  /** False for an interrupt-only worker (serves completions of its CPU, submits nothing). */
  isJob: boolean;
  /** Which job definition (command-line --name or job-file section) it is a clone of; -1: none. */
  jobDef: number;
  /** Clone number within its job definition (0..numjobs-1). */
  clone: number;
  name: string;
  cpu: number;
  /** CPU whose worker unmaps this job's I/Os (completion=same/other/single). */
  completionCpu: number;
  seed: number;
  /** The job's options (an interrupt-only worker carries the global ones). */
  opts: JobOptions;
  iodepth: number;
  /** Segments of the largest I/O: ceil(max bs / max_segment). */
  maxSegs: number;
  // offsets into the shared areas
  workerBase: number; // Int32: doorbell block
  countersBase: number; // Float64: counters
  doneRingBase: number; // Int32: ring of slots completed by other CPUs
  slotBase: number; // Float64: iodepth slots
  slotStride: number;
}

export interface RunPlan {
  cpus: number;
  policy: JobOptions['policy'];
  era: JobOptions['era'];
  strict: boolean;
  granule: number;
  fqSize: number;
  fqTimeoutMs: number;
  /** The device model (device_lat, device_bw, iotlb_lat): device latency (ms) and rate (bytes/s), IOTLB invalidation (ms). */
  deviceLatMs: number;
  deviceBw: number;
  iotlbLatMs: number;
  /** Highest pfn of the 64-bit range: 2^ADDRESS_BITS / granule - 1. */
  limit64: number;
  workers: WorkerPlan[];
  jobWorkers: number;
  /** cpuWorkers[c]: workers attached as CPU c. */
  cpuWorkers: number[][];
  /** Entries each CPU's completion ring holds: every I/O of every job could be in one at once. */
  ringCap: number;
  ringBase: number[];
  i32Words: number;
  f64Words: number;
  maxRanges: number;
  maxMagazines: number;
  /** More workers than the host has cores: never spin-wait, always park. */
  oversubscribed: boolean;
}

const line = (n: number, per: number): number => Math.ceil(n / per) * per;

/** CPUs of a domain (the table's cpus row says the same). */
const MAX_CPUS = 1024;
/**
 * Segments one I/O may map, and segments all jobs may hold in flight: each
 * has a slot in shared memory (SEG_WORDS doubles), so these bound the
 * shared buffers (2^22 x 3 x 8 bytes = 96 MiB) before anything is allocated.
 * Per I/O it is also what one mapIo moves through a view's scratch slot
 * (DmaPath.maxSegments, MAX_BATCH): it was 16384, so --bs=512m (8192
 * segments of 64 KiB) passed here and failed in every worker at run time.
 */
export const MAX_SEGMENTS_PER_IO = MAX_BATCH;
export const MAX_SEGMENTS_IN_FLIGHT = 1 << 22;

function checkSegments(o: JobOptions): void {
  const segs = Math.ceil(Math.max(largestBlockBytes(o.bs), largestBlockBytes(o.bsWrite)) / o.maxSegment);
  if (segs > MAX_SEGMENTS_PER_IO) {
    throw new FioOptionError('out-of-range', 'bs', formatBlockSize(o.bs),
      `--bs: job '${o.name}': an I/O of up to ${formatSize(Math.max(largestBlockBytes(o.bs), largestBlockBytes(o.bsWrite)))} maps as ${segs} segments of --max_segment=${formatSize(o.maxSegment)}, more than ${MAX_SEGMENTS_PER_IO}`);
  }
}

/**
 * A job must end somewhere: fio refuses a job with neither a size nor a
 * runtime ("you need to specify size="); time_based needs the runtime.
 */
export function checkJobBounds(o: JobOptions): void {
  if (o.timeBased && o.runtimeMs === 0) {
    throw new FioOptionError('missing-value', 'runtime', '',
      `job '${o.name}': time_based needs --runtime (got none)`);
  }
  if (o.runtimeMs === 0 && o.size === 0 && o.numberIos === 0) {
    throw new FioOptionError('missing-value', 'size', '',
      `job '${o.name}': no --runtime, --size or --number_ios given; the job would never end`);
  }
}

/**
 * The CPU clone `clone` of a job runs as, `w` counting all clones. With no
 * cpus_allowed, CPU w % cpus. shared: the same walk over the allowed set
 * (w % its size); split: clone k of the job takes the k-th allowed CPU
 * (wrapping), as fio's split policy gives each clone its own CPU of the set.
 */
export function cpuOf(o: JobOptions, w: number, clone: number, cpus: number): number {
  const set = o.cpusAllowed;
  if (set.length === 0) return w % cpus;
  return set[(o.cpusAllowedPolicy === 'split' ? clone : w) % set.length]!;
}

export interface PlanInput {
  jobs: readonly JobOptions[];
  global: JobOptions;
  /** --cpus when given; else one CPU per job clone. */
  cpus?: number;
  /** Host cores (os.availableParallelism()). */
  hostCores: number;
}

export function makePlan(input: PlanInput): RunPlan {
  const { jobs, global } = input;
  if (jobs.length === 0) throw new FioOptionError('missing-value', 'name', '', 'no jobs defined (give --name=NAME or a job file)');
  for (const j of jobs) {
    checkJobBounds(j);
  }
  const clones: Array<{ def: number; clone: number; opts: JobOptions }> = [];
  jobs.forEach((opts, def) => {
    for (let k = 0; k < opts.numjobs; k++) clones.push({ def, clone: k, opts });
  });
  // One CPU per clone unless --cpus says otherwise: name what the user gave.
  if (input.cpus === undefined && clones.length > MAX_CPUS) {
    throw new FioOptionError('out-of-range', 'numjobs', String(clones.length),
      `--numjobs: ${clones.length} job clones in all, one CPU each, but a domain has at most ${MAX_CPUS} CPUs (give --cpus to share CPUs)`);
  }
  const cpus = input.cpus ?? clones.length;
  if (cpus > MAX_CPUS) throw new FioOptionError('out-of-range', 'cpus', String(cpus), `--cpus must be at most ${MAX_CPUS} (got '${cpus}')`);
  for (const { opts } of clones) checkSegments(opts);
  const g = global;

  const targetOf = (cpu: number, o: JobOptions): number =>
    o.completion === 'same' ? cpu : o.completion === 'other' ? (cpu + 1) % cpus : 0;

  for (const j of jobs) {
    const bad = j.cpusAllowed.find((c) => c >= cpus);
    if (bad !== undefined) {
      throw new FioOptionError('out-of-range', 'cpus_allowed', j.cpusAllowed.join(','),
        `--cpus_allowed: job '${j.name}' allows CPU ${bad}, but the domain has CPUs 0-${cpus - 1}`);
    }
  }
  const workers: WorkerPlan[] = [];
  const cpuWorkers: number[][] = Array.from({ length: cpus }, () => []);
  clones.forEach((c, w) => {
    const cpu = cpuOf(c.opts, w, c.clone, cpus);
    workers.push({
      index: w, isJob: true, jobDef: c.def, clone: c.clone, name: c.opts.name || `job${c.def}`, cpu,
      completionCpu: targetOf(cpu, c.opts),
      seed: (c.opts.seed + c.clone * 7919 + c.def * 104_729) >>> 0,
      opts: c.opts, iodepth: c.opts.iodepth,
      maxSegs: Math.ceil(Math.max(largestBlockBytes(c.opts.bs), largestBlockBytes(c.opts.bsWrite)) / c.opts.maxSegment),
      workerBase: 0, countersBase: 0, doneRingBase: 0, slotBase: 0, slotStride: 0,
    });
    cpuWorkers[cpu]!.push(w);
  });
  // A CPU that takes completions but runs no job still needs someone to run them: an interrupt-only worker.
  for (const w of [...workers]) {
    const t = w.completionCpu;
    if (cpuWorkers[t]!.length === 0) {
      const index = workers.length;
      workers.push({
        index, isJob: false, jobDef: -1, clone: 0, name: `irq/${t}`, cpu: t, completionCpu: t, seed: 0,
        opts: g, iodepth: 0, maxSegs: 0, workerBase: 0, countersBase: 0, doneRingBase: 0, slotBase: 0, slotStride: 0,
      });
      cpuWorkers[t]!.push(index);
    }
  }

  const inFlightSegs = workers.reduce((a, w) => a + w.iodepth * w.maxSegs, 0);
  if (inFlightSegs > MAX_SEGMENTS_IN_FLIGHT) {
    const j = jobs.reduce((a, b) => (a.iodepth * a.numjobs >= b.iodepth * b.numjobs ? a : b));
    throw new FioOptionError('out-of-range', 'iodepth', String(j.iodepth),
      `--iodepth: ${inFlightSegs} segments in flight in all (iodepth x numjobs x segments per I/O; job '${j.name}' has --iodepth=${j.iodepth}, --numjobs=${j.numjobs}), more than ${MAX_SEGMENTS_IN_FLIGHT}`);
  }
  const totalSlots = workers.reduce((a, w) => a + w.iodepth, 0);
  const ringCap = Math.max(1, totalSlots);
  // ---- Int32 area
  let i = CTRL_WORDS;
  const ringBase: number[] = [];
  for (let c = 0; c < cpus; c++) {
    ringBase.push(i);
    i = line(i + HDR_WORDS + 2 * ringCap, 16);
  }
  for (const w of workers) {
    w.workerBase = i;
    i += W_WORDS;
  }
  for (const w of workers) {
    w.doneRingBase = i;
    i = line(i + HDR_WORDS + Math.max(1, w.iodepth), 16);
  }
  const i32Words = i;
  // ---- Float64 area
  let f = F_WORDS;
  for (const w of workers) {
    w.countersBase = f;
    f += WF_WORDS;
  }
  for (const w of workers) {
    w.slotStride = SLOT_HDR + SEG_WORDS * w.maxSegs;
    w.slotBase = f;
    f = line(f + w.iodepth * w.slotStride, 8);
  }
  const f64Words = f;

  // Slabs: every I/O in flight, every flush queue, and the most the caches can hold.
  const { maxRanges, maxMagazines } = loadSlabs(g.policy, cpus, inFlightSegs, g.fqSize);

  return {
    cpus, policy: g.policy, era: g.era, strict: g.mode === 'strict', granule: g.granule, fqSize: g.fqSize,
    fqTimeoutMs: g.fqTimeoutMs, ...modelOf(g),
    limit64: 2 ** (ADDRESS_BITS - Math.log2(g.granule)) - 1,
    workers, jobWorkers: clones.length, cpuWorkers, ringCap, ringBase, i32Words, f64Words,
    maxRanges, maxMagazines, oversubscribed: workers.length > input.hostCores,
  };
}
