// `--clock virtual`: the same jobs through the discrete-event engine of
// src/sim (one thread, simulated time, the cost model of src/sim/costs.ts),
// reported in the same shapes as a real-clock run. The device model is the
// one the real runner uses (device_lat + bytes / device_bw, no jitter, no
// queueing), and the IOTLB cost is iotlb_lat, so one job file means the same
// load on either clock.
//
// What the engine does not have (yet), and how this adapter copes:
//  - one job shape for all jobs: job definitions must agree on everything
//    the engine models (checked, exit 2 otherwise);
//  - a time bound only: size/number_ios without time_based are refused;
//  - totals, not per-job results: one result line (jobs=N, as fio's
//    group_reporting), I/Os split by rwmixread for mixed patterns;
//  - no byte counter: bytes = I/Os x the block size's mean;
//  - one latency from submission to unmapped (clat and lat are the same
//    figure; slat is the map time); map/unmap latencies are per I/O.
import { formatBlockSize } from '../load/values.js';
import { FioOptionError } from '../fio/errors.js';
import type { AllocatorState, DirResult, JobResult, StatusJob, StatusSnapshot } from '../fio/format.js';
import { FIO_OPTIONS, type JobOptions, changedRows, modelOf, optionText } from '../fio/options.js';
import { booksMessage } from '../sim/engine.js';
import { simulateInWorker } from '../sim/parallel.js';
import { configJson, type SimOptions, type SimProgress } from '../sim/options.js';
import { BlockSizeSampler } from '../load/block-size.js';
import { Rng } from '../load/rng.js';
import { ADDRESS_BITS, checkJobBounds } from '../fio/runner/plan.js';
import type { RunOutcome } from '../fio/runner/run.js';
import { sampleStats } from '../fio/runner/groups.js';

export interface VirtualInput {
  jobs: readonly JobOptions[];
  global: JobOptions;
  cpus?: number;
  onStatus?: (s: StatusSnapshot, a: AllocatorState) => void;
  /** Aborting (Ctrl-C) ends the run at the model's next sample; it drains and reports what ran. */
  signal?: AbortSignal;
}

/** Options the engine models: every job definition must agree on them. */
const SAME: ReadonlyArray<[keyof JobOptions, string]> = [
  ['iodepth', 'iodepth'], ['completion', 'completion'], ['maxSegment', 'max_segment'], ['dma32First', 'dma32_first'],
  ['runtimeMs', 'runtime'], ['rw', 'rw'],
  ['rwmixread', 'rwmixread'], ['clatPercentiles', 'clat_percentiles'], ['latPercentiles', 'lat_percentiles'],
];

/** Rows the model does not take (the table's takers): a job that sets one cannot run on the virtual clock. */
const NOT_MODELLED = FIO_OPTIONS.filter((r) => !r.takers.includes('model') && r.category !== 'fio-ignored');

