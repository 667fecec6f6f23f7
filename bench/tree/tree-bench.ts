// Tree benchmark: what an alloc+free pair costs as the tree grows, how the
// O(log n) descent compares with the kernel's node-by-node walk (the
// useOracleWalk mode), and what a failing allocation costs in a packed space.
//
//   (a) pairs: N live ranges, fragmented, below 4 GiB; then alloc+free of one
//       range, in the in-wasm loop and from JS, for fixed and random sizes.
//       The trees are built first and timed in turn, batch by batch.
//   (a') churn: random sizes, and each alloc is followed by freeing a random
//       *other* live range (N stays fixed): the cached node then jumps around
//       and the kernel's walk gets long. Same op stream for both searches.
//       Aligned requests should cost the same at every N (the maxAlignKey
//       augmentation makes their search O(log n)): the row ratios say so.
//   (b) a size-2 aligned request that cannot fit, in a space packed with
//       single pages: 16 Ki pages below 4 GiB (the repeat hits the 32-bit
//       fast-fail) and 1 Mi pages above 4 GiB (no fast-fail: every call
//       searches). Plus a case the maxGap augmentation cannot prune.
//
// Besides time, every row shows the kernel walk length: how many nodes the
// kernel's loop visits for that alloc (counted by the module; exact for the
// oracle walk and for successful searches). Times are CPU time (util.ts,
// cpuNs), as the kernel's figures in ../shared/anchors.md are, and sit next
// to those figures where the kernel ran the same workload.
import type { IovaDomain } from "../../src/index.js";
import { countWalk, must, nowNs, perOpNs, perOpNsInterleaved, placementHash, prng, treeDomain, walkSteps, median } from "./util.js";
import { KERNEL_ANCHORS, vsKernel } from "../kernel-anchors.js";

export interface TreeBenchOptions {
  /** Smaller counts for a smoke run (seconds, not a minute). */
  quick?: boolean;
  /** Progress lines go here (default: nowhere). */
  log?: (line: string) => void;
  seed?: number;
}

export interface PairRow {
  live: number;
  /** ns per alloc+free pair, allocFreeLoop inside wasm. */
  wasmLoop1: number;
  wasmLoop8a: number;
  /** ns per pair from JS, one alloc() and one free() call. */
  js1: number;
  js8a: number;
  /** Random sizes 1..64, size-aligned, from JS. */
  jsRandom: number;
  /** The same with the kernel's walk (only for the smaller trees). */
  jsRandomOracle: number | null;
  /** Mean kernel-walk nodes per alloc in the random-size pairs. */
  walkPerAlloc: number;
}

export interface ChurnRow {
  live: number;
  /** ns per alloc (aligned) + free-of-a-random-live-range, from JS. */
  ours: number;
  /** ours / ours at the smallest N (target: <= 2 at every N). */
  ratioToSmallest: number;
  /** The same op stream with unaligned allocations (ours only). */
  oursUnaligned: number;
  oracle: number | null;
  /** Mean nodes the kernel's loop visits per alloc. */
  walkPerAlloc: number;
  /**
   * ns per find() of a random live range on the same tree, from JS: the
   * descent from the root that each churn step's free(pfn) starts with.
   */
  findRandom: number;
  /** ours - findRandom: the alloc's search and link, and the free's unlink. */
  oursLessFind: number;
  /** oursLessFind / its value at the smallest N. */
  lessFindRatio: number;
  /**
   * FNV-1a over every pfn the aligned churn's allocs returned, in order
   * (warm-up, timed and counted steps), as 8 hex digits: a change of the
   * tree's code or memory layout that keeps the placements keeps it.
   */
  placements: string;
  /** The same for the unaligned churn. */
  placementsUnaligned: string;
}

export interface FailRow {
  name: string;
  ranges: number;
  /** µs for a failing search (first time: no fast-fail armed). */
  oursFirstUs: number;
  oracleFirstUs: number;
  /** µs for the same request right after (the 32-bit fast-fail applies if below 4 GiB). */
  oursRepeatUs: number;
  oracleRepeatUs: number;
  /** Nodes the kernel's loop visits in the first-time search. */
  walkNodes: number;
  fastFail: boolean;
  /** The kernel's C on the same space, first call, µs (../shared/anchors.md), where measured. */
  kernelFirstUs: number | null;
}

