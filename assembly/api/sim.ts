// Exported entry points of the simulator's event loop (assembly/sim/). The
// host lays a Sim out in its reserved bytes, writes the parameters and the
// per-CPU and per-job tables, starts it, and runs it one sample interval at
// a time: no call into JS per I/O.

import { ORDERS, NIL, ANCHOR, domainAt, nodeAt } from "../layout";
import { first, next } from "../tree/rbtree";
import { fqAt } from "../iommu/flush-queue";
import {
  Sim, SimParam, SimTotal, L, H, simAt, simBytes as simBytesIn, layoutSim, lockAt, slotPtr, jobPtr, streamPtr, cpuPtr, reservedPtr, histPtr,
  P_OFF, T_OFF, CPU_BYTES, JOB_BYTES, JOB_STREAMS, PH_SUBMIT, HIST_HEAD, HIST_BUCKETS,
} from "../sim/layout";
import { queueInit, queueSet, queueBuild, queueAt, queueRebuild, queueTagsLeft } from "../sim/queue";
import { Stream, streamSeed, exponential } from "../sim/random";
import { histClear, histAdd } from "../sim/histogram";
import { mergeTableBuild, mergeIos, mergeIosFormula } from "../sim/merge";
import { runUntil } from "../sim/loop";
import { hold } from "../sim/clock";

export function simBytes(cpus: u32, jobs: u32, iodepth: u32, segsMax: u32, bsEntries: u32, nReserved: u32): u32 {
  return simBytesIn(cpus, jobs, iodepth, segsMax, bsEntries, nReserved);
}

/** Zeroes and lays out a Sim at addr. The host then writes P, the CPU and job tables, block sizes and reserved ranges. */
export function simLayout(addr: usize, cpus: u32, jobs: u32, iodepth: u32, segsMax: u32, bsEntries: u32, nReserved: u32): void {
  memory.fill(addr, 0, simBytesIn(cpus, jobs, iodepth, segsMax, bsEntries, nReserved));
  layoutSim(simAt(addr), cpus, jobs, iodepth, segsMax, bsEntries, nReserved);
}

/** What simOffset() returns; the host reads these names from the module (src/wasm/codes.ts). */
export enum SimAt {
  /** Byte offset of P (f64 x SimParam.COUNT). */
  params = 0,
  /** Byte offset of T: the totals, then the interval's copy (f64 x 2 SimTotal.COUNT). */
  totals,
  cpuTable,
  jobTable,
  blockSizes,
  reserved,
  /** Bytes of one CPU record and of one job record. */
  cpuBytes,
  jobBytes,
  /** Number of locks: tree, depot per order, flush queue per CPU. */
  locks,
  /** f64s at the head of each histogram, and its buckets. */
  histHead,
  histBuckets,
  /** Byte offset in a job record of its random streams' states (u64 each, by Stream). */
  jobStreams,
}

/** Where the host writes and reads in the Sim at addr (SimAt). */
export function simOffset(addr: usize, which: SimAt): u32 {
  let s = simAt(addr);
  switch (which) {
    case SimAt.params: return P_OFF;
    case SimAt.totals: return T_OFF;
    case SimAt.cpuTable: return s.offCpu;
    case SimAt.jobTable: return s.offJob;
    case SimAt.blockSizes: return s.offBs;
    case SimAt.reserved: return s.offReserved;
    case SimAt.cpuBytes: return CPU_BYTES;
    case SimAt.jobBytes: return JOB_BYTES;
    case SimAt.locks: return 1 + ORDERS + s.cpus;
    case SimAt.histHead: return HIST_HEAD;
    case SimAt.histBuckets: return HIST_BUCKETS;
    case SimAt.jobStreams: return JOB_STREAMS;
    default: return 0xFFFFFFFF;
  }
}