/** The engine's options for these jobs; throws FioOptionError for what it cannot run. */
export function simOptionsFor(input: VirtualInput): SimOptions {
  const { jobs, global: g } = input;
  if (jobs.length === 0) throw new FioOptionError('missing-value', 'name', '', 'no jobs defined (give --name=NAME or a job file)');
  const first = jobs[0]!;
  const model = modelOf(g);
  for (const j of jobs) {
    checkJobBounds(j);
    const unmodelled = changedRows(j, NOT_MODELLED)[0];
    if (unmodelled) {
      throw new FioOptionError('wrong-scope', unmodelled.row.name, unmodelled.text,
        `--clock virtual does not model --${unmodelled.row.name} (job '${j.name}' sets it to ${unmodelled.text}); use --clock real`);
    }
    if (formatBlockSize(j.bsWrite) !== formatBlockSize(j.bs)) {
      throw new FioOptionError('wrong-scope', 'bs', `${formatBlockSize(j.bs)},${formatBlockSize(j.bsWrite)}`,
        `--clock virtual runs one block size for both directions (job '${j.name}' has --bs=${formatBlockSize(j.bs)},${formatBlockSize(j.bsWrite)})`);
    }
    if ((j.numberIos > 0 || j.size > 0) && !j.timeBased) {
      const [opt, val] = j.numberIos > 0 ? ['number_ios', String(j.numberIos)] : ['size', String(j.size)];
      throw new FioOptionError('wrong-scope', opt, val,
        `--clock virtual runs for a --runtime only; job '${j.name}' sets --${opt}=${val} (add --time_based or use --clock real)`);
    }
    if (j.runtimeMs <= 0) {
      throw new FioOptionError('missing-value', 'runtime', '', `--clock virtual needs --runtime (job '${j.name}' has none)`);
    }
    for (const [key, name] of SAME) {
      if (JSON.stringify(j[key]) !== JSON.stringify(first[key])) {
        throw new FioOptionError('wrong-scope', name, String(j[key]),
          `--clock virtual runs one job shape: job '${j.name}' has --${name}=${String(j[key])}, job '${first.name}' has ${String(first[key])}`);
      }
    }
    if (formatBlockSize(j.bs) !== formatBlockSize(first.bs)) {
      throw new FioOptionError('wrong-scope', 'bs', formatBlockSize(j.bs),
        `--clock virtual runs one job shape: job '${j.name}' has --bs=${formatBlockSize(j.bs)}, job '${first.name}' has ${formatBlockSize(first.bs)}`);
    }
  }
  const clones = jobs.reduce((a, j) => a + j.numjobs, 0);
  const runtime = first.runtimeMs;
  const intervalMs = runtime / Math.ceil(runtime / 1000);
  return {
    policy: g.policy, era: g.era, seed: first.seed, cpus: input.cpus ?? clones, jobs: clones, iodepth: first.iodepth, bs: first.bs,
    granule: g.granule, maxSegment: first.maxSegment, dma32First: first.dma32First, addressBits: ADDRESS_BITS,
    completion: first.completion, strict: g.mode === 'strict', durationMs: runtime, intervalMs,
    fqSize: g.fqSize, fqTimeoutMs: Math.max(0.001, g.fqTimeoutMs),
    costs: {
      deviceBaseNs: model.deviceLatMs * 1e6, deviceBytesPerSec: model.deviceBw, iotlbFlushNs: model.iotlbLatMs * 1e6,
      deviceJitter: 0, deviceSerialTransfers: 0,
    },
  };
}

