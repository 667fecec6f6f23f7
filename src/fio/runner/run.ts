// The real-clock run of `iova fio`: one IovaDomain, one worker thread per
// job clone (plus interrupt-only workers, see plan.ts), all over the same
// shared memory. The main thread opens the start gate, advances the domain
// clock every 10 ms (domain.tick: the linux-6.4 delayed depot work and the
// adaptive reclaim), samples the workers' counters for the status line and
// fio's bw/iops samples, stops everyone on an abort (Ctrl-C), and at the end
// runs the CPU-dead path, flushAll, and checks the books.
import { availableParallelism } from 'node:os';
import { DmaPath } from '../../domain/dma.js';
import { IovaDomain } from '../../domain/iova-domain.js';
import type { AllocatorState, JobResult, StatusJob, StatusSnapshot } from '../format.js';
import { type JobOptions, type ModelOptions, modelOf, optionText } from '../options.js';
import { makePlan, type RunPlan } from './plan.js';
import {
  CTRL_ERROR, CTRL_PHASE, CTRL_STOP, F_START_MS, PHASE_EXIT, PHASE_RUN, R_HEAD, R_TAIL,
  STATE_DONE, STATE_EXITED, STATE_FINISHING, STATE_RUNNING, STATE_SETUP, W_STATE, WF_BYTES_R, WF_BYTES_W,
  WF_IOS_R, WF_IOS_W, WF_SUBMITTED, WF_SUBMITTED_BYTES, ringBell, runClock,
} from './shared.js';
import { WORKER_READY, type WorkerCounters, type WorkerHists, type WorkerInit, type WorkerResult } from './worker.js';
import { CpuPool, WorkerCommandError, WorkerExitedError } from '../../workers/pool.js';
import { recoverSlots } from './recover.js';
import type { RunClockError } from '../errors.js';
import { loadBooksProblems } from '../../load/books.js';
import { type JobRaw, foldGroups, jobResult, reviveAll } from './groups.js';

export interface RunInput {
  jobs: readonly JobOptions[];
  global: JobOptions;
  /** --cpus when given explicitly; default: one CPU per job clone. */
  cpus?: number;
  /** Aborting stops submission; the run drains and reports what it did (Ctrl-C). */
  signal?: AbortSignal;
  /** Called every status interval (global.statusIntervalMs; 0: never). */
  onStatus?: (s: StatusSnapshot, a: AllocatorState) => void;
  /** Host cores; default os.availableParallelism(). */
  hostCores?: number;
  /** Period of the domain clock (domain.tick). Default 10 ms. */
  tickMs?: number;
  /** Period of fio's bw/iops samples. Default 500 ms (fio's bw_avg_time). */
  sampleMs?: number;
  /**
   * A domain shared with other phases (phases.ts): the caller made it with at
   * least `cpus` CPUs and closes it (closeDomain) after the last phase. Without
   * one the run makes its own and closes it at the end.
   */
  domain?: IovaDomain;
  /** Reporting group of each job definition (fio's groupid); default all 0. */
  groupIds?: readonly number[];
  /** Domain clock at this run's start (a later phase of a shared domain continues the clock). Default 0. */
  domainTimeMs?: number;
  /**
   * Called once every worker is set up, before the run starts, with the run's
   * pool (worker w of the plan is pool worker w): the fault suite uses it to
   * terminate a worker mid-run (test/faults-fio.test.ts).
   */
  onPool?: (pool: CpuPool) => void;
}

/** Domain-wide figures of a run. */
export interface DomainSummary {
  clock: 'real' | 'virtual';
  policy: string;
  era: string;
  mode: 'strict' | 'non-strict';
  cpus: number;
  workers: number;
  /** Interrupt-only workers (CPUs that take completions but run no job). */
  irqWorkers: number;
  granule: number;
  elapsedMs: number;
  ios: number;
  maps: number;
  unmaps: number;
  cacheHits: number;
  cacheMisses: number;
  depotFullEvents: number;
  magsFreedToTree: number;
  magazineAllocFailures: number;
  treeAllocs: number;
  treeFrees: number;
  /** At the end of the run, before the CPU-dead path and flushAll. */
  cpuTotal: number;
  depotTotal: number;
  treeRanges: number;
  /** Largest tree seen by the 10 ms clock. */
  treeMax: number;
  flushQueue: {
    size: number;
    timeoutMs: number;
    timerFirings: number;
    fullFlushes: number;
    domainFlushes: number;
    iotlbFlushes: number;
    /** Deepest any CPU's queue got (it holds size - 1). */
    maxDepth: number;
  };
  allocFailures: number;
}

