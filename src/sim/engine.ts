// The virtual-clock load engine: J fio-like jobs drive one IOVA domain from
// C simulated CPUs, on one thread, deterministically. The event loop runs in
// wasm next to the allocator (assembly/sim/loop.ts; its clock and lock
// accounting in assembly/sim/clock.ts): the host sets it up, runs it one
// sample interval at a time (src/sim/sampling.ts reads each sample), then
// drains it and checks the books. No call crosses into JS per I/O.
// See docs/cost-model.md.
import { loadBooksProblems } from "../load/books.js";
import { codes } from "../wasm/codes.js";
import { resolveSimOptions, type SimOptions } from "./options.js";
import type { BooksCheck, LockTotals, SimCounters, SimResult } from "./result.js";
import { Sampler } from "./sampling.js";
import { setUpRun, type SimRun } from "./setup.js";
import { simBuild } from "./wasm-sim.js";
import { threadCpuSeconds } from "./thread-cpu.js";
import type { WasmBuild } from "../wasm/module.js";

export type { SimConfig, SimOptions, SimProgress } from "./options.js";
export { DUMPS_PER_RUN, type CacheDump, type SimSamples, type SimDiagnostics, type LockSeries } from "./sampling.js";
export { booksMessage, type BooksCheck, type LockTotals, type SimCounters, type SimResult } from "./result.js";

/**
 * Runs one load to the end, drains it and checks the books. The verdict is
 * `result.books` (ok, and the problems if not): a run whose books fail is
 * still a result to report, so it is returned, not thrown. `build` is the
 * core it runs on (src/sim/wasm-sim.ts simBuild: its own, single-threaded).
 */