/** Starts the run at time 0: every slot submits, in slot order. */
export function simStart(addr: usize, domain: usize, fq: usize, strict: bool, pci: bool, serial: bool,
  bsKind: u32, bsFixed: f64, bsMin: f64, bsSteps: f64, seed: f64): void {
  let s = simAt(addr);
  s.domain = <u32>domain;
  s.fq = <u32>fq;
  s.strict = strict ? 1 : 0;
  s.pci = pci ? 1 : 0;
  s.serial = serial ? 1 : 0;
  s.bsKind = bsKind;
  s.bsFixed = bsFixed;
  s.bsMin = bsMin;
  s.bsSteps = bsSteps;
  mergeTableBuild(s);
  let migrateNs = load<f64>(addr + P_OFF + (<usize>SimParam.migrateNs << 3));
  let first = Infinity;
  for (let j: u32 = 0; j < s.jobs; j++) {
    let jp = jobPtr(s, j);
    let c = load<u32>(jp);
    store<u32>(cpuPtr(s, c), load<u32>(cpuPtr(s, c), 16) + 1, 16);
    for (let kind: u32 = 0; kind < <u32>Stream.COUNT; kind++) store<u64>(streamPtr(s, j, kind), streamSeed(<u64>seed, j, kind));
    let m = migrateNs > 0 ? exponential(streamPtr(s, j, Stream.MIGRATE), migrateNs) : Infinity;
    store<f64>(jp, m, 8);
    if (m < first) first = m;
    store<f64>(jp, 0, 16);
  }
  s.nextMigrateNs = first;
  for (let i: u32 = 0; i < 1 + ORDERS + s.cpus; i++) lockAt(s, i).lastCpu = -1;
  for (let c: u32 = 0; c < s.cpus; c++) store<u32>(cpuPtr(s, c), 0, 20);  // no async queue run yet
  for (let h: u32 = 0; h < 3; h++) histClear(s, h);
  queueInit(s);
  let q = queueAt(s);
  for (let k: u32 = 0; k < s.slots; k++) {
    let sp = slotPtr(s, k);
    store<u32>(sp, k / s.iodepth);
    store<u32>(sp, PH_SUBMIT, 4);
    queueSet(q, 0, k, PH_SUBMIT);
  }
  queueBuild(q);
  s.nextTickNs = load<f64>(addr + P_OFF + (<usize>SimParam.tickNs << 3));
}

/** Event tags left before the queue's push counter overflows (sim/queue.ts queueTagsLeft). */
export function simQueueTagsLeft(addr: usize): f64 { return queueTagsLeft(queueAt(simAt(addr))); }

/** Plays the event queue's matches again from its keys (the order of events lives in the keys alone: a test checks that). */
export function simQueueRebuild(addr: usize): void {
  queueRebuild(queueAt(simAt(addr)));
}

/**
 * A merged request's I/O count for the uniform draw u: from the table the
 * loop uses (table true) or from the model's formula, which it must equal
 * (test/sim-merge).
 */
export function simMergeIos(addr: usize, u: f64, table: bool): f64 {
  let s = simAt(addr);
  return table ? mergeIos(s, u) : mergeIosFormula(s, u);
}

/** Runs every event before untilNs; 1 if events remain, 0 when the run is over. */
export function simRun(addr: usize, untilNs: f64): u32 {
  let s = simAt(addr);
  return runUntil(s, domainAt(<usize>s.domain), fqAt(<usize>s.fq), untilNs);
}

/** Slots holding mapped IOVAs (their segments): must be 0 after the run. */
export function simLive(addr: usize): f64 {
  let s = simAt(addr);
  let n: f64 = 0;
  for (let k: u32 = 0; k < s.slots; k++) n += <f64>load<u32>(slotPtr(s, k), 16);
  return n;
}

/**
 * The 32-bit window now: pfns allocated below dma_32bit_pfn by ranges that
 * are not reserved (returned), and the lowest such pfn (simLowest32, -1 if
 * none). Walks the tree in order, up to 4 GiB.
 */
export function simWindow32(addr: usize): f64 {
  let s = simAt(addr);
  let d = domainAt(<usize>s.domain);
  let top = d.dma32Pfn;
  let used: u64 = 0;
  let lowest: f64 = -1;
  let i = first(d);
  while (i != NIL && i != ANCHOR) {
    let X = nodeAt(d, i);
    if (X.lo >= top) break;
    let reserved = false;
    for (let r: u32 = 0; r < s.nReserved; r++) {
      let p = reservedPtr(s, r);
      if (load<u64>(p) == X.lo && load<u64>(p, 8) == X.hi) { reserved = true; break; }
    }
    if (!reserved) {
      let hi = X.hi < top ? X.hi : top - 1;
      used += hi - X.lo + 1;
      if (lowest < 0) lowest = <f64>X.lo;
    }
    i = next(d, i);
  }
  s.window32Used = <f64>used;
  s.lowestPfn32 = lowest;
  return <f64>used;
}
export function simLowest32(addr: usize): f64 { return simAt(addr).lowestPfn32; }

