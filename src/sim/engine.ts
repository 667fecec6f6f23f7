// The virtual-clock load engine: J fio-like jobs drive one IOVA domain from
// C simulated CPUs, on one thread, deterministically.
//
// Each of the J x Q I/O slots cycles through two events:
//   SUBMIT   on the job's CPU: draw a block size, map it (alloc_iova_fast per
//            segment), then hand it to the device;
//   COMPLETE on the completion CPU: unmap it (strict: free_iova_fast at once;
//            non-strict: queue_iova into that CPU's flush queue), then the
//            job submits the slot again.
// plus the flush-queue timer (fq_flush_timeout). The wasm domain does the
// real allocator work; the clock charges what the kernel would pay for it
// (src/sim/costs.ts): per-CPU busy-until times, and ONE tree lock shared by
// every CPU, so tree work of all CPUs is serialized.
//
// Events are handled in time order at their arrival; a CPU (or the tree
// lock) that is busy delays the work (FIFO service), and the allocator's
// state changes in arrival order. See docs/cost-model.md.
import { IovaDomain } from "../domain/iova-domain.js";
import { ORDERS } from "../domain/stats.js";
import type { LatencyStats } from "../fio/latency.js";
import { SimHistogram } from "./histogram.js";
import type { PolicySeries } from "../report/types.js";
import { CACHE_STAT, DEPOT_STAT, TREE_STAT } from "../wasm/exports.js";
import { BlockSizeSampler } from "./block-size.js";
import { resolveSimOptions, type SimConfig, type SimOptions } from "./options.js";

export type { SimConfig, SimOptions, SimProgress } from "./options.js";
import { Rng } from "./rng.js";
import { EventHeap } from "./heap.js";

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
  /** Domain flushes from a full flush queue. */
  fqFullFlushes: number;
  fqTimerFirings: number;
  iotlbFlushes: number;
  migrations: number;
  /** Simulated ns the tree lock was held, and waited for (summed over CPUs). */
  treeLockHeldNs: number;
  treeLockWaitNs: number;
  cacheHits: number;
  cacheMisses: number;
  magazineAllocFailures: number;
  depotFullEvents: number;
  magsFreedToTree: number;
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

/**
 * A snapshot of every cache, as the kernel thread's print_iova1 (per CPU and
 * size order: loaded and prev magazine sizes) and print_iova2 (per order:
 * depot magazines) dumps showed them. CPUs holding nothing are left out.
 */
export interface CacheDump {
  /** Simulated seconds. */
  t: number;
  cpus: { cpu: number; loaded: number[]; prev: number[] }[];
  depot: number[];
}

/** About this many dumps per run (they are large: one entry per busy CPU). */
export const DUMPS_PER_RUN = 16;

export interface SimResult {
  config: SimConfig;
  series: PolicySeries;
  /** print_iova1/print_iova2-style snapshots, about DUMPS_PER_RUN per run. */
  dumps: CacheDump[];
  /** Extra per-sample series for diagnosis, aligned with series.t. */
  diagnostics: {
    /** Fraction of the interval the tree lock was held. */
    treeLockBusy: number[];
    /** Mean nodes walked per tree allocation in the interval (0 if none). */
    walkPerTreeAlloc: number[];
    /** Tree allocations per second in the interval. */
    treeAllocRate: number[];
    /** Mean map latency in the interval, ns. */
    mapLatencyMean: number[];
  };
  counters: SimCounters;
  /** Simulated ns: map (submit to mapped), unmap (completion to unmapped), clat (submit to unmapped). */
  latency: { map: LatencyStats; unmap: LatencyStats; clat: LatencyStats };
  books: BooksCheck;
  /** Simulated time run: config.durationMs, or less when options.stop cut the run short. */
  simulatedSeconds: number;
  /** options.stop ended the run before config.durationMs. */
  stopped: boolean;
  wallSeconds: number;
  simIosPerWallSecond: number;
}

/** The books' verdict in one line, naming the policy (for logs and errors). */
export function booksMessage(result: Pick<SimResult, "config" | "books">): string {
  return result.books.ok
    ? `iova sim (${result.config.policy}): books balance`
    : `iova sim (${result.config.policy}): books do not balance after the drain: ${result.books.problems.join("; ")}`;
}

const PH_SUBMIT = 0;
const PH_COMPLETE = 1;
const RETRY_NS = 10_000;

