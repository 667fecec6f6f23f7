// The host's view of the event loop in wasm (assembly/sim/): lays a Sim out
// in the domain's host bytes, writes its parameters and tables, runs it one
// sample interval at a time and reads its counters, locks and histograms.
import type { IovaDomain } from "../domain/iova-domain.js";
import type { LatencyStats } from "../load/latency.js";
import type { IovaExports } from "../wasm/exports.js";
import { LatencyHistogram } from "../load/latency.js";
import { CODE_SETS, codes, type Codes, type MemberOf } from "../wasm/codes.js";
import { compiledModule, readPackagedModule, type WasmBuild } from "../wasm/module.js";
import { WasmFileError } from "../errors.js";

/** The simulator's own build of the core (asconfig.json's target "sim"). */
export const SIM_WASM_FILE = "iova-sim.wasm";
/** build/iova-sim.debug.wasm: the simulator's build with its assertions on (DEBUG, assembly/debug.ts; asconfig.json's target "sim-debug"). */
export const SIM_DEBUG_WASM_FILE = "iova-sim.debug.wasm";

/** Each unshared build read so far, by file name: read and compiled once per thread. */
const ownModules = new Map<string, WebAssembly.Module>();

/** A build/ file compiled as a build with a memory of its own; WasmFileError where it cannot be read (`what` says who needs it). */
function ownMemoryBuild(file: string, what: string): WasmBuild {
  let module = ownModules.get(file);
  if (!module) {
    module = readPackagedModule(file);
    if (!module) throw new WasmFileError(`build/${file}`, `${what} needs Node's file system`);
    ownModules.set(file, module);
  }
  return { module, shared: false };
}

/**
 * The build the simulator runs on: the same sources as the worker core,
 * compiled without threads (build/iova-sim.wasm): a memory of the run's own
 * and plain loads and stores where the worker core has seq-cst atomics and
 * `lock cmpxchg` (assembly/atomics.ts). The simulator is one thread, so its
 * results are the same (test/sim-build.test.ts). With IOVA_WASM=debug it
 * runs the shared debug build instead, assertions on.
 */