export interface Books {
  ok: boolean;
  problems: string[];
  /** Ranges in the tree after the CPU-dead path and flushAll (must be 0); -1 for a phase of a shared domain (checked after the last). */
  rangesAfterFlush: number;
  checkError: string | null;
  /** After a worker died (recover.ts): segments the host unmapped for I/Os left in flight, and in-doubt ranges it freed. */
  recovered?: { unmapped: number; settled: number };
}

export interface RunOutcome {
  results: JobResult[];
  domain: DomainSummary;
  books: Books;
  /** Stopped by the signal (Ctrl-C) before the jobs' own end. */
  interrupted: boolean;
  /** A worker failed; the run was abandoned. */
  error: string | null;
  plan: RunPlan | null;
  /** The device and IOTLB model the run used. */
  model: ModelOptions;
  /** Extra engine information for the JSON "iova" object (virtual clock: the model's configuration). */
  extra?: { key: string; value: unknown };
}

const STATE_NAME: Record<number, StatusJob['state']> = {
  [STATE_SETUP]: 'setup', [STATE_RUNNING]: 'running', [STATE_FINISHING]: 'finishing',
  [STATE_DONE]: 'finished', [STATE_EXITED]: 'finished',
};

/** Splits `total` over `weights` in proportion, in whole numbers that add up exactly (largest remainder). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, w) => a + w, 0);
  if (weights.length === 0) return [];
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const raw = weights.map((w) => (total * w) / sum);
  const out = raw.map(Math.floor);
  let left = total - out.reduce((a, x) => a + x, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k++, left--) out[order[k % order.length]![1]]!++;
  return out;
}

type RecoveryReport = RunClockError['recovery'];

/**
 * The clock's error `e` with the report of `recover` (the run's recovery, run here) attached:
 * RunClockError, src/fio/errors.ts. The clock's error is never lost nor replaced: when `recover`
 * throws, its error becomes one of the report's problems (what it gave back before is then not
 * counted); when `e` cannot take the property (not an Error, frozen, non-extensible), a new Error
 * carries the report, with `e` as its `cause`.
 */
export function clockFailure(e: unknown, recover: () => RecoveryReport | null): RunClockError {
  let report: RecoveryReport;
  try {
    report = recover() ?? { unmapped: 0, settled: 0, problems: [] };
  } catch (r) {
    const why = r instanceof Error ? `${r.name}: ${r.message}` : String(r);
    report = { unmapped: 0, settled: 0, problems: [`the recovery itself failed (what it gave back before is not counted): ${why}`] };
  }
  const value = { unmapped: report.unmapped, settled: report.settled, problems: [...report.problems] };
  if (e instanceof Error) {
    try {
      Object.defineProperty(e, 'recovery', { value, enumerable: true });
      return e as RunClockError;
    } catch {
      // frozen, non-extensible, or a `recovery` of its own that cannot be redefined: wrapped below
    }
  }
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const err = new Error(`the domain clock threw ${what}`, { cause: e });
  Object.defineProperty(err, 'recovery', { value, enumerable: true });
  return err as RunClockError;
}

/**
 * Runs the jobs on worker threads against the wall clock. A failure of the
 * domain clock (domain.tick) is thrown once the workers are gone; on a live
 * domain it carries the recovery's report (RunClockError).
 */
