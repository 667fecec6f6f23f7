// The virtual-clock load engine: J fio-like jobs drive one IOVA domain from
// C simulated CPUs, on one thread, deterministically. The event loop runs in
// wasm next to the allocator (assembly/sim/loop.ts; its clock and lock
// accounting in assembly/sim/clock.ts): the host sets it up, runs it one
// sample interval at a time (src/sim/sampling.ts reads each sample), then
// drains it and checks the books. No call crosses into JS per I/O.
// See docs/cost-model.md.
import { IovaDomain } from "../domain/iova-domain.js";
import { DmaPath } from "../domain/dma.js";
import type { KernelEra } from "../domain/era.js";
import type { LatencyStats } from "../load/latency.js";
import type { PolicySeries } from "../report/types.js";
import { codes } from "../wasm/codes.js";
import { instantiate, newSharedMemory } from "../wasm/module.js";
import { resolveSimOptions, type SimConfig, type SimOptions } from "./options.js";
import { Sampler, type CacheDump, type SimDiagnostics, type SimSamples } from "./sampling.js";
import { SIM_PARAMS, WasmSim, simBytesFor, type SimGeometry, type SimParam } from "./wasm-sim.js";
import { largestBlockBytes, rangeSteps, type BlockSize } from "../load/block-size.js";

export type { SimConfig, SimOptions, SimProgress } from "./options.js";
export { DUMPS_PER_RUN, type CacheDump, type SimSamples, type SimDiagnostics, type LockSeries } from "./sampling.js";

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
  /** The engine's measured speed: I/Os completed (drain included) per wall second of this run. */
  simIosPerWallSecond: number;
}

/** The books' verdict in one line, naming the policy (for logs and errors). */
export function booksMessage(result: Pick<SimResult, "config" | "books">): string {
  return result.books.ok
    ? `iova sim (${result.config.policy}): books balance`
    : `iova sim (${result.config.policy}): books do not balance after the drain: ${result.books.problems.join("; ")}`;
}

/** Retry delay of an I/O that found no IOVA space. */
const RETRY_NS = 10_000;

function bsGeometry(bs: BlockSize): SimGeometry["bs"] {
  switch (bs.kind) {
    case "fixed": return { kind: 0, bytes: bs.bytes };
    case "range": return { kind: 1, min: bs.min, steps: rangeSteps(bs.min, bs.max) };
    case "split": {
      let acc = 0;
      const entries = bs.entries.filter((e) => e.percent > 0).map((e) => {
        acc += e.percent;
        return { bytes: e.bytes, cum: acc / 100 };
      });
      return { kind: 2, entries };
    }
  }
}

/**
 * Runs one load to the end, drains it and checks the books. The verdict is
 * `result.books` (ok, and the problems if not): a run whose books fail is
 * still a result to report, so it is returned, not thrown.
 */