export interface TreeBenchResult {
  quick: boolean;
  node: string;
  granule: number;
  pairs: PairRow[];
  /** js / wasm pair time of the largest tree over the smallest (target: < 2). */
  pairRatio: { from: number; to: number; wasmLoop1: number; wasmLoop8a: number; js1: number; js8a: number; jsRandom: number };
  churn: ChurnRow[];
  /** Aligned churn at the largest N over the smallest (target: <= 2). */
  churnRatio: { from: number; to: number; aligned: number; unaligned: number; find: number; lessFind: number };
  failing: FailRow[];
  seconds: number;
}

/** 512-byte granule: dma32Pfn = 2^23, so 1e6 ranges of 1..8 pages fit below 4 GiB. */
const GRANULE = 512;

/**
 * N ranges of 1..8 pages below 4 GiB, top-down; a random half freed; as many
 * again allocated, which fill the holes they fit and go below the rest.
 */
function buildFragmented(n: number, seed: number): { d: IovaDomain; limit: number; live: number[] } {
  const r = prng(seed);
  const d = treeDomain(GRANULE, 1, Math.ceil(n * 1.2) + 1024);
  const limit = d.dma32Pfn - 1;
  const live: number[] = [];
  for (let i = 0; i < n; i++) live.push(must(d.alloc(1 + r.int(8), limit, false), "fill"));
  for (let i = live.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const t = live[i]; live[i] = live[j]; live[j] = t;
  }
  for (const p of live.splice(0, n >> 1)) d.free(p);
  for (let i = 0; i < n >> 1; i++) live.push(must(d.alloc(1 + r.int(8), limit, false), "refill"));
  if (d.stats().ranges !== n) throw new Error(`tree bench: built ${d.stats().ranges} ranges, wanted ${n}`);
  return { d, limit, live };
}

/**
 * The pair rows, one per N. Every tree is built first; then each column is
 * timed round by round across the trees (perOpNsInterleaved): the rows are
 * compared with each other (the ratio) and with the kernel's, so the first
 * row must not pay for being first, nor a row for a slower minute of the
 * shared host. Each tree sees the same calls in the same order as when the
 * rows ran one after another.
 */
function pairRows(lives: number[], quick: boolean, seed: number, oracleUpTo: number, log: (s: string) => void): PairRow[] {
  const trees = lives.map((n) => {
    const t0 = nowNs();
    const t = buildFragmented(n, seed);
    log(`  built ${n} ranges in ${(Number(nowNs() - t0) / 1e6).toFixed(0)} ms`);
    return t;
  });
  const loopRounds = quick ? 100_000 : 500_000;
  const jsReps = quick ? 50_000 : 200_000;
  const batches = quick ? 3 : 5;
  const r = prng(seed ^ 0x9e3779b9);
  const sizes = Float64Array.from({ length: 4096 }, () => 1 + r.int(64));
  type Tree = (typeof trees)[number];
  const loop = (size: number, aligned: boolean) => ({ d, limit }: Tree) => (reps: number) => {
    if (d.allocFreeLoop(size, limit, aligned, reps) !== 0) throw new Error("tree bench: allocFreeLoop failed");
  };
  const js = (size: number, aligned: boolean) => ({ d, limit }: Tree) => (reps: number) => {
    for (let i = 0; i < reps; i++) d.free(must(d.alloc(size, limit, aligned), "pair alloc"));
  };
  const jsRandom = ({ d, limit }: Tree) => (reps: number) => {
    for (let i = 0; i < reps; i++) d.free(must(d.alloc(sizes[i & 4095], limit, true), "random pair alloc"));
  };
  const column = (make: (t: Tree) => (reps: number) => void, reps: number, of: Tree[] = trees) =>
    perOpNsInterleaved(of.map(make), reps, batches);
  const wasmLoop1 = column(loop(1, false), loopRounds);
  const wasmLoop8a = column(loop(8, true), loopRounds);
  const js1 = column(js(1, false), jsReps);
  const js8a = column(js(8, true), jsReps);
  const random = column(jsRandom, jsReps);
  const rows: PairRow[] = trees.map((t, i) => {
    countWalk(t.d, true);
    const w0 = walkSteps(t.d);
    jsRandom(t)(10_000);
    const walkPerAlloc = (walkSteps(t.d) - w0) / 10_000;
    countWalk(t.d, false);
    return {
      live: lives[i], wasmLoop1: wasmLoop1[i], wasmLoop8a: wasmLoop8a[i], js1: js1[i], js8a: js8a[i],
      jsRandom: random[i], jsRandomOracle: null, walkPerAlloc,
    };
  });
  const small = trees.filter((_, i) => lives[i] <= oracleUpTo);
  for (const t of small) t.d.useOracleWalk(true);
  const oracle = column(jsRandom, quick ? 10_000 : 50_000, small);
  small.forEach((t, i) => { t.d.useOracleWalk(false); rows[trees.indexOf(t)].jsRandomOracle = oracle[i]; });
  for (const t of trees) {
    t.d.check();
    t.d.destroy();
  }
  return rows;
}

