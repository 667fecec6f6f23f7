// The simulator's sampling: once per interval, what the wasm event loop and
// the domain hold (series for the report, diagnostics, the instrumentation
// of the aging study), and print_iova1/print_iova2-style cache dumps.
import type { IovaDomain } from "../domain/iova-domain.js";
import type { DmaPath } from "../domain/dma.js";
import { depotPfns } from "../domain/stats.js";
import type { PolicySeries } from "../report/types.js";
import { codes } from "../wasm/codes.js";
import type { WasmSim } from "./wasm-sim.js";

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

/** Busy and wait of one lock per sample: fractions of the interval (wait: summed over CPUs). */
export interface LockSeries {
  busy: number[];
  wait: number[];
}

export interface SimDiagnostics {
  /** Fraction of the interval the tree lock was held. */
  treeLockBusy: number[];
  /** Mean nodes walked per tree allocation in the interval (0 if none). */
  walkPerTreeAlloc: number[];
  /** Tree allocations per second in the interval. */
  treeAllocRate: number[];
  /** Mean map latency in the interval, ns. */
  mapLatencyMean: number[];
}

/** The aging study's instrumentation, one entry per sample (aligned with series.t). */
export interface SimSamples {
  /** Fraction of the usable 32-bit space (below dma_32bit_pfn, reserved windows out) allocated. */
  window32Used: number[];
  /** Lowest allocated pfn below 4 GiB (-1: none). */
  lowestPfn32: number[];
  /** In the interval: max32_alloc_size fast-fails, failed 32-bit walks and their nodes, 64-bit fallbacks. */
  fastFails: number[];
  failedWalks: number[];
  failedWalkNodes: number[];
  fallbacks64: number[];
  /** In the interval: requests mapped (dma_map_sg calls: IOVA allocations); a merged request holds several I/Os. */
  requests: number[];
  /** Per sample, per CPU: flush-queue depth at the sample, timer firings on that CPU in the interval. */
  fqDepthByCpu: number[][];
  timerFiringsByCpu: number[][];
  /** Per order, per sample: magazines in the depot. */
  depotMags: number[][];
  walkPerTreeAlloc: number[];
  locks: {
    tree: LockSeries;
    depot: LockSeries[];
    /** Flush-queue locks: busy is the busiest CPU's, wait is summed over CPUs. */
    fq: LockSeries;
  };
}

export class Sampler {
  readonly series: PolicySeries;
  readonly diagnostics: SimDiagnostics = { treeLockBusy: [], walkPerTreeAlloc: [], treeAllocRate: [], mapLatencyMean: [] };
  readonly samples: SimSamples;
  readonly dumps: CacheDump[] = [];
  private sampled = 0;
  private walk: number;
  private allocs: number;
  private timerByCpu: number[];
  private readonly dumpEvery: number;
  private readonly window32Pfns: number;

  constructor(
    private readonly domain: IovaDomain, private readonly dma: DmaPath, private readonly sim: WasmSim,
    private readonly cpus: number, private readonly intervalNs: number, nSamples: number, reservedBelow32: number,
  ) {
    this.series = {
      t: [], iops: [], cachedTotal: [], cpuTotal: [], depotTotal: [], treeSize: [],
      depotMags: Array.from({ length: codes().ORDERS }, () => [] as number[]),
      depotFullEvents: [], magsFreedToTree: [], fqTimerFirings: [], fqDepthMax: [],
    };
    const lock = (): LockSeries => ({ busy: [], wait: [] });
    this.samples = {
      window32Used: [], lowestPfn32: [], fastFails: [], failedWalks: [], failedWalkNodes: [], fallbacks64: [], requests: [],
      fqDepthByCpu: [], timerFiringsByCpu: [], depotMags: this.series.depotMags, walkPerTreeAlloc: this.diagnostics.walkPerTreeAlloc,
      locks: { tree: lock(), depot: Array.from({ length: codes().ORDERS }, lock), fq: lock() },
    };
    const ex = domain.ex;
    this.walk = ex.walkSteps();
    this.allocs = ex.domainStat(domain.base, codes().Stat.allocs);
    this.timerByCpu = new Array<number>(cpus).fill(0);
    this.dumpEvery = Math.max(1, Math.round(nSamples / DUMPS_PER_RUN));
    const dma32 = ex.domainStat(domain.base, codes().Stat.dma32Pfn);
    this.window32Pfns = Math.max(1, dma32 - ex.domainStat(domain.base, codes().Stat.startPfn) - reservedBelow32);
  }

  get count(): number {
    return this.sampled;
  }