export async function runReal(input: RunInput): Promise<RunOutcome> {
  const g = input.global;
  const model = modelOf(g);
  const plan = makePlan({ jobs: input.jobs, global: g, cpus: input.cpus, hostCores: input.hostCores ?? availableParallelism() });
  const ownDomain = input.domain === undefined;
  const domain = input.domain ?? openDomain(plan);
  const dma = new DmaPath(domain);
  // A shared domain carries the counts of earlier phases: this phase reports the difference.
  const before = domainCounters(domain, plan.cpus);
  const i32 = new Int32Array(new SharedArrayBuffer(4 * plan.i32Words));
  const f64 = new Float64Array(new SharedArrayBuffer(8 * plan.f64Words));
  const hrBase = process.hrtime.bigint();
  const clock = runClock(hrBase);
  const W = plan.workers.length;
  const jobWorkers = plan.workers.filter((w) => w.isJob);

  // ---- start the workers on a CpuPool (worker w attached as its CPU), and wait until every one is set up
  const results: Array<{ hists: WorkerHists | null; counters: WorkerCounters } | undefined> = new Array(W);
  let error: string | null = null;
  const dead = new Set<number>();
  const failed = new Set<number>();
  let readyCount = 0;
  let onAllReady!: () => void;
  const allReady = new Promise<void>((r) => { onAllReady = r; });
  const abortAll = (why: string): void => {
    if (!error) error = why;
    Atomics.store(i32, CTRL_ERROR, 1);
    Atomics.store(i32, CTRL_STOP, 1);
    Atomics.store(i32, CTRL_PHASE, PHASE_EXIT);
    Atomics.notify(i32, CTRL_PHASE);
    for (const w of plan.workers) ringBell(i32, w.workerBase);
    onAllReady();
  };
  // Every view shares its CPU (as the jobs of one CPU share its rcache), and the CPU-dead path is the
  // run's own (closeDomain, after the last phase): a phase's workers leave the caches to the next phase.
  const pool = await CpuPool.start(domain, { cpuOf: plan.workers.map((w) => w.cpu), shareCpu: true, cpuDeadPath: false });
  pool.on('progress', (w: number, data: unknown) => {
    if (data === WORKER_READY && ++readyCount === W) onAllReady();
  });
  pool.on('crash', (w: number, e: Error) => abortAll(`worker ${w} (${plan.workers[w]!.name}) crashed: ${e.message}`));
  const module = new URL('./worker.js', import.meta.url).href;
  const finished = plan.workers.map((wp) => {
    const args: WorkerInit = { plan, index: wp.index, i32: i32.buffer as SharedArrayBuffer, f64: f64.buffer as SharedArrayBuffer, hrBase };
    return pool.send(wp.index, { kind: 'run', module, fn: 'runFioWorker', args }).then(
      (r) => { results[wp.index] = r as WorkerResult; },
      (e: Error) => {
        if (e instanceof WorkerExitedError) {
          // A dead worker: what it posted at its safe point counts; what it left in flight is recovered below.
          dead.add(wp.index);
          const partial = e.partial as { counters?: WorkerCounters } | undefined;
          if (partial?.counters) results[wp.index] = { hists: null, counters: partial.counters };
          abortAll(`worker ${wp.index} (${wp.name}) exited with code ${e.exitCode}`);
        }
        else {
          // A failed worker left the run at its last call, which may be half done: in doubt, like a dead one's.
          failed.add(wp.index);
          const why = e instanceof WorkerCommandError ? `${e.remote.name}: ${e.remote.message}` : `${e.name}: ${e.message}`;
          abortAll(`worker ${wp.index} (${wp.name}, CPU ${wp.cpu}): ${why}`);
        }
      },
    ).finally(() => Atomics.store(i32, wp.workerBase + W_STATE, STATE_EXITED));
  });
  await allReady;
  input.onPool?.(pool);

  // ---- go
  let interrupted = false;
  const stop = (): void => {
    if (Atomics.load(i32, CTRL_STOP) !== 0) return;
    interrupted = true;
    Atomics.store(i32, CTRL_STOP, 1);
    for (const w of plan.workers) ringBell(i32, w.workerBase);
  };
  if (input.signal?.aborted) stop();
  input.signal?.addEventListener('abort', stop, { once: true });
  const startMs = clock();
  f64[F_START_MS] = startMs;
  if (!error) {
    Atomics.store(i32, CTRL_PHASE, PHASE_RUN);
    Atomics.notify(i32, CTRL_PHASE);
  }

  // The domain clock, per-job tree size at its end, and the largest tree.
  const treeAtEnd = new Array<number>(W).fill(-1);
  let treeMax = 0;
  // The clock's own failure (LockHolderDeadError: a worker died holding a lock the tick needs, or poisoned
  // the domain) is the run's: thrown from a timer it would be an uncaught error no caller sees. The clock
  // stops, the run is abandoned, and runReal throws it once the workers are gone.
  let tickError: unknown = null;
  const tickTimer = setInterval(() => {
    if (domain.isDestroyed || tickError !== null) return;
    try {
      const t = clock() - startMs;
      domain.tick((input.domainTimeMs ?? 0) + t);  // the policy's own interval (adaptive: ADAPTIVE_RECLAIM_MS)
      const tree = domain.stats().ranges;
      if (tree > treeMax) treeMax = tree;
      for (const w of jobWorkers) {
        if (treeAtEnd[w.index] === -1 && Atomics.load(i32, w.workerBase + W_STATE) >= STATE_DONE) treeAtEnd[w.index] = tree;
      }
    } catch (e) {
      tickError = e;
      clearInterval(tickTimer);
      abortAll(`the domain clock (domain.tick): ${(e as Error).name}: ${(e as Error).message}`);
    }
  }, input.tickMs ?? 10);

  // fio's bw/iops samples (KiB/s and IO/s per direction) over whole sample periods of running jobs.
  const sampleMs = input.sampleMs ?? 500;
  const bwSamples = jobWorkers.map(() => [[], []] as [number[], number[]]);
  const iopsSamples = jobWorkers.map(() => [[], []] as [number[], number[]]);
  const prev = jobWorkers.map(() => [0, 0, 0, 0]);
  let prevT = startMs;
  const sampleTimer = setInterval(() => {
    const t = clock();
    const secs = (t - prevT) / 1000;
    prevT = t;
    jobWorkers.forEach((w, j) => {
      const b = w.countersBase;
      const cur = [f64[b + WF_BYTES_R]!, f64[b + WF_BYTES_W]!, f64[b + WF_IOS_R]!, f64[b + WF_IOS_W]!];
      // Whole periods of a running job past its ramp_time only.
      if (Atomics.load(i32, w.workerBase + W_STATE) === STATE_RUNNING && secs > 0 && t - secs * 1000 - startMs >= w.opts.rampTimeMs) {
        for (const d of [0, 1] as const) {
          bwSamples[j]![d].push((cur[d]! - prev[j]![d]!) / 1024 / secs);
          iopsSamples[j]![d].push((cur[2 + d]! - prev[j]![2 + d]!) / secs);
        }
      }
      prev[j] = cur;
    });
  }, sampleMs);

  // Status: rates over the last interval.
  let statusTimer: NodeJS.Timeout | undefined;
  if (input.onStatus && g.statusIntervalMs > 0) {
    let last = { t: startMs, br: 0, bw: 0, ir: 0, iw: 0 };
    statusTimer = setInterval(() => {
      if (domain.isDestroyed) return;
      const t = clock();
      let br = 0, bw = 0, ir = 0, iw = 0;
      let eta = 0;
      let capBytes = 0, capIops = 0;
      const elapsed = (t - startMs) / 1000;
      const jobs: StatusJob[] = jobWorkers.map((w) => {
        const b = w.countersBase;
        br += f64[b + WF_BYTES_R]!;
        bw += f64[b + WF_BYTES_W]!;
        ir += f64[b + WF_IOS_R]!;
        iw += f64[b + WF_IOS_W]!;
        let state = STATE_NAME[Atomics.load(i32, w.workerBase + W_STATE)] ?? 'running';
        if (state === 'running' && elapsed * 1000 < w.opts.rampTimeMs) state = 'ramp';
        if (state === 'running' || state === 'ramp') {
          capBytes += w.opts.rateRead + w.opts.rateWrite;
          capIops += w.opts.rateIopsRead + w.opts.rateIopsWrite;
        }
        if ((state === 'running' || state === 'ramp') && eta >= 0) eta = Math.max(eta, jobEta(w.opts, elapsed, f64[b + WF_SUBMITTED]!, f64[b + WF_SUBMITTED_BYTES]!));
        return { state, rw: w.opts.rw, rwmixread: w.opts.rwmixread };
      });
      const secs = Math.max(1e-9, (t - last.t) / 1000);
      const snap: StatusSnapshot = {
        jobs, elapsedSec: elapsed, etaSec: eta,
        bytesPerSec: { read: (br - last.br) / secs, write: (bw - last.bw) / secs, trim: 0 },
        iops: { read: (ir - last.ir) / secs, write: (iw - last.iw) / secs, trim: 0 },
        ...(capBytes > 0 || capIops > 0 ? { rateCap: { bytesPerSec: capBytes, iops: capIops } } : {}),
      };
      last = { t, br, bw, ir, iw };
      const cs = domain.cacheStats();
      input.onStatus!(snap, { cpuTotal: cs.cpuTotal, depotTotal: cs.depotTotal, total: cs.total, tree: cs.treeRanges });
    }, g.statusIntervalMs);
  }

  // ---- wait for everyone; a run that cannot finish (a failed worker) is cut off.
  let cutoff: NodeJS.Timeout | undefined;
  const watchdog = setInterval(() => {
    if (error && !cutoff) cutoff = setTimeout(() => { void pool.terminateAll(); }, 5000);
  }, 50);
  await Promise.all(finished);
  await pool.close();
  clearInterval(watchdog);
  if (cutoff) clearTimeout(cutoff);
  clearInterval(tickTimer);
  clearInterval(sampleTimer);
  if (statusTimer) clearInterval(statusTimer);
  input.signal?.removeEventListener('abort', stop);
  // A poisoned (or destroyed) domain refuses every call: nothing can be given back, the clock's error is all there is.
  if (tickError !== null && (domain.isDestroyed || domain.poisonedBy !== null)) throw tickError;
  // A worker died or failed: the host gives back what the run still holds (recover.ts), on a CPU none of them ran on.
  // Also when the clock failed on a live domain: its error is rethrown below, after the workers' ranges are back.
  const inDoubt = new Set([...dead, ...failed]);
  const survivor = plan.workers.find((w) => !inDoubt.has(w.index));
  const recover = () => {
    try {
      return inDoubt.size > 0 ? recoverSlots(plan, f64, domain, dma, inDoubt, survivor?.cpu ?? 0, clock()) : null;
    } finally {
      // Every worker of this phase is gone: the CPU-dead path's first step frees their shared views for the next phase.
      plan.cpuWorkers.forEach((ws, c) => { if (ws.length) domain.setCpuAlive(c, false); });
    }
  };
  // A failing recovery after a clock failure is reported on the clock's error (clockFailure), never thrown instead of it.
  if (tickError !== null) throw clockFailure(tickError, recover);
  const recovery = recover();
  const endMs = clock();

  // ---- domain figures before anything is handed back (this run's share of a shared domain)
  const now0 = domainCounters(domain, plan.cpus);
  const delta = (f: (c: DomainCounters) => number): number => f(now0) - f(before);
  const cpuHits = now0.cpuHits.map((v, c) => v - before.cpuHits[c]!);
  const cpuMisses = now0.cpuMisses.map((v, c) => v - before.cpuMisses[c]!);
  const cs = domain.cacheStats();
  const treeEnd = domain.stats();
  let fqMaxDepth = 0;
  const fqEnd = dma.statsDump();
  for (let c = 0; c < plan.cpus; c++) fqMaxDepth = Math.max(fqMaxDepth, fqEnd.cpu(c).maxDepth);

  // ---- the books: nothing in flight, no queue or ring holding anything, every map unmapped
  const problems: string[] = [];
  const counters = plan.workers.map((w) => results[w.index]?.counters);
  // With a dead worker, the job-level counts cannot balance (its I/Os in flight were unmapped by the host,
  // not completed): the books are the recovery's and the core's.
  const jobBooks = recovery === null;
  if (recovery) problems.push(...recovery.problems);
  if (jobBooks && counters.some((c) => !c)) problems.push(`${counters.filter((c) => !c).length} worker(s) posted no result`);
  const sum = (f: (c: WorkerCounters) => number): number => counters.reduce((a, c) => a + (c ? f(c) : 0), 0);
  for (let c = 0; c < plan.cpus; c++) {
    const rb = plan.ringBase[c]!;
    const inRing = i32[rb + R_TAIL]! - i32[rb + R_HEAD]!;
    if (jobBooks && inRing !== 0) problems.push(`CPU ${c}'s completion ring still holds ${inRing} I/Os`);
    const inFq = fqEnd.cpu(c).depth;
    if (inFq !== 0) problems.push(`CPU ${c}'s flush queue still holds ${inFq} entries`);
  }
  for (const w of jobBooks ? jobWorkers : []) {
    const c = counters[w.index];
    if (!c) continue;
    if (c.inflightAtEnd !== 0) problems.push(`${w.name} (worker ${w.index}) ended with ${c.inflightAtEnd} I/Os in flight`);
    const b = w.countersBase;
    const ios = f64[b + WF_IOS_R]! + f64[b + WF_IOS_W]!;
    if (ios + c.rampIos !== c.submitted) {
      problems.push(`${w.name} (worker ${w.index}) submitted ${c.submitted} I/Os but completed ${ios} (+${c.rampIos} in the ramp)`);
    }
    const rb = w.doneRingBase;
    if (i32[rb + R_TAIL]! !== i32[rb + R_HEAD]!) problems.push(`${w.name}'s done ring is not empty`);
  }
  const maps = sum((c) => c.maps);
  const unmapCalls = sum((c) => c.unmapCalls);
  const unmaps = sum((c) => c.unmaps);
  if (jobBooks && (maps !== unmapCalls || maps !== unmaps)) problems.push(`${maps} maps but ${unmapCalls} unmap calls (${unmaps} accounted to jobs)`);

  // The core's books, before anything is handed back: every range cached, none queued, the tree sound.
  problems.push(...loadBooksProblems(domain, dma, 0, before.slabFull));
  let rangesAfterFlush = -1;
  let checkError: string | null = null;
  if (ownDomain) {
    const closed = closeDomain(domain, plan.cpuWorkers.flatMap((ws, c) => (ws.length ? [c] : [])));
    problems.push(...closed.problems);
    ({ rangesAfterFlush, checkError } = closed);
  }

  // ---- per-job results (a group with group_reporting folds into one)
  const now = new Date();
  const jobMaps = jobWorkers.map((w) => counters[w.index]?.maps ?? 0);
  // Cache counters are per CPU: jobs sharing a CPU share its counters by their maps.
  const hits = new Array<number>(W).fill(0);
  const misses = new Array<number>(W).fill(0);
  for (let c = 0; c < plan.cpus; c++) {
    const on = jobWorkers.filter((w) => w.cpu === c);
    if (on.length === 0) continue;
    const weights = on.map((w) => counters[w.index]?.maps ?? 0);
    apportion(cpuHits[c]!, weights).forEach((v, k) => { hits[on[k]!.index] = v; });
    apportion(cpuMisses[c]!, weights).forEach((v, k) => { misses[on[k]!.index] = v; });
  }
  const depotFull = apportion(delta((c) => c.depotFull), jobMaps);
  const raws: JobRaw[] = jobWorkers.map((w, j) => {
    const r = results[w.index];
    const c = r?.counters;
    const b = w.countersBase;
    const h = r?.hists;
    return {
      name: w.name, groupid: input.groupIds?.[w.jobDef] ?? 0, members: 1, ok: !!r, opts: w.opts,
      // fio's runtime leaves out the ramp.
      runtimeMs: Math.max(1, Math.round((c?.endMs || endMs) - startMs - w.opts.rampTimeMs)),
      ios: [f64[b + WF_IOS_R]!, f64[b + WF_IOS_W]!], bytes: [f64[b + WF_BYTES_R]!, f64[b + WF_BYTES_W]!],
      hists: h ? reviveAll(h) : null, bw: bwSamples[j]!, iops: iopsSamples[j]!,
      hits: hits[w.index]!, misses: misses[w.index]!, depotFull: depotFull[j]!,
      treeSize: treeAtEnd[w.index]! >= 0 ? treeAtEnd[w.index]! : treeEnd.ranges,
      allocFailures: c?.allocFailures ?? 0, flushes: plan.strict ? undefined : c?.domainFlushes ?? 0,
    };
  });
  const out = foldGroups(raws).map((raw) => jobResult(raw, now));

  const summary: DomainSummary = {
    clock: 'real', policy: plan.policy, era: domain.era, mode: plan.strict ? 'strict' : 'non-strict', cpus: plan.cpus, workers: W,
    irqWorkers: W - plan.jobWorkers, granule: plan.granule, elapsedMs: endMs - startMs,
    ios: jobWorkers.reduce((a, w) => a + f64[w.countersBase + WF_IOS_R]! + f64[w.countersBase + WF_IOS_W]!, 0),
    maps, unmaps: unmapCalls,
    cacheHits: delta((c) => c.hits), cacheMisses: delta((c) => c.misses), depotFullEvents: delta((c) => c.depotFull),
    magsFreedToTree: delta((c) => c.magsFreedToTree), magazineAllocFailures: delta((c) => c.magazineAllocFailures),
    treeAllocs: delta((c) => c.treeAllocs), treeFrees: delta((c) => c.treeFrees),
    cpuTotal: cs.cpuTotal, depotTotal: cs.depotTotal, treeRanges: treeEnd.ranges, treeMax: Math.max(treeMax, treeEnd.ranges),
    flushQueue: {
      size: plan.fqSize, timeoutMs: plan.fqTimeoutMs, timerFirings: sum((c) => c.timerFirings),
      fullFlushes: sum((c) => c.fullFlushes), domainFlushes: sum((c) => c.domainFlushes),
      iotlbFlushes: sum((c) => c.iotlbFlushes), maxDepth: fqMaxDepth,
    },
    allocFailures: sum((c) => c.allocFailures),
  };
  // An error without a dead or failed worker (a crash event) leaves the books unknown: the error is the first problem.
  // After a recovery the books are the recovery's: exact or not, whatever the error was.
  if (error && recovery === null) problems.unshift(error);
  return {
    results: out, domain: summary,
    books: {
      ok: problems.length === 0, problems, rangesAfterFlush, checkError,
      ...(recovery ? { recovered: { unmapped: recovery.unmapped, settled: recovery.settled } } : {}),
    },
    interrupted, error, plan, model,
  };
}