/**
 * Random sizes; each alloc is paired with freeing a random other live range.
 * One tree per N, all built first; the timed steps run without walk
 * counting, in `batches` rounds of `ops` steps on every tree in turn
 * (perOpNsInterleaved; median per step), so the rows' ratios share the
 * host's minute. Then `walkOps` more steps count the kernel's walk (the
 * oracle's walk is exact, ours is from ranks). Each tree's op stream is the
 * one it had when the rows ran one after another.
 */
function churnRuns(lives: number[], seed: number, oracle: boolean, ops: number, walkOps: number, aligned = true, batches = 5): { ns: number; walk: number; findNs: number; placements: string }[] {
  const runs = lives.map((n) => {
    const { d, limit, live } = buildFragmented(n, seed);
    if (oracle) d.useOracleWalk(true);
    const r = prng(seed ^ 0x51ed270b);
    const hash = placementHash();
    const step = () => {
      const p = must(d.alloc(1 + r.int(64), limit, aligned), "churn alloc");
      hash.add(p);
      const k = r.int(live.length);
      d.free(live[k]);
      live[k] = p;
    };
    for (let i = 0; i < Math.min(1000, ops); i++) step(); // warm-up, same stream for both
    return { d, live, r, step, hash, w0: walkSteps(d) };
  });
  // No warm-up round: the steps above were the warm-up.
  const ns = perOpNsInterleaved(runs.map(({ step }) => (reps: number) => { for (let i = 0; i < reps; i++) step(); }), ops, batches, 0);
  const walks = runs.map(({ d, step, w0 }) => {
    if (oracle) return (walkSteps(d) - w0) / (ops * batches);
    countWalk(d, true);
    const w1 = walkSteps(d);
    for (let i = 0; i < walkOps; i++) step();
    return (walkSteps(d) - w1) / walkOps;
  });
  // The free's share that depends on N: its find, on the tree the steps
  // left, timed the same way (after one untimed round).
  const finds = perOpNsInterleaved(runs.map(({ d, live, r }) => {
    const picks = Int32Array.from({ length: ops }, () => r.int(live.length));
    return () => {
      for (let i = 0; i < ops; i++) if (d.find(live[picks[i]]) === null) throw new Error("tree bench: a live range was not found");
    };
  }), 1, batches);
  for (const { d } of runs) {
    d.check();
    d.destroy();
  }
  return runs.map(({ hash }, i) => ({ ns: ns[i], walk: walks[i], findNs: finds[i] / ops, placements: hash.hex() }));
}

/** Times one failing call, `k` times, each after `reset` (untimed); median µs. */
function failingUs(d: IovaDomain, call: () => number | null, reset: () => void, k: number): number {
  const xs: number[] = [];
  for (let i = 0; i < k; i++) {
    reset();
    const t0 = nowNs();
    const r = call();
    xs.push(Number(nowNs() - t0) / 1000);
    if (r !== null) throw new Error("tree bench: the failing request succeeded");
  }
  return median(xs);
}

