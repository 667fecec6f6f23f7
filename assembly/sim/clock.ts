// The clock and lock accounting of the simulator: what the kernel's work
// costs in simulated time, and who waits for whom.
//
// Each CPU is busy until some time; work that arrives on a busy CPU starts
// when it is free (FIFO). Each lock of the model (the tree lock, the depot
// lock of each order, each CPU's flush-queue lock) books its holds in
// simulated-time order (the booking, below): a hold takes the earliest free
// gap at or after its arrival that fits it, else spins behind the booked
// holds, and that wait is its CPU time. Taking a lock costs LOCK_NS, plus a
// hand-off when the holder before it in time was another CPU (HANDOFF_NS on
// the same socket, HANDOFF_REMOTE_NS across sockets): the lock's line and
// the data it guards move.
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

// ---- the booking: a lock's holds in simulated-time order
//
// The loop processes work in event order, but a busy CPU's work starts when
// it is free (startOn), so a lock can be booked ahead of simulated time by
// one CPU and then wanted at an earlier time by another. A spinlock is taken
// in time order: the earlier arrival gets the lock first. So each lock keeps
// its latest BOOKED holds (start, end, holder) sorted by start, and a hold
// of known length (hold) takes the earliest gap at or after its arrival that
// fits it, else waits behind the booked holds. Each booked hold's interval
// is LOCK_NS, the hand-off from the hold before it in the booking, and its
// work. A hold taken in a gap before a booked one becomes that one's
// predecessor, so the gap must also leave room for the rise of that hold's
// hand-off (from the new holder instead of the old): it is booked on the
// lock by moving that hold's start earlier by the rise (later, if the
// hand-off falls), its end, already returned to its CPU, kept. When the booking is full, the
// holds that ended before the simulated present (s.nowNs: no arrival is
// earlier) leave it first, then, if none has, the earliest; the latest
// dropped hold's end is the floor: an arrival before the floor waits until
// then (conservative: holds never overlap), even if the lock was free at its
// time; the lock counts those waits (floorWaits, floorWaitNs) so that the
// artefact stays visible (bench/lock-floor.ts prints their share).

/** Holds each lock remembers (LOCK_BYTES: the fields, then 20 bytes a hold). */
// @ts-ignore: decorator
@inline export const BOOKED: u32 = 32;
// @ts-ignore: decorator
@inline const BOOKED_AT: usize = offsetof<Lock>();
// The booking is a ring: hold j (0 the earliest) sits at place head + j,
// modulo BOOKED, so dropping the earliest holds moves the head instead of
// every later hold (memory.copy, which V8 runs as a call into C++; with 12
// holds and the earliest dropped at every booking once full, the copies were
// 3.5% of the simulator's time). A hold booked before the latest still moves
// the later ones up, one by one (most holds are booked last).
/** Hold j's place in the ring (j < BOOKED). */
// @ts-ignore: decorator
@inline function place(lk: Lock, j: u32): usize {
  let x = lk.head + j;
  return <usize>((BOOKED & (BOOKED - 1)) == 0 ? x & (BOOKED - 1) : x >= BOOKED ? x - BOOKED : x);
}
// @ts-ignore: decorator
@inline function bStart(lk: Lock, j: u32): usize { return changetype<usize>(lk) + BOOKED_AT + (place(lk, j) << 4); }
// @ts-ignore: decorator
@inline function bCpu(lk: Lock, j: u32): usize { return changetype<usize>(lk) + BOOKED_AT + (<usize>BOOKED << 4) + (place(lk, j) << 2); }

/** The lock's cost for CPU c taking it after holder `last` (-1: nobody): LOCK_NS plus the hand-off, if any. */
// @ts-ignore: decorator
@inline function costAfter(s: Sim, last: i32, c: u32): f64 {
  let cost = pAt(s, SimParam.lockNs);
  if (last >= 0 && <u32>last != c) {
    cost += socketOf(s, <u32>last) == socketOf(s, c) ? pAt(s, SimParam.lockHandoffNs) : pAt(s, SimParam.lockHandoffRemoteNs);
  }
  return cost;
}
/** costAfter, counting the hand-off in the lock's statistics. */
// @ts-ignore: decorator
@inline function takeCost(s: Sim, lk: Lock, last: i32, c: u32): f64 {
  if (last >= 0 && <u32>last != c) lk.handoffs += 1;
  return costAfter(s, last, c);
}

/** Drops the booking's first k holds: the floor is the last one's end, its holder the floor's. */
// @ts-ignore: decorator
@inline function dropFirst(lk: Lock, k: u32): void {
  let n = lk.booked;
  lk.floor = load<f64>(bStart(lk, k - 1), 8);
  lk.floorCpu = load<i32>(bCpu(lk, k - 1)) + 1;
  lk.head = <u32>place(lk, k);
  lk.booked = n - k;
}

/**
 * Books [start, end) by CPU c at index j of the booking (holds from j on
 * move up). A full booking first drops the holds that ended by `now`, else
 * its earliest (the new hold itself, if that is the earliest).
 */