/** Seconds left of a running job, from its runtime or its size/number_ios progress. */
function jobEta(o: JobOptions, elapsed: number, submitted: number, bytes: number): number {
  let eta = -1;
  if (o.runtimeMs > 0) eta = Math.max(0, (o.rampTimeMs + o.runtimeMs) / 1000 - elapsed);
  if (!o.timeBased) {
    const frac = Math.max(o.numberIos > 0 ? submitted / o.numberIos : 0, o.size > 0 ? bytes / o.size : 0);
    if (frac > 0) {
      const byCount = (elapsed * (1 - Math.min(1, frac))) / frac;
      eta = eta < 0 ? byCount : Math.min(eta, byCount);
    }
  }
  return eta;
}

/** The domain a run's plan asks for (a multi-phase run passes the largest phase's slabs and worker count). */
export function openDomain(plan: RunPlan, slabs: { maxRanges: number; maxMagazines: number; workers: number } =
  { ...plan, workers: plan.workers.length }): IovaDomain {
  return new IovaDomain(plan.granule, 1, {
    cpus: plan.cpus, policy: plan.policy, era: plan.era, maxRanges: slabs.maxRanges, maxMagazines: slabs.maxMagazines,
    flushQueue: { size: plan.fqSize, timeoutMs: plan.fqTimeoutMs },
    // Every worker attaches as a sharer of its CPU (worker.ts), each with a scratch slot of its own.
    sharedViews: slabs.workers,
  });
}