/**
 * µs per call over back-to-back calls (the repeat). The fast-fail repeat
 * (tens of ns) is CPU time, the median of 5 batches of `k` / 5 calls after
 * an untimed one, as the kernel's 19 ns was taken: one wall-clock loop of
 * 1e5 calls read 0.87 us a call at a load of 9 and 0.13 us at 4, where the
 * call's CPU time is ~0.06 us. The full searches (us to ms each, few
 * calls) stay on the wall clock.
 */
function repeatUs(call: () => number | null, k: number, cpuTime: boolean): number {
  const batch = (n: number) => {
    for (let i = 0; i < n; i++) if (call() !== null) throw new Error("tree bench: the failing request succeeded");
  };
  if (cpuTime) return perOpNs(batch, Math.ceil(k / 5), 5) / 1000;
  const t0 = nowNs();
  batch(k);
  return Number(nowNs() - t0) / 1000 / k;
}

/**
 * A space of `pages` pages from startPfn, every page its own range; or, with
 * `oddPairs`, pages 4k+1 and 4k+2 freed again (two-page holes at odd pfns).
 */
export function packed(startPfn: number, pages: number, oddPairs: boolean): { d: IovaDomain; limit: number } {
  const d = treeDomain(4096, startPfn, pages + 16);
  const limit = startPfn + pages - 1;
  for (let i = 0; i < pages; i++) must(d.alloc(1, limit, false), "pack");
  if (oddPairs) for (let p = startPfn; p <= limit; p++) if ((p & 3) === 1 || (p & 3) === 2) d.free(p);
  return { d, limit };
}

function failRow(name: string, startPfn: number, pages: number, oddPairs: boolean, quick: boolean, kernelFirstUs: number | null): FailRow {
  const { d, limit } = packed(startPfn, pages, oddPairs);
  const fastFail = limit + 1 <= d.dma32Pfn;
  const call = () => d.alloc(2, limit, true);
  // Resetting the fast-fail needs a free below 4 GiB; freeing and taking
  // back the middle page leaves the tree as it was.
  const mid = startPfn + (pages >> 1);
  const reset = () => {
    if (!fastFail) return;
    if (!d.free(mid)) throw new Error("tree bench: reset free failed");
    if (d.alloc(1, limit, false) !== mid) throw new Error("tree bench: reset did not restore the page");
  };
  const ranges = d.stats().ranges;
  const big = pages >= 1 << 19;
  const row: FailRow = {
    name, ranges, fastFail, kernelFirstUs,
    oursFirstUs: 0, oracleFirstUs: 0, oursRepeatUs: 0, oracleRepeatUs: 0, walkNodes: 0,
  };
  for (const oracle of [false, true]) {
    d.useOracleWalk(oracle);
    const k = oracle ? (big ? (quick ? 3 : 7) : 21) : 201;
    const first = failingUs(d, call, reset, k);
    if (d.lastFailure !== "no-space") throw new Error(`tree bench: expected no-space, got ${d.lastFailure}`);
    const repeat = repeatUs(call, fastFail ? 100_000 : oracle ? (big ? 3 : 21) : 201, fastFail);
    if (d.lastFailure !== (fastFail ? "fast-fail-32" : "no-space")) throw new Error(`tree bench: unexpected ${d.lastFailure}`);
    if (oracle) {
      row.oracleFirstUs = first;
      row.oracleRepeatUs = repeat;
      reset();
      const w0 = walkSteps(d);
      call();
      row.walkNodes = walkSteps(d) - w0;
    } else {
      row.oursFirstUs = first;
      row.oursRepeatUs = repeat;
    }
  }
  d.check();
  d.destroy();
  return row;
}

