// The clock and lock accounting of the simulator: what the kernel's work
// costs in simulated time, and who waits for whom.
//
// Each CPU is busy until some time; work that arrives on a busy CPU starts
// when it is free (FIFO). Each lock of the model (the tree lock, the depot
// lock of each order, each CPU's flush-queue lock) is held until some time;
// a CPU that wants it at an earlier time spins until then, and that wait is
// its CPU time. Taking a lock costs LOCK_NS, plus a hand-off when the last
// holder was another CPU (HANDOFF_NS on the same socket, HANDOFF_REMOTE_NS
// across sockets): the lock's line and the data it guards move.
//
// The allocator's work is known after the fact: the core's own counters
// (tree allocs, frees, failures; the kernel walk's length; depot pushes,
// pops and full events) are read before a call (snapWork) and after it
// (chargeWork), and the difference is charged as one hold of each lock.

import { Domain, ORDERS, depotAt } from "../layout";
import { kernelWalkSteps } from "../tree/domain";
import { DEBUG } from "../debug";
import { Sim, Lock, SimParam, SimTotal, L, LockClass, lockAt, pAt, bump, cpuPtr, SCRATCH_OFF } from "./layout";

// @ts-ignore: decorator
@inline export function cpuFreeAt(s: Sim, c: u32): f64 { return load<f64>(cpuPtr(s, c)); }
// @ts-ignore: decorator
@inline export function setCpuFreeAt(s: Sim, c: u32, t: f64): void { store<f64>(cpuPtr(s, c), t); }
/**
 * The later of two times, both +0 or more (never -0 or NaN): there a
 * double's bits as u64 order as the numbers do, and an integer select is a
 * cmov. V8 compiles an f64 select to a branch, and whether a CPU is still
 * busy when work arrives is a branch it mispredicts often.
 */
// @ts-ignore: decorator
@inline export function laterOf(a: f64, b: f64): f64 {
  let x = reinterpret<u64>(a);
  let y = reinterpret<u64>(b);
  // Sign bit clear (not -0, no negative) and not NaN: where the bits order as the numbers.
  if (DEBUG) assert((x >> 63) == 0 && (y >> 63) == 0 && a == a && b == b, "laterOf: times are +0 or more, not NaN");
  return reinterpret<f64>(select<u64>(x, y, x > y));
}
/** When work arriving at t on CPU c starts. */
// @ts-ignore: decorator
@inline export function startOn(s: Sim, c: u32, t: f64): f64 {
  return laterOf(t, load<f64>(cpuPtr(s, c)));
}
/** The socket of CPU c; c == cpus stands for a kworker (socket 0). */
// @ts-ignore: decorator
@inline function socketOf(s: Sim, c: u32): u32 { return c >= s.cpus ? 0 : load<u32>(cpuPtr(s, c), 8); }

/**
 * Whether waits for lock i are modelled (SimParam.contendedLocks: the
 * default models them for every lock; an ablation may clear a class, so
 * that its holds overlap and only their own cost remains).
 */
// @ts-ignore: decorator
@inline function contended(s: Sim, i: u32): bool {
  let cls = i == L.TREE ? LockClass.TREE : i < L.FQ ? LockClass.DEPOT : LockClass.FQ;
  return (<u32>pAt(s, SimParam.contendedLocks) & cls) != 0;
}

/** CPU c takes lock i no earlier than `at`: returns when it holds it (after waiting, and the lock's own cost). */
// @ts-ignore: decorator
@inline export function acquire(s: Sim, i: u32, c: u32, at: f64): f64 {
  let lk = lockAt(s, i);
  let start = at;
  let busy = lk.busyUntil;
  if (start < busy && contended(s, i)) {
    let w = busy - start;
    lk.waitNs += w;
    lk.iWait += w;
    start = busy;
  }
  lk.since = start;
  let cost = pAt(s, SimParam.lockNs);
  let last = lk.lastCpu;
  if (last >= 0 && <u32>last != c) {
    cost += socketOf(s, <u32>last) == socketOf(s, c) ? pAt(s, SimParam.lockHandoffNs) : pAt(s, SimParam.lockHandoffRemoteNs);
    lk.handoffs += 1;
  }
  lk.lastCpu = <i32>c;
  lk.acquisitions += 1;
  return start + cost;
}

/** The holder of lock i releases it at `until`. */
// @ts-ignore: decorator
@inline export function release(s: Sim, i: u32, until: f64): void {
  let lk = lockAt(s, i);
  let held = until - lk.since;
  lk.heldNs += held;
  lk.iHeld += held;
  lk.busyUntil = until;
  if (held > lk.maxHeld) lk.maxHeld = held;
  if (lk.lastCpu == <i32>s.cpus) {
    lk.kwHolds += 1;
    lk.kwHeld += held;
    if (held > lk.kwMaxHeld) lk.kwMaxHeld = held;
  }
}

/** acquire, `work` ns of work, release: returns the release time. */
// @ts-ignore: decorator
@inline export function hold(s: Sim, i: u32, c: u32, at: f64, work: f64): f64 {
  let end = acquire(s, i, c, at) + work;
  release(s, i, end);
  return end;
}