function book(lk: Lock, j: u32, start: f64, end: f64, c: u32, now: f64): void {
  let n = lk.booked;
  if (DEBUG) assert(start >= lk.floor && (j == 0 || load<f64>(bStart(lk, j - 1), 8) <= start) && (j == n || end <= load<f64>(bStart(lk, j))), "book: holds of a lock never overlap");
  if (n == BOOKED) {
    // Ends rise with starts (the holds are disjoint): the ended ones are the first k.
    let k: u32 = 0;
    while (k < j && load<f64>(bStart(lk, k), 8) <= now) k++;
    if (k == 0 && j == 0) {
      // The new hold is the earliest and nothing ended: it leaves the booking at once.
      lk.floor = end;
      lk.floorCpu = <i32>c + 1;
      return;
    }
    let drop = k > 0 ? k : 1;
    dropFirst(lk, drop);
    n -= drop;
    j -= drop;
  }
  for (let i = n; i > j; i--) {
    let to = bStart(lk, i), from = bStart(lk, i - 1);
    store<f64>(to, load<f64>(from));
    store<f64>(to, load<f64>(from, 8), 8);
    store<i32>(bCpu(lk, i), load<i32>(bCpu(lk, i - 1)));
  }
  store<f64>(bStart(lk, j), start);
  store<f64>(bStart(lk, j), end, 8);
  store<i32>(bCpu(lk, j), <i32>c);
  lk.booked = n + 1;
  if (j == n) lk.lastCpu = <i32>c;
}

/** The end of the latest booked hold (the floor if none is booked). */
// @ts-ignore: decorator
@inline function latestEnd(lk: Lock): f64 {
  let n = lk.booked;
  return n == 0 ? lk.floor : load<f64>(bStart(lk, n - 1), 8);
}

// @ts-ignore: decorator
@inline function addWait(lk: Lock, w: f64): void {
  lk.waitNs += w;
  lk.iWait += w;
}

/**
 * CPU c takes lock i no earlier than `at` for a hold whose length is not
 * known yet (the flush-queue lock, whose hold nests other locks' holds):
 * behind every booked hold, so that it cannot overlap one. Returns when it
 * holds it (after waiting, and the lock's own cost).
 */
// @ts-ignore: decorator
@inline export function acquire(s: Sim, i: u32, c: u32, at: f64): f64 {
  let lk = lockAt(s, i);
  let start = at;
  let busy = latestEnd(lk);
  if (start < busy && contended(s, i)) {
    addWait(lk, busy - start);
    start = busy;
  }
  lk.since = start;
  let cost = takeCost(s, lk, lk.lastCpu, c);
  lk.lastCpu = <i32>c;
  lk.acquisitions += 1;
  return start + cost;
}

// @ts-ignore: decorator
@inline function account(s: Sim, lk: Lock, held: f64, c: u32): void {
  lk.heldNs += held;
  lk.iHeld += held;
  if (held > lk.maxHeld) lk.maxHeld = held;
  if (c == s.cpus) {
    lk.kwHolds += 1;
    lk.kwHeld += held;
    if (held > lk.kwMaxHeld) lk.kwMaxHeld = held;
  }
}

/** The holder (CPU c) of lock i, taken with acquire, releases it at `until`. */
// @ts-ignore: decorator
@inline export function release(s: Sim, i: u32, c: u32, until: f64): void {
  let lk = lockAt(s, i);
  let since = lk.since;
  account(s, lk, until - since, c);
  if (contended(s, i)) book(lk, lk.booked, since, until, c, s.nowNs);
}

/**
 * CPU c holds lock i for `work` ns of work, arriving at `at`: in the
 * earliest gap of the booking at or after `at` that fits the lock's cost
 * (the hand-off from the hold before the gap), the work and the rise of the
 * next hold's hand-off, else after the latest booked hold. Returns the
 * release time.
 */
export function hold(s: Sim, i: u32, c: u32, at: f64, work: f64): f64 {
  let lk = lockAt(s, i);
  lk.acquisitions += 1;
  if (!contended(s, i)) {
    // An ablation: the holds overlap; only their own cost (after the last holder) remains.
    let end = at + takeCost(s, lk, lk.lastCpu, c) + work;
    lk.lastCpu = <i32>c;
    account(s, lk, end - at, c);
    return end;
  }
  let start = at;
  if (start < lk.floor) {
    // The floor, not a known hold, decides the start: the dropped holds may
    // have left the lock free at `at`. Counted so that the artefact is visible.
    lk.floorWaits += 1;
    lk.floorWaitNs += lk.floor - start;
    start = lk.floor;
  }
  let n = lk.booked;
  // Booked holds that end by the arrival are behind it (the first j; from
  // the latest down, as most arrivals come after most of the booking); the
  // last of them is its predecessor.
  let j = n;
  while (j > 0 && load<f64>(bStart(lk, j - 1), 8) > start) j--;
  let prev = j > 0 ? load<i32>(bCpu(lk, j - 1)) : lk.floorCpu - 1;
  let cost = costAfter(s, prev, c);
  let rise: f64 = 0;
  while (j < n) {
    let p = bStart(lk, j);
    let next = load<i32>(bCpu(lk, j));
    // Taken before hold j, this hold is its predecessor instead of prev: hold
    // j's hand-off rises by `rise` (or falls: rise < 0). Its end stays, so its
    // start moves by -rise and this hold must end by then.
    rise = costAfter(s, <i32>c, <u32>next) - costAfter(s, prev, <u32>next);
    if (start + cost + work + rise <= load<f64>(p)) break;  // it fits before hold j
    let e = load<f64>(p, 8);
    if (e > start) start = e;
    prev = next;
    cost = costAfter(s, prev, c);
    j++;
  }
  takeCost(s, lk, prev, c);
  if (j < n) {
    // Hold j is taken after c's now: its hand-off (from c) is booked on the
    // lock, in its own interval, which keeps LOCK_NS + the hand-off + its work.
    let next = load<i32>(bCpu(lk, j));
    let p = bStart(lk, j);
    store<f64>(p, load<f64>(p) - rise);
    // The hand-off count follows: hold j's hand-off is from c now, not from prev.
    lk.handoffs += <f64>(<i32>(next != <i32>c) - <i32>(prev >= 0 && next != prev));
  }
  if (start > at) addWait(lk, start - at);
  let end = start + cost + work;
  account(s, lk, end - start, c);
  book(lk, j, start, end, c, s.nowNs);
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