/**
 * What simLockStat() returns of a lock: held and waited ns (whole run, then
 * this interval), acquisitions, hand-offs, the longest hold; and the holds of
 * the kworker (the domain clock's policy work): count, ns, longest; and the
 * waits the booking's floor decided (clock.ts hold): count, ns.
 */
export enum SimLockStat {
  held = 0,
  wait,
  iHeld,
  iWait,
  acquisitions,
  handoffs,
  maxHeld,
  kworkerHolds,
  kworkerHeld,
  kworkerMaxHeld,
  floorWaits,
  floorWaitNs,
}

/** Lock i (0 tree, 1.. depot per order, then flush queue per CPU): the figure `which` (SimLockStat). */
export function simLockStat(addr: usize, i: u32, which: SimLockStat): f64 {
  let lk = lockAt(simAt(addr), i);
  switch (which) {
    case SimLockStat.held: return lk.heldNs;
    case SimLockStat.wait: return lk.waitNs;
    case SimLockStat.iHeld: return lk.iHeld;
    case SimLockStat.iWait: return lk.iWait;
    case SimLockStat.acquisitions: return lk.acquisitions;
    case SimLockStat.handoffs: return lk.handoffs;
    case SimLockStat.maxHeld: return lk.maxHeld;
    case SimLockStat.kworkerHolds: return lk.kwHolds;
    case SimLockStat.kworkerHeld: return lk.kwHeld;
    case SimLockStat.kworkerMaxHeld: return lk.kwMaxHeld;
    case SimLockStat.floorWaits: return lk.floorWaits;
    case SimLockStat.floorWaitNs: return lk.floorWaitNs;
    default: return -1;
  }
}

/** Starts a new sampling interval: the interval's counts and every lock's interval figures back to 0. */
export function simNextInterval(addr: usize): void {
  let s = simAt(addr);
  memory.fill(addr + T_OFF + (<usize>SimTotal.COUNT << 3), 0, SimTotal.COUNT << 3);
  for (let i: u32 = 0; i < 1 + ORDERS + s.cpus; i++) {
    let lk = lockAt(s, i);
    lk.iHeld = 0;
    lk.iWait = 0;
  }
}

/** Records one latency of ns in histogram h as the loop does (a check of its buckets against the host's: test/sim-histogram). */
export function simHistAdd(addr: usize, h: u32, ns: f64): void {
  histAdd(simAt(addr), h, ns);
}

/** CPU c holds lock i for `work` ns of work from `at`, as the loop's holds do: returns the release time (a check of the lock model: test/sim-lock-order). */
export function simLockHold(addr: usize, i: u32, c: u32, at: f64, work: f64): f64 {
  return hold(simAt(addr), i, c, at, work);
}

/** Sets the simulated present, as the loop does at each event (a check of the lock booking, which drops the holds ended by then: test/sim-lock-order). */
export function simSetNow(addr: usize, ns: f64): void {
  simAt(addr).nowNs = ns;
}

/** Byte address of histogram h (0 map, 1 unmap, 2 clat): n, min, max, sum, sumSq, then the buckets. */
export function simHist(addr: usize, h: u32): usize { return histPtr(simAt(addr), h); }

/** simLockIndex()'s kinds of lock: the tree lock, a depot lock (of order n), a flush-queue lock (of CPU n). */
export enum SimLock {
  tree = 0,
  depot,
  fq,
}

/** The lock index of the tree lock, the depot lock of order n, the flush-queue lock of CPU n. */
export function simLockIndex(kind: SimLock, n: u32): u32 {
  return kind == SimLock.tree ? L.TREE : kind == SimLock.depot ? L.DEPOT + n : L.FQ + n;
}