// ---- the tree: iova_rbtree_lock

let sAllocs: u64 = 0;
let sFrees: u64 = 0;
let sFails: u64 = 0;
let sWalk: f64 = 0;

function snapTree(d: Domain): void {
  sAllocs = d.allocs;
  sFrees = d.frees;
  sFails = d.allocFailures;
  sWalk = kernelWalkSteps;
}

/**
 * The tree work since snapTree, as one hold of the tree lock by CPU c from
 * `at`: each allocation and each failed walk (the node, the search, the
 * insert or the give-up) TREE_ALLOC_NS, each walked node WALK_NODE_NS, each
 * free TREE_FREE_NS, each max32_alloc_size fast-fail FAST_FAIL_NS (a lock
 * round trip that walks nothing). Returns when it ends (at, if none).
 */
// @ts-ignore: decorator
@inline function chargeTree(s: Sim, d: Domain, c: u32, at: f64, fastFails: u32): f64 {
  let a = d.allocs - sAllocs;
  let f = d.frees - sFrees;
  let fl = d.allocFailures - sFails;
  if ((a | f | fl) == 0) return at;
  let failedWalks = fl - <u64>fastFails;
  let work = <f64>fastFails * pAt(s, SimParam.fastFailNs) + <f64>(a + failedWalks) * pAt(s, SimParam.treeAllocNs) +
    (kernelWalkSteps - sWalk) * pAt(s, SimParam.walkNodeNs) + <f64>f * pAt(s, SimParam.treeFreeNs);
  if (failedWalks > 0) bump(s, SimTotal.failedWalks, <f64>failedWalks);
  return hold(s, L.TREE, c, at, work);
}

// ---- the depots: rcache->lock of each order

// @ts-ignore: decorator
@inline function depotOps(d: Domain, o: u32): u64 {
  let dp = depotAt(d, o);
  return dp.pushes + dp.pops + dp.fullEvents;
}
// @ts-ignore: decorator
@inline function snapPtr(s: Sim, o: u32): usize { return changetype<usize>(s) + SCRATCH_OFF + (<usize>o << 3); }

function snapDepot(s: Sim, d: Domain, o: u32): void {
  store<u64>(snapPtr(s, o), depotOps(d, o));
}

function snapDepots(s: Sim, d: Domain): void {
  for (let o: u32 = 0; o < ORDERS; o++) store<u64>(snapPtr(s, o), depotOps(d, o));
}

/**
 * Depot work of order o since snapDepot (pushes, pops, depot-full events,
 * plus one look at an empty depot when `looked`), as a hold of its lock by
 * CPU c from `at`. Returns when it ends.
 */
// @ts-ignore: decorator
@inline function chargeDepot(s: Sim, d: Domain, o: u32, c: u32, at: f64, looked: bool): f64 {
  let ops = depotOps(d, o) - load<u64>(snapPtr(s, o));
  if (ops == 0 && looked) {
    ops = 1;
    bump(s, SimTotal.depotLooks, 1);
  }
  if (ops == 0) return at;
  return hold(s, L.DEPOT + o, c, at, <f64>ops * pAt(s, SimParam.depotNs));
}

/** chargeDepot for every order since snapDepots, one after another. */
function chargeDepots(s: Sim, d: Domain, c: u32, at: f64): f64 {
  let t = at;
  for (let o: u32 = 0; o < ORDERS; o++) t = chargeDepot(s, d, o, c, t, false);
  return t;
}

// ---- the pair every caller uses

/** snapWork's and chargeWork's order for "every order's depot" (a ring's frees, the timer, the domain clock). */
// @ts-ignore: decorator
@inline export const EVERY_ORDER: u32 = 0xFFFFFFFF;

/**
 * Reads the counters before a call into the core whose work will be charged:
 * the tree's, and the depot of order o (o >= ORDERS: an uncached size, no
 * depot; EVERY_ORDER: every depot).
 */
// @ts-ignore: decorator
@inline export function snapWork(s: Sim, d: Domain, o: u32): void {
  snapTree(d);
  if (o < ORDERS) snapDepot(s, d, o);
  else if (o == EVERY_ORDER) snapDepots(s, d);
}

/**
 * The work since snapWork(s, d, o) by CPU c from `at`: the depot's hold (or
 * each depot's, one after another), then the tree lock's. `looked`: the
 * call looked at an empty depot of order o; fastFails: max32_alloc_size
 * fast-fails among the tree's failures. Returns when the work ends.
 */
// @ts-ignore: decorator
@inline export function chargeWork(s: Sim, d: Domain, o: u32, c: u32, at: f64, looked: bool, fastFails: u32): f64 {
  let t = at;
  if (o < ORDERS) t = chargeDepot(s, d, o, c, t, looked);
  else if (o == EVERY_ORDER) t = chargeDepots(s, d, c, t);
  return chargeTree(s, d, c, t, fastFails);
}
