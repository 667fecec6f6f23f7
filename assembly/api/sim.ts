// Exported entry points of the simulator's event loop (assembly/sim/). The
// host lays a Sim out in its reserved bytes, writes the parameters and the
// per-CPU and per-job tables, starts it, and runs it one sample interval at
// a time: no call into JS per I/O.

import { ORDERS, NIL, ANCHOR, domainAt, nodeAt } from "../layout";
import { first, next } from "../tree/rbtree";
import { fqAt } from "../iommu/flush-queue";
import {
  Sim, P, T, L, H, simAt, simBytes as simBytesIn, layoutSim, lockAt, slotPtr, jobPtr, cpuPtr, reservedPtr, histPtr,
  P_OFF, T_OFF, CPU_BYTES, JOB_BYTES, PH_SUBMIT, HIST_HEAD, HIST_BUCKETS,
} from "../sim/layout";
import { queueInit, queuePush } from "../sim/queue";
import { seedRng, exponential } from "../sim/random";
import { histClear } from "../sim/histogram";
import { runUntil } from "../sim/loop";

export function simBytes(cpus: u32, jobs: u32, iodepth: u32, segsMax: u32, bsEntries: u32, nReserved: u32): u32 {
  return simBytesIn(cpus, jobs, iodepth, segsMax, bsEntries, nReserved);
}

/** Zeroes and lays out a Sim at addr. The host then writes P, the CPU and job tables, block sizes and reserved ranges. */
export function simLayout(addr: usize, cpus: u32, jobs: u32, iodepth: u32, segsMax: u32, bsEntries: u32, nReserved: u32): void {
  memory.fill(addr, 0, simBytesIn(cpus, jobs, iodepth, segsMax, bsEntries, nReserved));
  layoutSim(simAt(addr), cpus, jobs, iodepth, segsMax, bsEntries, nReserved);
}

/**
 * Where the host writes and reads: 0 P (f64 x P.COUNT), 1 T (totals, then
 * the interval's copy: f64 x 2 T.COUNT), 2 CPU table, 3 job table, 4 block
 * sizes, 5 reserved ranges, 6 CPU record bytes, 7 job record bytes,
 * 8 P.COUNT, 9 T.COUNT, 10 locks, 11 histograms' head f64s, 12 buckets.
 */
export function simOffset(addr: usize, which: u32): u32 {
  let s = simAt(addr);
  switch (which) {
    case 0: return P_OFF;
    case 1: return T_OFF;
    case 2: return s.offCpu;
    case 3: return s.offJob;
    case 4: return s.offBs;
    case 5: return s.offReserved;
    case 6: return CPU_BYTES;
    case 7: return JOB_BYTES;
    case 8: return P.COUNT;
    case 9: return T.COUNT;
    case 10: return 1 + ORDERS + s.cpus;
    case 11: return HIST_HEAD;
    case 12: return HIST_BUCKETS;
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
  seedRng(s, <u64>seed);
  let migrateNs = load<f64>(addr + P_OFF + (<usize>P.MIGRATE_NS << 3));
  for (let j: u32 = 0; j < s.jobs; j++) {
    let jp = jobPtr(s, j);
    let c = load<u32>(jp);
    store<u32>(cpuPtr(s, c), load<u32>(cpuPtr(s, c), 16) + 1, 16);
    store<f64>(jp, migrateNs > 0 ? exponential(s, migrateNs) : Infinity, 8);
    store<f64>(jp, 0, 16);
  }
  for (let i: u32 = 0; i < 1 + ORDERS + s.cpus; i++) lockAt(s, i).lastCpu = -1;
  for (let h: u32 = 0; h < 3; h++) histClear(s, h);
  // Buckets about one event wide: a slot's round trip (the device's latency and the CPUs' work) over the slots.
  let roundTrip = load<f64>(addr + P_OFF + (<usize>P.DEV_BASE_NS << 3)) + load<f64>(addr + P_OFF + (<usize>P.SUBMIT_NS << 3)) +
    load<f64>(addr + P_OFF + (<usize>P.COMPLETE_NS << 3));
  queueInit(s, roundTrip / <f64>s.slots);
  for (let k: u32 = 0; k < s.slots; k++) {
    let sp = slotPtr(s, k);
    store<u32>(sp, k / s.iodepth);
    store<u32>(sp, PH_SUBMIT, 4);
    queuePush(s, 0, k);
  }
  s.nextTickNs = load<f64>(addr + P_OFF + (<usize>P.TICK_NS << 3));
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
 * Lock i (0 tree, 1.. depot per order, then flush queue per CPU): 0 held, 1
 * wait, 2 interval held, 3 interval wait, 4 acquisitions, 5 hand-offs, 6
 * longest hold; by the kworker (the domain clock's policy work): 7 holds,
 * 8 held, 9 longest hold.
 */
export function simLockStat(addr: usize, i: u32, which: u32): f64 {
  let lk = lockAt(simAt(addr), i);
  switch (which) {
    case 0: return lk.heldNs;
    case 1: return lk.waitNs;
    case 2: return lk.iHeld;
    case 3: return lk.iWait;
    case 4: return lk.acquisitions;
    case 5: return lk.handoffs;
    case 6: return lk.maxHeld;
    case 7: return lk.kwHolds;
    case 8: return lk.kwHeld;
    case 9: return lk.kwMaxHeld;
    default: return -1;
  }
}

/** Starts a new sampling interval: the interval's counts and every lock's interval figures back to 0. */
export function simNextInterval(addr: usize): void {
  let s = simAt(addr);
  memory.fill(addr + T_OFF + (<usize>T.COUNT << 3), 0, T.COUNT << 3);
  for (let i: u32 = 0; i < 1 + ORDERS + s.cpus; i++) {
    let lk = lockAt(s, i);
    lk.iHeld = 0;
    lk.iWait = 0;
  }
}

/** Byte address of histogram h (0 map, 1 unmap, 2 clat): n, min, max, sum, sumSq, then the buckets. */
export function simHist(addr: usize, h: u32): usize { return histPtr(simAt(addr), h); }

/** The lock index of the tree lock, the depot lock of order o, the flush-queue lock of CPU c. */
export function simLockIndex(kind: u32, n: u32): u32 {
  return kind == 0 ? L.TREE : kind == 1 ? L.DEPOT + n : L.FQ + n;
}