// Slots of the engine's scalar state vector.
const TREE_BUSY = 0;    // the tree lock is held until then (ns)
const LAST_FREES = 1;   // tree frees counted so far
const START_CNT = 2;    // fq_flush_start_cnt
const FINISH_CNT = 3;   // fq_flush_finish_cnt
const LOCK_HELD = 4;    // ns the tree lock was held, whole run
const LOCK_WAIT = 5;    // ns CPUs waited for it, whole run
const I_IOS = 6;        // this interval: I/Os completed
const I_FQ_DEPTH = 7;   //   deepest flush queue
const I_HELD = 8;       //   ns the tree lock was held
const I_MAP_NS = 9;     //   map latency summed
const I_MAPS = 10;      //   maps
const ST_SIZE = 11;

/**
 * Runs one load to the end, drains it and checks the books. The verdict is
 * `result.books` (ok, and the problems if not): a run whose books fail is
 * still a result to report, so it is returned, not thrown.
 */
export function simulate(options: SimOptions = {}): SimResult {
  const cfg = resolveSimOptions(options);
  const wall0 = performance.now();
  const C = cfg.cpus;
  const J = cfg.jobs;
  const Q = cfg.iodepth;
  const S = J * Q;
  const costs = cfg.costs;
  const domain = new IovaDomain(cfg.granule, 1, {
    cpus: C, policy: cfg.policy, era: cfg.era, maxRanges: cfg.maxRanges, maxMagazines: cfg.maxMagazines, countKernelWalk: true,
  });
  const ex = domain.ex;
  const base = domain.base;
  const limit32 = domain.dma32Pfn - 1;
  const limit64 = 2 ** (cfg.addressBits - Math.log2(cfg.granule)) - 1;
  const dma32First = cfg.dma32First;
  const granule = cfg.granule;
  const maxSeg = cfg.maxSegment;
  const rng = new Rng(cfg.seed);
  const bsSampler = new BlockSizeSampler(cfg.bs, rng);
  const segsPerIo = Math.ceil(bsSampler.maxBytes / maxSeg);

  // Cost figures as locals (the hot loop reads them on every event).
  const submitNs = costs.submitNs;
  const completeNs = costs.completeNs;
  const magNs = costs.magazineNs;
  const treeAllocNs = costs.treeAllocNs;
  const walkNs = costs.walkNodeNs;
  const treeFreeNs = costs.treeFreeNs;
  const iotlbNs = costs.iotlbFlushNs;
  const devBaseNs = costs.deviceBaseNs;
  const nsPerByte = 1e9 / costs.deviceBytesPerSec;
  const jitter = costs.deviceJitter;
  const serialTransfers = costs.deviceSerialTransfers === 1;

  let durationNs = cfg.durationMs * 1e6;  // cut short by options.stop
  const intervalNs = cfg.intervalMs * 1e6;
  const tickNs = cfg.tickMs * 1e6;
  const reclaimMs = cfg.reclaimIntervalMs;
  const strict = cfg.strict;
  const mode = cfg.completion === "same" ? 0 : cfg.completion === "other" ? 1 : 2;
  const migrateNs = cfg.migrateMs * 1e6;

  // ---- state in typed arrays
  const cpuBusy = new Float64Array(C);
  const jobCpu = new Int32Array(J);
  const cpuJobs = new Int32Array(C);  // jobs currently on each CPU
  const nextMigrate = new Float64Array(J);
  const devFree = new Float64Array(J);  // each job's device link is busy until then
  for (let j = 0; j < J; j++) {
    jobCpu[j] = j % C;
    cpuJobs[j % C]++;
    nextMigrate[j] = migrateNs > 0 ? rng.exp(migrateNs) : Infinity;
  }
  const slotJob = new Int32Array(S);
  const phase = new Uint8Array(S);
  const submitAt = new Float64Array(S);
  const segCount = new Int32Array(S);
  const segPfn = new Float64Array(S * segsPerIo);
  const segPages = new Float64Array(S * segsPerIo);
  for (let s = 0; s < S; s++) slotJob[s] = Math.floor(s / Q);

  // Flush queues: one ring per CPU. An entry carries fq_flush_start_cnt.
  const F = cfg.fqSize;
  const fqPfn = new Float64Array(C * F);
  const fqPages = new Float64Array(C * F);
  const fqCnt = new Float64Array(C * F);
  const fqHead = new Int32Array(C);
  const fqTail = new Int32Array(C);
  // Scalars shared by the loop and its helpers live in one typed array: a
  // closure-captured `let` holding a double would box it on every write.
  const st = new Float64Array(ST_SIZE);
  let timerOn = false;
  let timerCpu = 0;
  const TIMER_ID = S;
  const fqTimeoutNs = cfg.fqTimeoutMs * 1e6;

  const heap = new EventHeap(S + 1);
  let lastWalk = ex.walkSteps();
  let lastAllocs = ex.treeStat(base, TREE_STAT.allocs);
  st[LAST_FREES] = ex.treeStat(base, TREE_STAT.frees);
  const walk0 = lastWalk;
  const allocs0 = lastAllocs;
  const frees0 = st[LAST_FREES]!;

  const mapHist = new SimHistogram();
  const unmapHist = new SimHistogram();
  const clatHist = new SimHistogram();

  const k = {
    ios: 0, drainedIos: 0, maps: 0, mapFailures: 0, fqFullFlushes: 0, fqTimerFirings: 0, iotlbFlushes: 0,
    migrations: 0,
  };

  // ---- series
  let nSamples = Math.round(durationNs / intervalNs);
  const series: PolicySeries = {
    t: [], iops: [], cachedTotal: [], cpuTotal: [], depotTotal: [], treeSize: [],
    depotMags: Array.from({ length: ORDERS }, () => [] as number[]),
    depotFullEvents: [], magsFreedToTree: [], fqTimerFirings: [], fqDepthMax: [],
  };
  const diagnostics: SimResult["diagnostics"] = { treeLockBusy: [], walkPerTreeAlloc: [], treeAllocRate: [], mapLatencyMean: [] };
  let sampleWalk = lastWalk;
  let sampleAllocs = lastAllocs;
  let nextSampleNs = intervalNs;
  let sampled = 0;
  let stopped = false;
  const magSize = domain.cacheStats().magazines.size;

  const dumps: CacheDump[] = [];
  const dumpEvery = Math.max(1, Math.round(nSamples / DUMPS_PER_RUN));
  const takeSample = (): void => {
    const t = nextSampleNs;
    const secs = intervalNs / 1e9;
    const dump: CacheDump | null = (sampled + 1) % dumpEvery === 0 ? { t: t / 1e9, cpus: [], depot: [] } : null;
    let cpuTotal = 0;
    for (let c = 0; c < C; c++) {
      let held = 0;
      const loaded: number[] = [];
      const prev: number[] = [];
      for (let o = 0; o < ORDERS; o++) {
        const l = ex.cacheStat(base, c, o, CACHE_STAT.loaded);
        const p = ex.cacheStat(base, c, o, CACHE_STAT.prev);
        held += l + p;
        if (dump) { loaded.push(l); prev.push(p); }
      }
      cpuTotal += held;
      if (dump && held > 0) dump.cpus.push({ cpu: c, loaded, prev });
    }
    if (dump) {
      for (let o = 0; o < ORDERS; o++) dump.depot.push(ex.depotStat(base, o, DEPOT_STAT.magazines));
      dumps.push(dump);
    }
    let depotMags = 0;
    let fullEvents = 0;
    let toTree = 0;
    for (let o = 0; o < ORDERS; o++) {
      const m = ex.depotStat(base, o, DEPOT_STAT.magazines);
      series.depotMags[o]!.push(m);
      depotMags += m;
      fullEvents += ex.depotStat(base, o, DEPOT_STAT.fullEvents);
      toTree += ex.depotStat(base, o, DEPOT_STAT.magsToTree);
    }
    const depotTotal = depotMags * magSize;
    series.t.push(t / 1e9);
    series.iops.push(st[I_IOS]! / secs);
    series.cpuTotal.push(cpuTotal);
    series.depotTotal.push(depotTotal);
    series.cachedTotal.push(cpuTotal + depotTotal);
    series.treeSize.push(ex.treeStat(base, TREE_STAT.ranges));
    series.depotFullEvents.push(fullEvents);
    series.magsFreedToTree.push(toTree);
    series.fqTimerFirings.push(k.fqTimerFirings);
    series.fqDepthMax.push(st[I_FQ_DEPTH]!);
    const w = ex.walkSteps();
    const a = ex.treeStat(base, TREE_STAT.allocs);
    diagnostics.treeLockBusy.push(st[I_HELD]! / intervalNs);
    diagnostics.walkPerTreeAlloc.push(a > sampleAllocs ? (w - sampleWalk) / (a - sampleAllocs) : 0);
    diagnostics.treeAllocRate.push((a - sampleAllocs) / secs);
    diagnostics.mapLatencyMean.push(st[I_MAPS]! > 0 ? st[I_MAP_NS]! / st[I_MAPS]! : 0);
    sampleWalk = w;
    sampleAllocs = a;
    st[I_IOS] = 0;
    st[I_FQ_DEPTH] = 0;
    st[I_HELD] = 0;
    st[I_MAP_NS] = 0;
    st[I_MAPS] = 0;
    sampled++;
    nextSampleNs = (sampled + 1) * intervalNs;
    // Asked to stop (SIGINT): submission ends at this sample, the I/Os in flight drain, the books are kept.
    if (options.stop && sampled < nSamples && Atomics.load(options.stop, 0) !== 0) {
      nSamples = sampled;
      durationNs = sampled * intervalNs;
      stopped = true;
    }
    if (options.onProgress) {
      options.onProgress({
        simMs: t / 1e6, durationMs: cfg.durationMs, ios: k.ios, iops: series.iops[sampled - 1]!,
        cached: cpuTotal + depotTotal, tree: series.treeSize[sampled - 1]!,
      });
    }
  };

  /** Charges tree-lock work that starts no earlier than `at`; returns when it ends. */
  const lockedWork = (at: number, ns: number): number => {
    let s = at;
    const busy = st[TREE_BUSY]!;
    if (s < busy) {
      st[LOCK_WAIT] += busy - s;
      s = busy;
    }
    st[TREE_BUSY] = s + ns;
    st[LOCK_HELD] += ns;
    st[I_HELD] += ns;
    return s + ns;
  };

  /** fq_ring_free: frees (on CPU `on`) the entries of CPU q's queue that a finished flush covers. */
  const ringFree = (q: number, on: number): number => {
    let h = fqHead[q]!;
    const tl = fqTail[q]!;
    const off = q * F;
    let n = 0;
    while (h !== tl && fqCnt[off + h]! < st[FINISH_CNT]!) {
      ex.freeFast(base, on, fqPfn[off + h]!, fqPages[off + h]!);
      h = h + 1 === F ? 0 : h + 1;
      n++;
    }
    fqHead[q] = h;
    return n;
  };

  /** queue_iova on CPU c at time `now`; returns CPU ns spent (tree frees are charged by the caller). */
  const queueIova = (c: number, pfn: number, pages: number, now: number): number => {
    let ns = magNs + ringFree(c, c) * magNs;
    const off = c * F;
    let tail = fqTail[c]!;
    let next = tail + 1 === F ? 0 : tail + 1;
    if (next === fqHead[c]) {
      // fq_full: iova_domain_flush, then free what it covered.
      st[START_CNT]++;
      st[FINISH_CNT]++;
      k.fqFullFlushes++;
      k.iotlbFlushes++;
      ns += iotlbNs + ringFree(c, c) * magNs;
    }
    fqPfn[off + tail] = pfn;
    fqPages[off + tail] = pages;
    fqCnt[off + tail] = st[START_CNT]!;
    fqTail[c] = next;
    let depth = next - fqHead[c]!;
    if (depth < 0) depth += F;
    if (depth > st[I_FQ_DEPTH]!) st[I_FQ_DEPTH] = depth;
    if (!timerOn) {
      timerOn = true;
      timerCpu = c;
      heap.push(now + fqTimeoutNs, TIMER_ID);
    }
    return ns;
  };

  const migrate = (j: number, t: number): void => {
    const from = jobCpu[j]!;
    let to = from;
    if (C > 1) {
      // The scheduler prefers an idle CPU; with none, any other one.
      for (let tries = 0; tries < 64; tries++) {
        const c = rng.below(C);
        if (c !== from && cpuJobs[c] === 0) { to = c; break; }
      }
      if (to === from) {
        to = rng.below(C - 1);
        if (to >= from) to++;
      }
    }
    cpuJobs[from]--;
    cpuJobs[to]++;
    jobCpu[j] = to;
    k.migrations++;
    nextMigrate[j] = t + rng.exp(migrateNs);
  };

  // Every slot submits at time 0, in slot order.
  for (let s = 0; s < S; s++) heap.push(0, s);

  let nextTickNs = tickNs;
  while (heap.size > 0) {
    const t = heap.topTime;
    const id = heap.topId;
    heap.pop();

    // The domain clock: policy work that fell due before this event.
    while (nextTickNs <= t) {
      const freed = ex.depotTick(base, nextTickNs / 1e6, reclaimMs);
      if (freed > 0) {
        const f = ex.treeStat(base, TREE_STAT.frees);
        // The depot work runs on a kworker of an idle CPU: it costs tree-lock time only.
        lockedWork(nextTickNs, (f - st[LAST_FREES]!) * treeFreeNs);
        st[LAST_FREES] = f;
      }
      nextTickNs += tickNs;
    }
    while (sampled < nSamples && nextSampleNs <= t) takeSample();

    if (id === TIMER_ID) {
      // fq_flush_timeout: on the CPU that armed it, flush once and drain every CPU's queue.
      const c = timerCpu;
      const start = t > cpuBusy[c]! ? t : cpuBusy[c]!;
      timerOn = false;
      k.fqTimerFirings++;
      st[START_CNT]++;
      st[FINISH_CNT]++;
      k.iotlbFlushes++;
      let n = 0;
      for (let q = 0; q < C; q++) if (fqHead[q] !== fqTail[q]) n += ringFree(q, c);
      const cpuNs = iotlbNs + n * magNs;
      const f = ex.treeStat(base, TREE_STAT.frees);
      const lf = st[LAST_FREES]!;
      cpuBusy[c] = f !== lf ? lockedWork(start + cpuNs, (f - lf) * treeFreeNs) : start + cpuNs;
      st[LAST_FREES] = f;
      continue;
    }

    const s = id;
    const j = slotJob[s]!;
    if (phase[s] === PH_SUBMIT) {
      if (t >= durationNs) continue;  // submission has stopped: the slot goes idle
      if (t >= nextMigrate[j]!) migrate(j, t);
      const c = jobCpu[j]!;
      const start = t > cpuBusy[c]! ? t : cpuBusy[c]!;
      const bytes = bsSampler.next();
      const off = s * segsPerIo;
      let nseg = 0;
      let rem = bytes;
      let failed = false;
      while (rem > 0) {
        const sb = rem < maxSeg ? rem : maxSeg;
        rem -= sb;
        const pages = Math.ceil(sb / granule);
        let pfn = dma32First ? ex.allocFast(base, c, pages, limit32, 0) : 0;
        if (pfn === 0) pfn = ex.allocFast(base, c, pages, limit64, 1);
        if (pfn === 0) { failed = true; break; }
        segPfn[off + nseg] = pfn;
        segPages[off + nseg] = pages;
        nseg++;
      }
      if (failed) {
        for (let i = 0; i < nseg; i++) ex.freeFast(base, c, segPfn[off + i]!, segPages[off + i]!);
        k.mapFailures++;
      }
      let cpuNs = submitNs + nseg * magNs;
      let treeNs = 0;
      const w = ex.walkSteps();
      if (w !== lastWalk) {
        // The walk moved: some allocation went to the tree (a flush may have freed too).
        const a = ex.treeStat(base, TREE_STAT.allocs);
        const f = ex.treeStat(base, TREE_STAT.frees);
        treeNs = (a - lastAllocs) * treeAllocNs + (w - lastWalk) * walkNs + (f - st[LAST_FREES]!) * treeFreeNs;
        lastAllocs = a;
        st[LAST_FREES] = f;
        lastWalk = w;
      } else if (failed) {
        const f = ex.treeStat(base, TREE_STAT.frees);
        treeNs = (f - st[LAST_FREES]!) * treeFreeNs;
        st[LAST_FREES] = f;
      }
      const end = treeNs > 0 ? lockedWork(start + cpuNs, treeNs) : start + cpuNs;
      cpuBusy[c] = end;
      if (failed) {
        heap.push(end + RETRY_NS, s);
        continue;
      }
      k.maps += nseg;
      segCount[s] = nseg;
      submitAt[s] = t;
      const mapNs = end - t;
      mapHist.add(mapNs);
      st[I_MAP_NS] += mapNs;
      st[I_MAPS]++;
      // The device: a transfer of bytes / bandwidth (queued behind the job's
      // earlier transfers when serial), then the base latency.
      let done: number;
      const xfer = bytes * nsPerByte;
      const lat = devBaseNs * (1 + jitter * (rng.next() - 0.5));
      if (serialTransfers) {
        const xs = end > devFree[j]! ? end : devFree[j]!;
        devFree[j] = xs + xfer;
        done = xs + xfer + lat;
      } else {
        done = end + xfer + lat;
      }
      phase[s] = PH_COMPLETE;
      heap.push(done, s);
    } else {
      const cj = jobCpu[j]!;
      const c = mode === 0 ? cj : mode === 1 ? (cj + 1 === C ? 0 : cj + 1) : 0;
      const start = t > cpuBusy[c]! ? t : cpuBusy[c]!;
      const off = s * segsPerIo;
      const nseg = segCount[s]!;
      let cpuNs = completeNs;
      if (strict) {
        for (let i = 0; i < nseg; i++) ex.freeFast(base, c, segPfn[off + i]!, segPages[off + i]!);
        cpuNs += nseg * (magNs + iotlbNs);
        k.iotlbFlushes += nseg;
      } else {
        for (let i = 0; i < nseg; i++) cpuNs += queueIova(c, segPfn[off + i]!, segPages[off + i]!, start);
      }
      segCount[s] = 0;
      const f = ex.treeStat(base, TREE_STAT.frees);
      const lf = st[LAST_FREES]!;
      const end = f !== lf ? lockedWork(start + cpuNs, (f - lf) * treeFreeNs) : start + cpuNs;
      st[LAST_FREES] = f;
      cpuBusy[c] = end;
      if (t < durationNs) {
        k.ios++;
        st[I_IOS]++;
      } else {
        k.drainedIos++;
      }
      unmapHist.add(end - t);
      clatHist.add(end - submitAt[s]!);
      phase[s] = PH_SUBMIT;
      heap.push(end, s);
    }
  }
  while (sampled < nSamples) takeSample();

  // ---- the books
  const problems: string[] = [];
  let live = 0;
  for (let s = 0; s < S; s++) live += segCount[s]!;
  let fqPending = 0;
  for (let c = 0; c < C; c++) fqPending += (fqTail[c]! - fqHead[c]! + F) % F;
  if (live !== 0) problems.push(`${live} IOVAs still mapped`);
  if (fqPending !== 0) problems.push(`${fqPending} flush-queue entries not freed`);
  const cs = domain.cacheStats();
  const tree = domain.stats();
  if (tree.ranges !== cs.total) problems.push(`tree holds ${tree.ranges} ranges but the caches account for ${cs.total}`);
  const checkError = domain.checkProblem();
  if (checkError) problems.push(`domain.check(): ${checkError}`);
  if (tree.allocs > allocs0 && ex.walkSteps() === walk0) {
    problems.push("tree allocations walked no nodes: kernel walk counting is off, so the cost model is blind (countKernelWalk)");
  }
  if (tree.slabFull > 0) problems.push(`node slab ran out ${tree.slabFull} times (raise maxRanges)`);
  const books: BooksCheck = {
    ok: problems.length === 0, live, fqPending, treeRanges: tree.ranges, cachedPfns: cs.total, checkError, problems,
  };

  const counters: SimCounters = {
    ios: k.ios,
    drainedIos: k.drainedIos,
    maps: k.maps,
    mapFailures: k.mapFailures,
    treeAllocs: tree.allocs - allocs0,
    treeFrees: tree.frees - frees0,
    walkSteps: ex.walkSteps() - walk0,
    fqFullFlushes: k.fqFullFlushes,
    fqTimerFirings: k.fqTimerFirings,
    iotlbFlushes: k.iotlbFlushes,
    migrations: k.migrations,
    treeLockHeldNs: st[LOCK_HELD]!,
    treeLockWaitNs: st[LOCK_WAIT]!,
    cacheHits: cs.hits,
    cacheMisses: cs.misses,
    magazineAllocFailures: cs.magazines.allocFailures,
    depotFullEvents: cs.depotFullEvents,
    magsFreedToTree: cs.magsFreedToTree,
  };
  domain.destroy();
  const wallSeconds = (performance.now() - wall0) / 1000;
  const result: SimResult = {
    config: cfg,
    series,
    dumps,
    diagnostics,
    counters,
    latency: { map: mapHist.stats(), unmap: unmapHist.stats(), clat: clatHist.stats() },
    books,
    simulatedSeconds: stopped ? durationNs / 1e9 : cfg.durationMs / 1000,
    stopped,
    wallSeconds,
    simIosPerWallSecond: (k.ios + k.drainedIos) / Math.max(wallSeconds, 1e-9),
  };
  return result;
}