export function simulate(options: SimOptions = {}): SimResult {
  const cfg = resolveSimOptions(options);
  const wall0 = performance.now();
  const C = cfg.cpus;
  const shift = Math.log2(cfg.granule);
  const reserved = cfg.pciWindows.map((w) => ({ lo: Math.floor(w.start / cfg.granule), hi: Math.floor(w.end / cfg.granule) }));
  const g: SimGeometry = {
    cpus: C, jobs: cfg.jobs, iodepth: cfg.iodepth, segsMax: Math.ceil(largestBlockBytes(cfg.bs) / cfg.maxSegment),
    bs: bsGeometry(cfg.bs), reserved,
  };
  const hostBytes = simBytesFor(instantiate(newSharedMemory(65536)), g);
  const domain = new IovaDomain(cfg.granule, 1, {
    cpus: C, policy: cfg.policy, era: cfg.era, maxRanges: cfg.maxRanges, maxMagazines: cfg.maxMagazines, countKernelWalk: true,
    reclaimSlicePfns: cfg.reclaimSlicePfns,
    flushQueue: { size: cfg.fqSize, timeoutMs: cfg.fqTimeoutMs, hz: cfg.hz }, hostBytes,
  });
  const ex = domain.ex;
  const base = domain.base;
  const dma = new DmaPath(domain);
  dma.reservePciWindows(cfg.pciWindows);
  const dma32 = domain.dma32Pfn;
  let reservedBelow32 = 0;
  for (const r of reserved) if (r.lo < dma32) reservedBelow32 += Math.min(r.hi, dma32 - 1) - Math.max(r.lo, domain.startPfn) + 1;

  const c = cfg.costs;
  const params: Record<SimParam, number> = {
    segBytes: cfg.maxSegment, dmaLimitPfn: 2 ** (cfg.addressBits - shift) - 1, durationNs: cfg.durationMs * 1e6,
    tickNs: cfg.tickMs * 1e6, reclaimMs: cfg.reclaimIntervalMs, migrateNs: cfg.migrateMs * 1e6,
    submitNs: c.submitNs, completeNs: c.completeNs, magazineNs: c.magazineNs, treeAllocNs: c.treeAllocNs,
    walkNodeNs: c.walkNodeNs, treeFreeNs: c.treeFreeNs, fastFailNs: c.fastFailNs, lockNs: c.lockNs,
    lockHandoffNs: c.lockHandoffNs, lockHandoffRemoteNs: c.lockHandoffRemoteNs, depotNs: c.depotNs,
    iotlbFlushNs: c.iotlbFlushNs, deviceBaseNs: c.deviceBaseNs, nsPerByte: 1e9 / c.deviceBytesPerSec,
    deviceJitter: c.deviceJitter, fqEntryNs: c.fqEntryNs, retryNs: RETRY_NS,
  };
  if (SIM_PARAMS.some((p) => !Number.isFinite(params[p]))) throw new RangeError("iova sim: a parameter is not finite");
  const perSocket = C / cfg.sockets;
  const sim = new WasmSim(domain, g, {
    params,
    socketOf: Array.from({ length: C }, (_, i) => Math.floor(i / perSocket)),
    irqCpuOf: cfg.completionCpus,
    jobCpu: cfg.jobCpus,
    strict: cfg.strict,
    pci: cfg.dma32First,
    serialTransfers: c.deviceSerialTransfers === 1,
    seed: cfg.seed,
  });

  const walk0 = ex.walkSteps();
  const allocs0 = ex.domainStat(base, codes().Stat.allocs);
  const frees0 = ex.domainStat(base, codes().Stat.frees);
  const intervalNs = cfg.intervalMs * 1e6;
  let nSamples = Math.round(cfg.durationMs / cfg.intervalMs);
  const sampler = new Sampler(domain, dma, sim, C, intervalNs, nSamples, reservedBelow32);
  let stopped = false;
  for (let i = 1; i <= nSamples; i++) {
    sim.runUntil(i * intervalNs);
    sampler.take(i * intervalNs);
    // Asked to stop (SIGINT): submission ends at this sample, the I/Os in flight drain, the books are kept.
    if (options.stop && i < nSamples && Atomics.load(options.stop, 0) !== 0) {
      nSamples = i;
      sim.endSubmissionAt(i * intervalNs);
      stopped = true;
    }
    if (options.onProgress) {
      const s = sampler.series;
      options.onProgress({
        simMs: i * cfg.intervalMs, durationMs: cfg.durationMs, ios: sim.total("ios"), iops: s.iops[i - 1]!,
        cached: s.cachedTotal[i - 1]!, tree: s.treeSize[i - 1]!,
      });
    }
  }
  // The drain: submission has stopped; the I/Os in flight complete and the timer empties the queues.
  sim.runUntil(Infinity);

  // ---- the books
  const problems: string[] = [];
  const live = sim.live();
  const fqPending = dma.pending();
  if (live !== 0) problems.push(`${live} IOVAs still mapped`);
  if (fqPending !== 0) problems.push(`${fqPending} flush-queue entries not freed`);
  const core = dma.books(live);
  if (!core.ok) problems.push(`books: ${core.problem}`);
  const cs = domain.cacheStats();
  const tree = domain.stats();
  const checkError = domain.checkProblem();
  if (checkError) problems.push(`domain.check(): ${checkError}`);
  if (tree.allocs > allocs0 && ex.walkSteps() === walk0) {
    problems.push("tree allocations walked no nodes: kernel walk counting is off, so the cost model is blind (countKernelWalk)");
  }
  if (tree.slabFull > 0) problems.push(`node slab ran out ${tree.slabFull} times (raise maxRanges)`);
  const books: BooksCheck = {
    ok: problems.length === 0, live, fqPending, treeRanges: tree.ranges, cachedPfns: cs.total, checkError, problems,
  };

  const lockTotals = (i: number): LockTotals => {
    const l = sim.lock(i);
    return { heldNs: l.held, waitNs: l.wait, acquisitions: l.acquisitions, handoffs: l.handoffs };
  };
  const fq: LockTotals = { heldNs: 0, waitNs: 0, acquisitions: 0, handoffs: 0 };
  let fullFlushes = 0;
  let timerFirings = 0;
  for (let q = 0; q < C; q++) {
    const l = lockTotals(sim.lockIndex("fq", q));
    fq.heldNs += l.heldNs;
    fq.waitNs += l.waitNs;
    fq.acquisitions += l.acquisitions;
    fq.handoffs += l.handoffs;
    const f = dma.cpuStats(q);
    fullFlushes += f.fullFlushes;
    timerFirings += f.timerFirings;
  }
  const treeLock = lockTotals(sim.lockIndex("tree"));
  const treeHolds = sim.lock(sim.lockIndex("tree"));
  const counters: SimCounters = {
    ios: sim.total("ios"),
    drainedIos: sim.total("drainedIos"),
    maps: sim.total("maps"),
    mapFailures: sim.total("mapFailures"),
    treeAllocs: tree.allocs - allocs0,
    treeFrees: tree.frees - frees0,
    walkSteps: ex.walkSteps() - walk0,
    fastFails: sim.total("fastFails"),
    failedWalks: sim.total("failedWalks"),
    failedWalkNodes: sim.total("failedWalkNodes"),
    fallbacks64: sim.total("fallbacks64"),
    fqFullFlushes: fullFlushes,
    fqTimerFirings: timerFirings,
    iotlbFlushes: dma.flushCounts().invalidations,
    migrations: sim.total("migrations"),
    treeLockHeldNs: treeLock.heldNs,
    treeLockWaitNs: treeLock.waitNs,
    treeLockMaxHoldNs: treeHolds.maxHeld,
    policyTreeHolds: treeHolds.kworkerHolds,
    policyTreeHeldNs: treeHolds.kworkerHeld,
    policyTreeMaxHoldNs: treeHolds.kworkerMaxHeld,
    cacheHits: cs.hits,
    cacheMisses: cs.misses,
    magazineAllocFailures: cs.magazines.allocFailures,
    depotFullEvents: cs.depotFullEvents,
    magsFreedToTree: cs.magsFreedToTree,
  };
  const latency = { map: sim.latency(0), unmap: sim.latency(1), clat: sim.latency(2) };
  const locks = {
    tree: treeLock, depot: Array.from({ length: codes().ORDERS }, (_, o) => lockTotals(sim.lockIndex("depot", o))), fq,
  };
  domain.destroy();
  const wallSeconds = (performance.now() - wall0) / 1000;
  return {
    config: cfg,
    era: cfg.era,
    series: sampler.series,
    dumps: sampler.dumps,
    diagnostics: sampler.diagnostics,
    samples: sampler.samples,
    counters,
    locks,
    latency,
    books,
    simulatedSeconds: stopped ? (nSamples * intervalNs) / 1e9 : cfg.durationMs / 1000,
    stopped,
    wallSeconds,
    simIosPerWallSecond: (counters.ios + counters.drainedIos) / Math.max(wallSeconds, 1e-9),
  };
}