export function runTreeBench(opts: TreeBenchOptions = {}): TreeBenchResult {
  const quick = opts.quick ?? false;
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 20250611;
  const t0 = nowNs();
  const lives = quick ? [1e3, 1e4, 1e5] : [1e3, 1e4, 1e5, 1e6];
  log(`(a) pairs, ${lives.join(", ")} live ranges, timed in turn`);
  const pairs = pairRows(lives, quick, seed, 1e4, log);
  const a = pairs[0];
  const z = pairs[pairs.length - 1];
  const pairRatio = {
    from: a.live, to: z.live,
    wasmLoop1: z.wasmLoop1 / a.wasmLoop1, wasmLoop8a: z.wasmLoop8a / a.wasmLoop8a,
    js1: z.js1 / a.js1, js8a: z.js8a / a.js8a, jsRandom: z.jsRandom / a.jsRandom,
  };
  const churn: ChurnRow[] = [];
  const churnLives = quick ? [1e3, 1e4] : [1e3, 1e4, 1e5, 1e6];
  const ops = quick ? 2_000 : 10_000;
  const walkOps = quick ? 500 : 2_000;
  // Every row is a ratio to the first, so the first must not pay for the
  // JIT: one untimed run of each kind compiles the steps and the host calls.
  churnRuns([churnLives[0]], seed, false, ops, 0);
  churnRuns([churnLives[0]], seed, false, ops, 0, false);
  log(`(a') churn, ${churnLives.join(", ")} live ranges, timed in turn`);
  const ours = churnRuns(churnLives, seed, false, ops, walkOps);
  const unaligned = churnRuns(churnLives, seed, false, ops, 0, false);
  churnLives.forEach((n, i) => {
    // The oracle runs the identical op stream on an identical tree: same placements.
    const orc = n <= 1e4 ? churnRuns([n], seed, true, quick ? 500 : 2_000, 0, true, 3)[0] : null;
    const o = ours[i];
    const lessFind = o.ns - o.findNs;
    churn.push({
      live: n, ours: o.ns, ratioToSmallest: churn.length ? o.ns / churn[0].ours : 1,
      oursUnaligned: unaligned[i].ns, oracle: orc?.ns ?? null, walkPerAlloc: orc?.walk ?? o.walk,
      findRandom: o.findNs, oursLessFind: lessFind, lessFindRatio: churn.length ? lessFind / churn[0].oursLessFind : 1,
      placements: o.placements, placementsUnaligned: unaligned[i].placements,
    });
  });
  const c0 = churn[0];
  const cz = churn[churn.length - 1];
  const churnRatio = {
    from: c0.live, to: cz.live, aligned: cz.ours / c0.ours, unaligned: cz.oursUnaligned / c0.oursUnaligned,
    find: cz.findRandom / c0.findRandom, lessFind: cz.oursLessFind / c0.oursLessFind,
  };
  const failing: FailRow[] = [];
  log("(b) failing size-2 aligned requests");
  const A = KERNEL_ANCHORS;
  failing.push(failRow("16 Ki pages [1, 16384], 32-bit", 1, 16384, false, quick, A.failPacked16kFirstUs));
  const mi = quick ? 1 << 16 : 1 << 20;
  const miName = mi >= 1 << 20 ? `${mi >> 20} Mi` : `${mi >> 10} Ki`;
  const full = mi === 1 << 20;  // the kernel ran [2^20, 2^21)
  failing.push(failRow(`${miName} pages above 4 GiB, 64-bit`, 1 << 20, mi, false, quick, full ? A.failPacked1MiFirstUs : null));
  failing.push(failRow(`${miName} pages above 4 GiB, 2-page holes at odd pfns`, 1 << 20, mi, true, quick, full ? A.failPacked1MiOddHolesFirstUs : null));
  return {
    quick, node: process.version, granule: GRANULE, pairs, pairRatio, churn, churnRatio, failing,
    seconds: Number(nowNs() - t0) / 1e9,
  };
}

// ------------------------------------------------------------------ printing

