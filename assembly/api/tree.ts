// Exported tree entry points. pfns cross the boundary as f64 (exact below
// 2^53, which the host enforces); inside they are u64. Each call takes the
// domain's base address and holds the tree lock for its whole duration.

import {
  Err, Flag, NIL, ANCHOR, domainAt, nodeAt, layoutDomain, domainBytes, domainMaxBytes, MAGIC, LAYOUT_VERSION,
  cpuStateAt, layoutIntact, treeLockAddr, magicAddr, destroyedAddr,
} from "../layout";
import { lock, unlock } from "../lock";
import { selfId, setSelf } from "../self";
import { initTree, allocRange, freePfn, findNode, removeNode, reserveRange, treeError, allocatedNode, kernelWalkSteps } from "../tree/domain";
import { checkTree, badNode, Bad } from "../tree/check";
import { next } from "../tree/rbtree";
import { recount } from "../tree/gap";
import { initRcaches } from "../rcache/rcache";
import { eraValid } from "../era";
import { atomicLoad, atomicStore } from "../atomics";

/** Why this instance's last failing call failed (Err.*). */
let lastErr: u32 = Err.NONE;
/** hi of the range found by the last find(). */
let foundHi: f64 = 0;


export function heapBase(): usize { return __heap_base; }

/** Bytes a new domain takes (its slab's first group included), in f64. */
export function layoutBytes(cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): f64 {
  return <f64>domainBytes(cpus, nodeCap, magCap, magSize);
}

/** Bytes the domain can grow to with both slabs full, exact in f64 (the host refuses what does not fit its memory). */
export function layoutMaxBytes(cpus: u32, nodeCap: u32, magCap: u32, magSize: u32): f64 {
  return <f64>domainMaxBytes(cpus, nodeCap, magCap, magSize);
}

/** Lays out and initialises a domain in zeroed memory at base. */
export function domainInit(
  base: usize, granuleShift: u32, startPfn: f64, cpus: u32, nodeCap: u32,
  magCap: u32, magSize: u32, policy: u32, depotMax: u32, era: u32,
): void {
  let d = domainAt(base);
  assert(eraValid(era), "domainInit: unknown era");
  let bytes = domainBytes(cpus, nodeCap, magCap, magSize);
  // The host checked the size; a geometry that would not fit traps here rather than wrap.
  if (<u64>base + bytes > (<u64>memory.size() << 16)) unreachable();
  memory.fill(base, 0, <usize>bytes);
  layoutDomain(d, cpus, nodeCap, magCap, magSize);
  d.policy = policy;
  d.era = era;
  d.depotMax = depotMax;
  d.magLimit = magCap;
  d.cellsHigh = 2;  // cell 0 is nil (also magazine 0, "none"), cell 1 the anchor
  initTree(d, granuleShift, <u64>startPfn);
  initRcaches(d);
  for (let c: u32 = 0; c < cpus; c++) cpuStateAt(d, c).alive = 1;
  d.version = LAYOUT_VERSION;
  atomicStore<u32>(magicAddr(d), MAGIC);  // last: a domain is valid once magic is set
}

/** Checks that base holds a domain of this layout version (0 if so). */
export function domainProbe(base: usize): u32 {
  let d = domainAt(base);
  if (atomicLoad<u32>(magicAddr(d)) != MAGIC) return 1;
  if (d.version != LAYOUT_VERSION) return 2;
  return 0;
}

export function attach(cpu: u32): void { setSelf(cpu); }
export function lastError(): u32 { return lastErr; }

export function setOracleWalk(base: usize, on: bool): void {
  let d = domainAt(base);
  if (on) d.flags |= Flag.ORACLE_WALK; else d.flags &= ~Flag.ORACLE_WALK;
}

export function alloc(base: usize, size: f64, limit: f64, aligned: bool): f64 {
  let d = domainAt(base);
  lock(d, treeLockAddr(d), selfId);
  let r = allocRange(d, <u64>size, <u64>limit, aligned);
  unlock(treeLockAddr(d));
  // Failure: -1 - the Err code (always below 0), so the host learns why without a second call (lastError).
  if (r < 0) { lastErr = treeError; return -1 - <f64>treeError; }
  return <f64>r;
}

/**
 * allocFreeLoop's size and limit, converted from f64 once per call. Kept in
 * globals, not locals: V8's TurboFan placed the two saturating conversions
 * of loop-invariant locals inside the loop, about 9 x86 instructions a pair
 * (valgrind cachegrind) that the kernel's loop does not run.
 */