export function simBuild(): WasmBuild {
  if ((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.IOVA_WASM === "debug") return sharedBuild();
  return ownMemoryBuild(SIM_WASM_FILE, "the simulator");
}

/**
 * The simulator's build with assertions (`npm run asbuild:sim-debug`, part
 * of `npm run build`): the sim build's memory and plain loads and stores,
 * and every `if (DEBUG) assert` of the core and the loop, so a run traps on
 * a broken precondition instead of going on. Not in the package (for tests):
 * where it is absent, readPackagedModule throws WasmFileError naming it.
 */
export function simDebugBuild(): WasmBuild {
  return ownMemoryBuild(SIM_DEBUG_WASM_FILE, "the simulator's debug build");
}

/** The worker core (this thread's module over a shared memory): what the simulator ran on before it had its own build. */
export function sharedBuild(): WasmBuild {
  return { module: compiledModule(), shared: true };
}

type Member<S extends "SimParam" | "SimTotal"> = Exclude<(typeof CODE_SETS)[S][number], "COUNT">;
/** The simulator's f64 parameters (SimParam of assembly/sim/layout.ts); their indexes come from the module. */
export const SIM_PARAMS = CODE_SETS.SimParam.filter((n): n is Member<"SimParam"> => n !== "COUNT");
export type SimParam = Member<"SimParam">;

/** The simulator's totals (SimTotal); their indexes come from the module. */
export type SimTotal = Member<"SimTotal">;

export interface SimGeometry {
  cpus: number;
  jobs: number;
  iodepth: number;
  segsMax: number;
  /**
   * Block sizes: fixed, a range (min x 1..steps), a table of (bytes,
   * cumulative probability), or merged requests of up to maxIos I/Os of
   * `bytes` (the chance that one more joins is P's mergeLogP).
   */
  bs: { kind: 0; bytes: number } | { kind: 1; min: number; steps: number } | { kind: 2; entries: Array<{ bytes: number; cum: number }> } |
    { kind: 3; bytes: number; maxIos: number };
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
  private readonly pOff: number;
  private readonly tOff: number;
  /** The module's numbers for the Sim's code sets (src/wasm/codes.ts). */
  private readonly at: Codes["SimAt"];
  private readonly paramIndex: Codes["SimParam"];
  private readonly totalIndex: Codes["SimTotal"];
  private readonly lockStat: Codes["SimLockStat"];
  private readonly lockKind: Codes["SimLock"];
  readonly locks: number;

  constructor(readonly domain: IovaDomain, readonly g: SimGeometry, t: SimTables) {
    const ex = domain.ex;
    this.ex = ex;
    this.addr = domain.hostBase;
    if (domain.hostBytes < simBytesFor(ex, g)) throw new Error("iova sim: the domain's hostBytes are too few for its Sim");
    const a = this.addr;
    ex.simLayout(a, g.cpus, g.jobs, g.iodepth, g.segsMax, bsEntries(g), g.reserved.length);
    const c = codes();
    this.at = c.SimAt;
    this.paramIndex = c.SimParam;
    this.totalIndex = c.SimTotal;
    this.lockStat = c.SimLockStat;
    this.lockKind = c.SimLock;
    const at = this.at;
    this.f64 = new Float64Array(domain.memory.buffer);
    this.u32 = new Uint32Array(domain.memory.buffer);
    this.pOff = (a + ex.simOffset(a, at.params)) / 8;
    for (const name of SIM_PARAMS) this.f64[this.pOff + this.paramIndex[name]] = t.params[name];
    this.tOff = (a + ex.simOffset(a, at.totals)) / 8;
    const cpuOff = a + ex.simOffset(a, at.cpuTable);
    const cpuBytes = ex.simOffset(a, at.cpuBytes);
    for (let c = 0; c < g.cpus; c++) {
      this.u32[(cpuOff + c * cpuBytes + 8) / 4] = t.socketOf[c]!;
      this.u32[(cpuOff + c * cpuBytes + 12) / 4] = t.irqCpuOf[c]!;
    }
    const jobOff = a + ex.simOffset(a, at.jobTable);
    const jobBytes = ex.simOffset(a, at.jobBytes);
    for (let j = 0; j < g.jobs; j++) this.u32[(jobOff + j * jobBytes) / 4] = t.jobCpu[j]!;
    if (g.bs.kind === 2) {
      const bsOff = (a + ex.simOffset(a, at.blockSizes)) / 8;
      g.bs.entries.forEach((e, i) => { this.f64[bsOff + 2 * i] = e.bytes; this.f64[bsOff + 2 * i + 1] = e.cum; });
    }
    const resOff = a + ex.simOffset(a, at.reserved);
    const u64 = new BigUint64Array(domain.memory.buffer);
    g.reserved.forEach((r, i) => { u64[resOff / 8 + 2 * i] = BigInt(r.lo); u64[resOff / 8 + 2 * i + 1] = BigInt(r.hi); });
    this.locks = ex.simOffset(a, at.locks);
    const bs = g.bs;
    ex.simStart(a, domain.base, domain.fqBase, t.strict ? 1 : 0, t.pci ? 1 : 0, t.serialTransfers ? 1 : 0, bs.kind,
      bs.kind === 0 || bs.kind === 3 ? bs.bytes : 0, bs.kind === 1 ? bs.min : 0, bs.kind === 1 ? bs.steps : bs.kind === 3 ? bs.maxIos : 0, t.seed);
  }

  /** Submission stops at tNs (instead of the configured duration): the run drains from there. */
  endSubmissionAt(tNs: number): void {
    this.f64[this.pOff + this.paramIndex.durationNs] = tNs;
  }

  /** Plays the event queue's matches again from its keys: the order of events lives in the keys alone. */
  queueRebuild(): void {
    this.ex.simQueueRebuild(this.addr);
  }

  /** A merged request's I/O count for the uniform draw u: the loop's table's, or (table false) the model's formula's. */
  mergeIos(u: number, table: boolean): number {
    return this.ex.simMergeIos(this.addr, u, table ? 1 : 0);
  }

  /** Records one latency of ns in histogram h (0 map, 1 unmap, 2 clat) as the loop does. */
  histAdd(h: 0 | 1 | 2, ns: number): void {
    this.ex.simHistAdd(this.addr, h, ns);
  }

  /** Event tags left before the queue's push counter overflows (assembly/sim/queue.ts). */
  tagsLeft(): number {
    return this.ex.simQueueTagsLeft(this.addr);
  }

  /** Runs every event before untilNs; false once the run is over. */
  runUntil(untilNs: number): boolean {
    return this.ex.simRun(this.addr, untilNs) !== 0;
  }

  total(name: SimTotal): number {
    return this.f64[this.tOff + this.totalIndex[name]]!;
  }

  /** This interval's count of a total. */
  interval(name: SimTotal): number {
    return this.f64[this.tOff + this.totalIndex.COUNT + this.totalIndex[name]]!;
  }

  /** Starts the next interval's counts. */
  nextInterval(): void {
    this.ex.simNextInterval(this.addr);
  }

  /**
   * Lock i (lockIndex): held and waited ns, whole run and this interval;
   * acquisitions; hand-offs; the longest hold; and the holds of the kworker
   * (the domain clock's policy work): count, ns, longest; and the waits the
   * booking's floor decided (assembly/sim/clock.ts hold): count, ns.
   */
  lock(i: number): {
    held: number; wait: number; iHeld: number; iWait: number; acquisitions: number; handoffs: number;
    maxHeld: number; kworkerHolds: number; kworkerHeld: number; kworkerMaxHeld: number;
    floorWaits: number; floorWaitNs: number;
  } {
    const ex = this.ex;
    const a = this.addr;
    const k = this.lockStat;
    return {
      held: ex.simLockStat(a, i, k.held), wait: ex.simLockStat(a, i, k.wait), iHeld: ex.simLockStat(a, i, k.iHeld),
      iWait: ex.simLockStat(a, i, k.iWait), acquisitions: ex.simLockStat(a, i, k.acquisitions), handoffs: ex.simLockStat(a, i, k.handoffs),
      maxHeld: ex.simLockStat(a, i, k.maxHeld), kworkerHolds: ex.simLockStat(a, i, k.kworkerHolds),
      kworkerHeld: ex.simLockStat(a, i, k.kworkerHeld), kworkerMaxHeld: ex.simLockStat(a, i, k.kworkerMaxHeld),
      floorWaits: ex.simLockStat(a, i, k.floorWaits), floorWaitNs: ex.simLockStat(a, i, k.floorWaitNs),
    };
  }

  lockIndex(kind: MemberOf<"SimLock">, n = 0): number {
    return this.ex.simLockIndex(this.lockKind[kind], n);
  }

  /**
   * Job j's record: its CPU, its next migration's time (Infinity: none
   * before the duration) and the states of its random streams, by kind
   * (assembly/sim/random.ts: a stream per job and kind of draw).
   */
  job(j: number): { cpu: number; nextMigrationNs: number; streams: Record<Exclude<MemberOf<"Stream">, "COUNT">, bigint> } {
    const ex = this.ex;
    const a = this.addr;
    const p = a + ex.simOffset(a, this.at.jobTable) + j * ex.simOffset(a, this.at.jobBytes);
    const at = p + ex.simOffset(a, this.at.jobStreams);
    const u64 = new BigUint64Array(this.domain.memory.buffer);
    const kinds = codes().Stream;
    const streams = {} as Record<Exclude<MemberOf<"Stream">, "COUNT">, bigint>;
    for (const k of CODE_SETS.Stream) if (k !== "COUNT") streams[k] = u64[at / 8 + kinds[k]]!;
    return { cpu: this.u32[p / 4]!, nextMigrationNs: this.f64[p / 8 + 1]!, streams };
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
    const head = this.ex.simOffset(this.addr, this.at.histHead);
    const buckets = this.ex.simOffset(this.addr, this.at.histBuckets);
    const f = this.f64;
    return LatencyHistogram.fromSums(f.subarray(p + head, p + head + buckets), f[p]!, f[p + 1]!, f[p + 2]!, f[p + 3]!, f[p + 4]!).stats();
  }
}
