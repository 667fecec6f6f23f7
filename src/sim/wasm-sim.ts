// The host's view of the event loop in wasm (assembly/sim/): lays a Sim out
// in the domain's host bytes, writes its parameters and tables, runs it one
// sample interval at a time and reads its counters, locks and histograms.
import type { IovaDomain } from "../domain/iova-domain.js";
import type { LatencyStats } from "../load/latency.js";
import type { IovaExports } from "../wasm/exports.js";
import { LatencyHistogram } from "../load/latency.js";

/** assembly/sim/layout.ts's P: the f64 parameters, in index order. */
export const SIM_PARAMS = [
  "segBytes", "dmaLimitPfn", "durationNs", "tickNs", "reclaimMs", "migrateNs", "submitNs", "completeNs", "magazineNs",
  "treeAllocNs", "walkNodeNs", "treeFreeNs", "fastFailNs", "lockNs", "lockHandoffNs", "lockHandoffRemoteNs", "depotNs",
  "iotlbFlushNs", "deviceBaseNs", "nsPerByte", "deviceJitter", "fqEntryNs", "retryNs",
] as const;
export type SimParam = (typeof SIM_PARAMS)[number];

/** assembly/sim/layout.ts's T: the totals (and each interval's copy), in index order. */
export const SIM_TOTALS = [
  "ios", "drainedIos", "maps", "mapFailures", "migrations", "fastFails", "failedWalks", "failedWalkNodes", "fallbacks64",
  "strictInvalidations", "mapNs", "depotLooks",
] as const;
export type SimTotal = (typeof SIM_TOTALS)[number];

export interface SimGeometry {
  cpus: number;
  jobs: number;
  iodepth: number;
  segsMax: number;
  /** Block sizes: fixed, a range (min x 1..steps), or a table of (bytes, cumulative probability). */
  bs: { kind: 0; bytes: number } | { kind: 1; min: number; steps: number } | { kind: 2; entries: Array<{ bytes: number; cum: number }> };
  /** Reserved pfn ranges (inclusive), to leave out of the 32-bit window's figures. */
  reserved: Array<{ lo: number; hi: number }>;
}

export interface SimTables {
  params: Record<SimParam, number>;
  /** Socket of each CPU. */
  socketOf: number[];
  /** The interrupt CPU of an I/O submitted from CPU c. */
  irqCpuOf: number[];
  /** The CPU each job starts on. */
  jobCpu: number[];
  strict: boolean;
  pci: boolean;
  serialTransfers: boolean;
  seed: number;
}

/** Bytes of the Sim for this geometry (ask before making the domain: they are its hostBytes). */
export function simBytesFor(ex: IovaExports, g: SimGeometry): number {
  return ex.simBytes(g.cpus, g.jobs, g.iodepth, g.segsMax, bsEntries(g), g.reserved.length);
}

function bsEntries(g: SimGeometry): number {
  return g.bs.kind === 2 ? g.bs.entries.length : 0;
}

export class WasmSim {
  readonly addr: number;
  private readonly ex: IovaExports;
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly tOff: number;
  readonly locks: number;

  constructor(readonly domain: IovaDomain, readonly g: SimGeometry, t: SimTables) {
    const ex = domain.ex;
    this.ex = ex;
    this.addr = domain.hostBase;
    if (domain.hostBytes < simBytesFor(ex, g)) throw new Error("iova sim: the domain's hostBytes are too few for its Sim");
    const a = this.addr;
    ex.simLayout(a, g.cpus, g.jobs, g.iodepth, g.segsMax, bsEntries(g), g.reserved.length);
    if (ex.simOffset(a, 8) !== SIM_PARAMS.length || ex.simOffset(a, 9) !== SIM_TOTALS.length) {
      throw new Error("iova sim: the module's parameter or total tables differ from src/sim/wasm-sim.ts");
    }
    this.f64 = new Float64Array(domain.memory.buffer);
    this.u32 = new Uint32Array(domain.memory.buffer);
    const pOff = (a + ex.simOffset(a, 0)) / 8;
    SIM_PARAMS.forEach((name, i) => { this.f64[pOff + i] = t.params[name]; });
    this.tOff = (a + ex.simOffset(a, 1)) / 8;
    const cpuOff = a + ex.simOffset(a, 2);
    const cpuBytes = ex.simOffset(a, 6);
    for (let c = 0; c < g.cpus; c++) {
      this.u32[(cpuOff + c * cpuBytes + 8) / 4] = t.socketOf[c]!;
      this.u32[(cpuOff + c * cpuBytes + 12) / 4] = t.irqCpuOf[c]!;
    }
    const jobOff = a + ex.simOffset(a, 3);
    const jobBytes = ex.simOffset(a, 7);
    for (let j = 0; j < g.jobs; j++) this.u32[(jobOff + j * jobBytes) / 4] = t.jobCpu[j]!;
    if (g.bs.kind === 2) {
      const bsOff = (a + ex.simOffset(a, 4)) / 8;
      g.bs.entries.forEach((e, i) => { this.f64[bsOff + 2 * i] = e.bytes; this.f64[bsOff + 2 * i + 1] = e.cum; });
    }
    const resOff = a + ex.simOffset(a, 5);
    const u64 = new BigUint64Array(domain.memory.buffer);
    g.reserved.forEach((r, i) => { u64[resOff / 8 + 2 * i] = BigInt(r.lo); u64[resOff / 8 + 2 * i + 1] = BigInt(r.hi); });
    this.locks = ex.simOffset(a, 10);
    const bs = g.bs;
    ex.simStart(a, domain.base, domain.fqBase, t.strict ? 1 : 0, t.pci ? 1 : 0, t.serialTransfers ? 1 : 0, bs.kind,
      bs.kind === 0 ? bs.bytes : 0, bs.kind === 1 ? bs.min : 0, bs.kind === 1 ? bs.steps : 0, t.seed);
  }