let loopSize: u64 = 0;
let loopLimit: u64 = 0;

/**
 * Allocates and frees `rounds` ranges of `size` in a loop inside wasm
 * (benchmarks): the kernel's alloc_iova + __free_iova pair, each call under
 * its own hold of the tree lock, the free given the node (no find).
 */
export function allocFreeLoop(base: usize, size: f64, limit: f64, aligned: bool, rounds: u32): u32 {
  let d = domainAt(base);
  let fails: u32 = 0;
  loopSize = <u64>size;
  loopLimit = <u64>limit;
  for (let i: u32 = 0; i < rounds; i++) {
    lock(d, treeLockAddr(d), selfId);
    let r = allocRange(d, loopSize, loopLimit, aligned);
    let z = allocatedNode;
    unlock(treeLockAddr(d));
    if (r < 0) { fails++; continue; }
    lock(d, treeLockAddr(d), selfId);
    removeNode(d, z);
    unlock(treeLockAddr(d));
  }
  return fails;
}

export function free(base: usize, pfn: f64): bool {
  let d = domainAt(base);
  lock(d, treeLockAddr(d), selfId);
  let ok = freePfn(d, <u64>pfn);
  unlock(treeLockAddr(d));
  return ok;
}

/** lo of the range holding pfn, or -1; its hi is then foundHiPfn(). */
export function find(base: usize, pfn: f64): f64 {
  let d = domainAt(base);
  lock(d, treeLockAddr(d), selfId);
  let i = findNode(d, <u64>pfn);
  let r: f64 = -1;
  if (i != NIL && i != ANCHOR) {
    r = <f64>nodeAt(d, i).lo;
    foundHi = <f64>nodeAt(d, i).hi;
  }
  unlock(treeLockAddr(d));
  return r;
}
export function foundHiPfn(): f64 { return foundHi; }

export function reserve(base: usize, lo: f64, hi: f64): bool {
  let d = domainAt(base);
  lock(d, treeLockAddr(d), selfId);
  let ok = reserveRange(d, <u64>lo, <u64>hi);
  unlock(treeLockAddr(d));
  if (!ok) lastErr = treeError;
  return ok;
}

/**
 * Copies up to `max` ranges with lo >= fromPfn, in order, as f64 pairs
 * into out. Returns how many were written (the anchor is left out).
 */
export function dumpRanges(base: usize, fromPfn: f64, out: usize, max: u32): u32 {
  let d = domainAt(base);
  lock(d, treeLockAddr(d), selfId);
  let from = <u64>fromPfn;
  let t = d.root;
  let i: u32 = NIL;
  while (t != NIL) {
    let T = nodeAt(d, t);
    if (T.lo >= from) { i = t; t = T.left; } else t = T.right;
  }
  let n: u32 = 0;
  while (i != NIL && i != ANCHOR && n < max) {
    let X = nodeAt(d, i);
    store<f64>(out + (<usize>n << 4), <f64>X.lo);
    store<f64>(out + (<usize>n << 4) + 8, <f64>X.hi);
    n++;
    i = next(d, i);
  }
  unlock(treeLockAddr(d));
  return n;
}

export function check(base: usize): u32 {
  let d = domainAt(base);
  lock(d, treeLockAddr(d), selfId);
  let r = layoutIntact(d) ? checkTree(d) : Bad.LAYOUT;
  unlock(treeLockAddr(d));
  return r;
}
export function checkBadNode(): u32 { return badNode; }

export function destroy(base: usize): void {
  let d = domainAt(base);
  atomicStore<u32>(destroyedAddr(d), 1);
}

/** Nodes the kernel's node-by-node walk would have visited, over this instance's allocs. */
export function walkSteps(): f64 { return kernelWalkSteps; }

/** Turns counting of the kernel's walk length (walkSteps) on or off for a domain. */
export function setWalkCounting(base: usize, on: bool): void {
  let d = domainAt(base);
  lock(d, treeLockAddr(d), selfId);
  if (on && (d.flags & Flag.COUNT_WALK) == 0) recount(d, d.root);  // counts were not kept while off
  if (on) d.flags |= Flag.COUNT_WALK; else d.flags &= ~Flag.COUNT_WALK;
  unlock(treeLockAddr(d));
}