/** The jobs through the discrete-event model, in a worker thread (so that SIGINT is heard). */
export async function runVirtual(input: VirtualInput): Promise<RunOutcome> {
  const opts = simOptionsFor(input);
  const first = input.jobs[0]!;
  const g = input.global;
  const clones = opts.jobs!;
  const meanBytes = new BlockSizeSampler(first.bs, new Rng(1)).meanBytes;
  let onProgress: ((p: SimProgress) => void) | undefined;
  if (input.onStatus) {
    let lastIos = 0;
    const jobs: StatusJob[] = Array.from({ length: clones }, () => ({ state: 'running', rw: first.rw, rwmixread: first.rwmixread }));
    onProgress = (p: SimProgress) => {
      const ios = p.ios - lastIos;
      lastIos = p.ios;
      const secs = opts.intervalMs! / 1000;
      const readShare = readFraction(first);
      input.onStatus!(
        {
          jobs, elapsedSec: p.simMs / 1000, etaSec: Math.max(0, (p.durationMs - p.simMs) / 1000),
          bytesPerSec: { read: (ios * meanBytes * readShare) / secs, write: (ios * meanBytes * (1 - readShare)) / secs, trim: 0 },
          iops: { read: (ios * readShare) / secs, write: (ios * (1 - readShare)) / secs, trim: 0 },
        },
        { cpuTotal: NaN, depotTotal: NaN, total: p.cached, tree: p.tree },
      );
    };
  }
  // The model runs in a worker thread (so SIGINT is heard here) and watches a shared stop flag.
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = (): void => { Atomics.store(stop, 0, 1); };
  if (input.signal?.aborted) onAbort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  let r: Awaited<ReturnType<typeof simulateInWorker>>;
  try {
    r = await simulateInWorker({ ...opts, stop }, onProgress);
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
  }
  const booksError = r.books.ok ? null : booksMessage(r);
  const c = r.counters;
  const runtimeMs = r.stopped ? Math.max(1, Math.round(r.simulatedSeconds * 1000)) : r.config.durationMs;
  const readShare = readFraction(first);
  const iosR = Math.round(c.ios * readShare);
  const split: Array<['read' | 'write', number]> = [['read', iosR], ['write', c.ios - iosR]];
  const names = [...new Set(input.jobs.map((j) => j.name))];
  const res: JobResult = {
    name: names.join('+'), groupid: 0, members: clones, error: 0, pid: process.pid, time: new Date(),
    options: { ...optionText(first, 'job'), numjobs: String(clones), clock: 'virtual' },
  };
  const iopsSeries = r.series.iops;
  for (const [dir, ios] of split) {
    if (ios === 0) continue;
    const share = dir === 'read' ? readShare : 1 - readShare;
    const d: DirResult = {
      ioBytes: Math.round(ios * meanBytes), totalIos: ios, runtimeMs,
      slat: r.latency.map,
      clat: first.clatPercentiles ? r.latency.clat : { ...r.latency.clat, percentiles: {} },
      lat: first.latPercentiles ? r.latency.clat : { ...r.latency.clat, percentiles: {} },
    };
    const iops = sampleStats(iopsSeries.map((x) => x * share));
    const bw = sampleStats(iopsSeries.map((x) => (x * share * meanBytes) / 1024));
    if (iops) d.iopsSamples = iops;
    if (bw) d.bwSamples = bw;
    res[dir] = d;
  }
  const last = (xs: number[]): number => (xs.length ? xs[xs.length - 1]! : 0);
  res.iova = {
    map: r.latency.map, unmap: r.latency.unmap, cacheHits: c.cacheHits, cacheMisses: c.cacheMisses,
    depotFullEvents: c.depotFullEvents, treeSize: last(r.series.treeSize), allocFailures: c.mapFailures,
  };
  if (!opts.strict) res.iova.flushes = c.fqFullFlushes + c.fqTimerFirings;
  const problems = [...r.books.problems];
  if (booksError && problems.length === 0) problems.push(booksError);
  const shown = opts;
  return {
    results: [res],
    domain: {
      clock: 'virtual', policy: g.policy, era: r.config.era, mode: g.mode, cpus: r.config.cpus, workers: clones, irqWorkers: 0,
      granule: g.granule, elapsedMs: runtimeMs, ios: c.ios, maps: c.maps, unmaps: c.maps,
      cacheHits: c.cacheHits, cacheMisses: c.cacheMisses, depotFullEvents: c.depotFullEvents,
      magsFreedToTree: c.magsFreedToTree, magazineAllocFailures: c.magazineAllocFailures,
      treeAllocs: c.treeAllocs, treeFrees: c.treeFrees,
      cpuTotal: last(r.series.cpuTotal), depotTotal: last(r.series.depotTotal), treeRanges: last(r.series.treeSize),
      treeMax: Math.max(0, ...r.series.treeSize),
      flushQueue: {
        size: g.fqSize, timeoutMs: g.fqTimeoutMs, timerFirings: c.fqTimerFirings, fullFlushes: c.fqFullFlushes,
        domainFlushes: c.fqTimerFirings + c.fqFullFlushes, iotlbFlushes: c.iotlbFlushes,
        maxDepth: Math.max(0, ...r.series.fqDepthMax),
      },
      allocFailures: c.mapFailures,
    },
    books: {
      ok: r.books.ok && !booksError, problems, rangesAfterFlush: r.books.treeRanges - r.books.cachedPfns,
      checkError: r.books.checkError,
    },
    interrupted: r.stopped,
    error: null,
    plan: null,
    model: modelOf(g),
    extra: {
      key: 'sim',
      value: {
        config: configJson(r.config), options: { ...shown, bs: formatBlockSize(first.bs) },
        drained_ios: c.drainedIos, walk_steps: c.walkSteps, tree_lock_held_ns: c.treeLockHeldNs,
        tree_lock_wait_ns: c.treeLockWaitNs, wall_seconds: r.wallSeconds, sim_ios_per_wall_second: r.simIosPerWallSecond,
      },
    },
  };
}

function readFraction(o: JobOptions): number {
  if (o.rw === 'read' || o.rw === 'randread') return 1;
  if (o.rw === 'write' || o.rw === 'randwrite') return 0;
  return o.rwmixread / 100;
}