function fmt(x: number | null, digits = 0): string {
  if (x === null) return "-";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

export function formatTreeBench(r: TreeBenchResult): string {
  const out: string[] = [];
  out.push(`tree benchmark${r.quick ? " (quick)" : ""}: node ${r.node}, granule ${r.granule} (32-bit space = ${2 ** 32 / r.granule} pages), ${r.seconds.toFixed(1)} s`);
  out.push("");
  out.push("(a) alloc+free of one range, N live ranges (1..8 pages, fragmented) below 4 GiB; ns per pair (CPU time)");
  out.push("    wasm loop: alloc_iova(size) + __free_iova (free by node, no find), the kernel pair of ../shared/anchors.md");
  const K = KERNEL_ANCHORS.treePairNs;
  out.push(table(
    ["live N", "wasm loop 1p", "kernel C 1p", "ours/kernel", "wasm loop 8p al", "JS 1p", "JS 8p al", "JS rand 1..64 al", "same, kernel walk", "walk nodes/alloc"],
    r.pairs.map((p) => [fmt(p.live), fmt(p.wasmLoop1), fmt(K[p.live] ?? null), vsKernel(p.wasmLoop1, K[p.live]), fmt(p.wasmLoop8a), fmt(p.js1), fmt(p.js8a), fmt(p.jsRandom), fmt(p.jsRandomOracle), fmt(p.walkPerAlloc, 1)]),
  ));
  const q = r.pairRatio;
  out.push(`ratio ${fmt(q.to)} / ${fmt(q.from)}: wasm loop 1p ${q.wasmLoop1.toFixed(2)}x, 8p al ${q.wasmLoop8a.toFixed(2)}x; JS 1p ${q.js1.toFixed(2)}x, 8p al ${q.js8a.toFixed(2)}x, rand ${q.jsRandom.toFixed(2)}x (target < 2x)`);
  out.push("(freeing the range just allocated moves cached32_node right above the free space: the kernel's walk is short here too)");
  out.push("");
  out.push("(a') churn: alloc 1..64 pages aligned, then free a random other live range (N fixed); ns per alloc+free, from JS (CPU time)");
  const KC = KERNEL_ANCHORS.churnUs;
  out.push(table(
    ["live N", "ours", "ratio to 1e3", "kernel C", "ours/kernel", "kernel walk (wasm)", "speedup", "walk nodes/alloc", "ours, unaligned", "find random", "ours - find", "ratio to 1e3"],
    r.churn.map((c) => [fmt(c.live), fmt(c.ours), `${c.ratioToSmallest.toFixed(2)}x`, KC[c.live] === undefined ? "-" : fmt(KC[c.live] * 1000),
      vsKernel(c.ours, KC[c.live] === undefined ? undefined : KC[c.live] * 1000),
      fmt(c.oracle), c.oracle === null ? "-" : `${(c.oracle / c.ours).toFixed(1)}x`, fmt(c.walkPerAlloc, 0), fmt(c.oursUnaligned),
      fmt(c.findRandom), fmt(c.oursLessFind), `${c.lessFindRatio.toFixed(2)}x`]),
  ));
  const cr = r.churnRatio;
  out.push(`aligned churn ratio ${fmt(cr.to)} / ${fmt(cr.from)}: ${cr.aligned.toFixed(2)}x (target <= 2x); unaligned ${cr.unaligned.toFixed(2)}x`);
  out.push(`  of which the free's find of a random range grows ${cr.find.toFixed(2)}x, the rest (search, link, unlink) ${cr.lessFind.toFixed(2)}x`);
  out.push("('find random': find() of a random live range on the same tree, the descent each step's free(pfn) starts with; 'ours - find': the rest of the step)");
  out.push(`placements (FNV-1a of every pfn the churn's allocs returned; same code or layout change, same hashes): ${r.churn.map((c) => `${fmt(c.live)} ${c.placements}/${c.placementsUnaligned}`).join(", ")} (aligned/unaligned)`);
  out.push("(kernel C: the kernel's own code replaying this op stream, ../shared/anchors.md; 'kernel walk (wasm)': our oracle walk, the kernel's loop in wasm)");
  out.push("");
  out.push("(b) size-2 aligned request that cannot fit; microseconds per call (wall clock)");
  out.push(table(
    ["space", "ranges", "ours first", "kernel C first", "kernel/ours", "kernel walk (wasm) first", "ours repeat", "kernel walk repeat", "walk nodes", "repeat is"],
    r.failing.map((f) => [f.name, fmt(f.ranges), fmt(f.oursFirstUs, 2), fmt(f.kernelFirstUs, 0),
      f.kernelFirstUs === null ? "-" : `${fmt(f.kernelFirstUs / f.oursFirstUs, 0)}x`,
      fmt(f.oracleFirstUs, 1), fmt(f.oursRepeatUs, 3), fmt(f.oracleRepeatUs, f.fastFail ? 3 : 1), fmt(f.walkNodes), f.fastFail ? "fast-fail" : "full search"]),
  ));
  return out.join("\n");
}