  /** Takes the sample that ends at tNs, then starts the next interval. */
  take(tNs: number): void {
    const { ORDERS } = codes();
    const ex = this.domain.ex;
    const st = this.domain.statsDump();
    const sim = this.sim;
    const secs = this.intervalNs / 1e9;
    const s = this.series;
    const dump: CacheDump | null = (this.sampled + 1) % this.dumpEvery === 0 ? { t: tNs / 1e9, cpus: [], depot: [] } : null;
    let cpuTotal = 0;
    for (let c = 0; c < this.cpus; c++) {
      let held = 0;
      const loaded: number[] = [];
      const prev: number[] = [];
      for (let o = 0; o < ORDERS; o++) {
        const l = st.cell(c, o, "loaded");
        const p = st.cell(c, o, "prev");
        held += l + p;
        if (dump) { loaded.push(l); prev.push(p); }
      }
      cpuTotal += held;
      if (dump && held > 0) dump.cpus.push({ cpu: c, loaded, prev });
    }
    let depotTotal = 0;
    let fullEvents = 0;
    let toTree = 0;
    for (let o = 0; o < ORDERS; o++) {
      const m = st.depot(o, "magazines");
      s.depotMags[o]!.push(m);
      if (dump) dump.depot.push(m);
      depotTotal += depotPfns(st, o);
      fullEvents += st.depot(o, "fullEvents");
      toTree += st.depot(o, "magsToTree");
    }
    if (dump) this.dumps.push(dump);
    s.t.push(tNs / 1e9);
    s.iops.push(sim.interval("ios") / secs);
    s.cpuTotal.push(cpuTotal);
    s.depotTotal.push(depotTotal);
    s.cachedTotal.push(cpuTotal + depotTotal);
    s.treeSize.push(st.stat("ranges"));
    s.depotFullEvents.push(fullEvents);
    s.magsFreedToTree.push(toTree);
    // The flush queue, per CPU.
    let depthMax = 0;
    let firings = 0;
    const depths: number[] = [];
    const timer: number[] = [];
    const fq = this.dma.statsDump();
    for (let c = 0; c < this.cpus; c++) {
      const f = fq.cpu(c);
      depths.push(f.depth);
      if (f.maxDepth > depthMax) depthMax = f.maxDepth;
      this.dma.resetMaxDepth(c);
      timer.push(f.timerFirings - this.timerByCpu[c]!);
      this.timerByCpu[c] = f.timerFirings;
      firings += f.timerFirings;
    }
    s.fqTimerFirings.push(firings);
    s.fqDepthMax.push(depthMax);
    const m = this.samples;
    m.fqDepthByCpu.push(depths);
    m.timerFiringsByCpu.push(timer);
    // The tree and the 32-bit window.
    const w = ex.walkSteps();
    const a = st.stat("allocs");
    const treeLock = sim.lock(sim.lockIndex("tree"));
    this.diagnostics.treeLockBusy.push(treeLock.iHeld / this.intervalNs);
    this.diagnostics.walkPerTreeAlloc.push(a > this.allocs ? (w - this.walk) / (a - this.allocs) : 0);
    this.diagnostics.treeAllocRate.push((a - this.allocs) / secs);
    const maps = sim.interval("maps");
    this.samples.requests.push(maps);
    this.diagnostics.mapLatencyMean.push(maps > 0 ? sim.interval("mapNs") / maps : 0);
    this.walk = w;
    this.allocs = a;
    const win = sim.window32();
    m.window32Used.push(win.used / this.window32Pfns);
    m.lowestPfn32.push(win.lowest);
    m.fastFails.push(sim.interval("fastFails"));
    m.failedWalks.push(sim.interval("failedWalks"));
    m.failedWalkNodes.push(sim.interval("failedWalkNodes"));
    m.fallbacks64.push(sim.interval("fallbacks64"));
    // Locks.
    m.locks.tree.busy.push(treeLock.iHeld / this.intervalNs);
    m.locks.tree.wait.push(treeLock.iWait / this.intervalNs);
    for (let o = 0; o < ORDERS; o++) {
      const l = sim.lock(sim.lockIndex("depot", o));
      m.locks.depot[o]!.busy.push(l.iHeld / this.intervalNs);
      m.locks.depot[o]!.wait.push(l.iWait / this.intervalNs);
    }
    let fqBusy = 0;
    let fqWait = 0;
    for (let c = 0; c < this.cpus; c++) {
      const l = sim.lock(sim.lockIndex("fq", c));
      if (l.iHeld > fqBusy) fqBusy = l.iHeld;
      fqWait += l.iWait;
    }
    m.locks.fq.busy.push(fqBusy / this.intervalNs);
    m.locks.fq.wait.push(fqWait / this.intervalNs);
    sim.nextInterval();
    this.sampled++;
  }
}