export function simulate(options: SimOptions = {}, build: WasmBuild = simBuild()): SimResult {
  const cfg = resolveSimOptions(options);
  const wall0 = performance.now();
  const cpu0 = threadCpuSeconds();
  const run = setUpRun(cfg, build);
  const { domain, dma, sim } = run;
  const ex = domain.ex;
  const walk0 = ex.walkSteps();
  const allocs0 = ex.domainStat(domain.base, codes().Stat.allocs);
  const frees0 = ex.domainStat(domain.base, codes().Stat.frees);

  // The run, one sample interval at a time.
  const intervalNs = cfg.intervalMs * 1e6;
  let nSamples = Math.round(cfg.durationMs / cfg.intervalMs);
  const sampler = new Sampler(domain, dma, sim, cfg.cpus, intervalNs, nSamples, run.reservedBelow32);
  let stopped = false;
  let tagsBefore = sim.tagsLeft();
  for (let i = 1; i <= nSamples; i++) {
    sim.runUntil(i * intervalNs);
    // The event queue orders events of one time by a push counter of limited bits (2^36 pushes at
    // the most slots): refuse to go on when the next interval and the drain could use up what is left.
    const tagsLeft = sim.tagsLeft();
    if (i < nSamples && tagsLeft < 2 * (tagsBefore - tagsLeft) + (cfg.jobs * cfg.iodepth) * 4) {
      domain.destroy();
      throw new RangeError(`durationMs ${cfg.durationMs} needs more events than the event queue can order ` +
        `(${tagsLeft} tags left after ${i} of ${nSamples} intervals with ${(cfg.jobs * cfg.iodepth)} slots): shorten the run or use fewer jobs x iodepth`);
    }
    tagsBefore = tagsLeft;
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

  const books = checkBooks(run, allocs0, walk0);
  const totals = runTotals(run, allocs0, frees0, walk0);
  domain.destroy();
  const wallSeconds = (performance.now() - wall0) / 1000;
  const cpuSeconds = threadCpuSeconds() - cpu0;
  const { counters } = totals;
  // Every completed request adds one completion latency (assembly/sim/loop.ts complete): the clat count is the requests.
  const requests = totals.latency.clat.samples;
  return {
    config: cfg,
    era: cfg.era,
    series: sampler.series,
    dumps: sampler.dumps,
    diagnostics: sampler.diagnostics,
    samples: sampler.samples,
    ...totals,
    books,
    simulatedSeconds: stopped ? (nSamples * intervalNs) / 1e9 : cfg.durationMs / 1000,
    stopped,
    wallSeconds,
    simIosPerWallSecond: (counters.ios + counters.drainedIos) / Math.max(wallSeconds, 1e-9),
    cpuSeconds,
    simIosPerCpuSecond: (counters.ios + counters.drainedIos) / Math.max(cpuSeconds, 1e-9),
    requests,
    simRequestsPerWallSecond: requests / Math.max(wallSeconds, 1e-9),
  };
}

/** The books after the drain: what the loop still maps or queues, the core's verdict, the walk counting, the slab. */
function checkBooks(run: SimRun, allocs0: number, walk0: number): BooksCheck {
  const { domain, dma, sim } = run;
  const live = sim.live();
  const fqPending = dma.pending();
  const problems: string[] = [];
  if (live !== 0) problems.push(`${live} IOVAs still mapped`);
  if (fqPending !== 0) problems.push(`${fqPending} flush-queue entries not freed`);
  const checkError = domain.checkProblem();
  if (checkError) problems.push(`domain.check(): ${checkError}`);
  const tree = domain.stats();
  if (tree.allocs > allocs0 && domain.ex.walkSteps() === walk0) {
    problems.push("tree allocations walked no nodes: kernel walk counting is off, so the cost model is blind (countKernelWalk)");
  }
  problems.push(...loadBooksProblems(domain, dma, live));
  return {
    ok: problems.length === 0, live, fqPending, treeRanges: tree.ranges, cachedPfns: domain.cacheStats().total, checkError, problems,
  };
}

/** The run's totals: counters, every lock's figures, the latencies. */
function runTotals(run: SimRun, allocs0: number, frees0: number, walk0: number): Pick<SimResult, "counters" | "locks" | "latency"> {
  const { domain, dma, sim } = run;
  const cs = domain.cacheStats();
  const tree = domain.stats();
  const lockTotals = (i: number): LockTotals => {
    const l = sim.lock(i);
    return { heldNs: l.held, waitNs: l.wait, acquisitions: l.acquisitions, handoffs: l.handoffs, floorWaits: l.floorWaits, floorWaitNs: l.floorWaitNs };
  };
  const fq: LockTotals = { heldNs: 0, waitNs: 0, acquisitions: 0, handoffs: 0, floorWaits: 0, floorWaitNs: 0 };
  let fullFlushes = 0;
  let timerFirings = 0;
  const fqStats = dma.statsDump();
  for (let q = 0; q < domain.cpus; q++) {
    const l = lockTotals(sim.lockIndex("fq", q));
    fq.heldNs += l.heldNs;
    fq.waitNs += l.waitNs;
    fq.acquisitions += l.acquisitions;
    fq.handoffs += l.handoffs;
    fq.floorWaits += l.floorWaits;
    fq.floorWaitNs += l.floorWaitNs;
    const f = fqStats.cpu(q);
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
    walkSteps: domain.ex.walkSteps() - walk0,
    fastFails: sim.total("fastFails"),
    failedWalks: sim.total("failedWalks"),
    failedWalkNodes: sim.total("failedWalkNodes"),
    fallbacks64: sim.total("fallbacks64"),
    fqFullFlushes: fullFlushes,
    fqForeignFrees: fqStats.global("freedForeign"),
    fqTimerFirings: timerFirings,
    iotlbFlushes: fqStats.global("invalidations"),
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
  return {
    counters,
    locks: { tree: treeLock, depot: Array.from({ length: codes().ORDERS }, (_, o) => lockTotals(sim.lockIndex("depot", o))), fq },
    latency: { map: sim.latency(0), unmap: sim.latency(1), clat: sim.latency(2) },
  };
}