  /** Submission stops at tNs (instead of the configured duration): the run drains from there. */
  endSubmissionAt(tNs: number): void {
    this.f64[(this.addr + this.ex.simOffset(this.addr, 0)) / 8 + SIM_PARAMS.indexOf("durationNs")] = tNs;
  }

  /** Runs every event before untilNs; false once the run is over. */
  runUntil(untilNs: number): boolean {
    return this.ex.simRun(this.addr, untilNs) !== 0;
  }

  total(name: SimTotal): number {
    return this.f64[this.tOff + SIM_TOTALS.indexOf(name)]!;
  }

  /** This interval's count of a total. */
  interval(name: SimTotal): number {
    return this.f64[this.tOff + SIM_TOTALS.length + SIM_TOTALS.indexOf(name)]!;
  }

  /** Starts the next interval's counts. */
  nextInterval(): void {
    this.ex.simNextInterval(this.addr);
  }

  /**
   * Lock i (lockIndex): held and waited ns, whole run and this interval;
   * acquisitions; hand-offs; the longest hold; and the holds of the kworker
   * (the domain clock's policy work): count, ns, longest.
   */
  lock(i: number): {
    held: number; wait: number; iHeld: number; iWait: number; acquisitions: number; handoffs: number;
    maxHeld: number; kworkerHolds: number; kworkerHeld: number; kworkerMaxHeld: number;
  } {
    const ex = this.ex;
    const a = this.addr;
    return {
      held: ex.simLockStat(a, i, 0), wait: ex.simLockStat(a, i, 1), iHeld: ex.simLockStat(a, i, 2), iWait: ex.simLockStat(a, i, 3),
      acquisitions: ex.simLockStat(a, i, 4), handoffs: ex.simLockStat(a, i, 5),
      maxHeld: ex.simLockStat(a, i, 6), kworkerHolds: ex.simLockStat(a, i, 7), kworkerHeld: ex.simLockStat(a, i, 8),
      kworkerMaxHeld: ex.simLockStat(a, i, 9),
    };
  }

  lockIndex(kind: "tree" | "depot" | "fq", n = 0): number {
    return this.ex.simLockIndex(kind === "tree" ? 0 : kind === "depot" ? 1 : 2, n);
  }

  /** pfns allocated below 4 GiB (reserved ranges left out) and the lowest of them (-1: none). */
  window32(): { used: number; lowest: number } {
    const used = this.ex.simWindow32(this.addr);
    return { used, lowest: this.ex.simLowest32(this.addr) };
  }

  /** IOVAs still held by slots (0 after the run). */
  live(): number {
    return this.ex.simLive(this.addr);
  }

  /** Histogram h (0 map, 1 unmap, 2 clat) as fio-style statistics. */
  latency(h: 0 | 1 | 2): LatencyStats {
    const p = this.ex.simHist(this.addr, h) / 8;
    const head = this.ex.simOffset(this.addr, 11);
    const buckets = this.ex.simOffset(this.addr, 12);
    const f = this.f64;
    return LatencyHistogram.fromSums(f.subarray(p + head, p + head + buckets), f[p]!, f[p + 1]!, f[p + 2]!, f[p + 3]!, f[p + 4]!).stats();
  }
}