/** The domain's cumulative counters: a run on a shared domain reports what changed. */
interface DomainCounters {
  cpuHits: number[];
  cpuMisses: number[];
  hits: number;
  misses: number;
  depotFull: number;
  magsFreedToTree: number;
  magazineAllocFailures: number;
  treeAllocs: number;
  treeFrees: number;
  slabFull: number;
}

function domainCounters(domain: IovaDomain, cpus: number): DomainCounters {
  const dump = domain.statsDump();
  const cpuHits: number[] = [];
  const cpuMisses: number[] = [];
  for (let c = 0; c < cpus; c++) {
    cpuHits.push(dump.cpu(c, "hits"));
    cpuMisses.push(dump.cpu(c, "misses"));
  }
  const cs = domain.cacheStats();
  const t = domain.stats();
  return {
    cpuHits, cpuMisses, hits: cs.hits, misses: cs.misses, depotFull: cs.depotFullEvents, magsFreedToTree: cs.magsFreedToTree,
    magazineAllocFailures: cs.magazines.allocFailures, treeAllocs: t.allocs, treeFrees: t.frees, slabFull: t.slabFull,
  };
}

/**
 * The end of a domain: the CPU-dead path of every CPU that ran a worker,
 * everything back to the tree (flushAll), which must leave it empty, and
 * check(). Destroys the domain.
 */
export function closeDomain(domain: IovaDomain, cpusUsed: Iterable<number>): { problems: string[]; rangesAfterFlush: number; checkError: string | null } {
  const problems: string[] = [];
  for (const c of cpusUsed) {
    domain.setCpuAlive(c, false);
    domain.freeCpuCached(c);
  }
  domain.flushAll();
  const rangesAfterFlush = domain.stats().ranges;
  if (rangesAfterFlush !== 0) {
    problems.push(`after flushAll the tree still holds ${rangesAfterFlush} ranges (leaked or double-mapped IOVAs)`);
  }
  const checkError = domain.checkProblem();
  if (checkError) problems.push(`domain.check(): ${checkError}`);
  domain.destroy();
  return { problems, rangesAfterFlush, checkError };
}
