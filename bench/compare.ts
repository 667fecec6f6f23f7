// The two comparisons `npm run bench` ends with: every kernel figure of
// ../shared/anchors.md (bench/kernel-anchors.ts) next to ours from this run,
// and every JS peer against ours on the peer's own workload with its target.
// Rows are built once and both printed and written to bench/results.json.
import type { HotPathFigure } from './hot-path.js';
import { JS_PEER_ANCHORS, KERNEL_ANCHORS } from './kernel-anchors.js';
import type { Measurement } from './peers/measure.js';
import type { SideBySide } from './peers/side-by-side.js';
import type { TreeBenchResult } from './tree/tree-bench.js';

export interface KernelComparison {
  figure: string;
  unit: 'ns' | 'us';
  kernelC: number;
  /** Ours from this run, null where this run did not measure it (--quick). */
  ours: number | null;
  /** ours / kernel's C: below 1 means ours is faster. Null where not measured, or where the two are not of one workload. */
  ratio: number | null;
}

/** The policy whose hot pair stands for ours: the domain's default. */
const HOT_POLICY = 'adaptive';

export function kernelComparisons(hot: readonly HotPathFigure[], tree: TreeBenchResult): KernelComparison[] {
  const K = KERNEL_ANCHORS;
  const rows: KernelComparison[] = [];
  const row = (figure: string, unit: 'ns' | 'us', kernelC: number, ours: number | null | undefined, comparable = true) => {
    const o = ours ?? null;
    rows.push({ figure, unit, kernelC, ours: o, ratio: o === null || !comparable ? null : o / kernelC });
  };
  // The kernel's C locks per operation, so the like-for-like row is our loop
  // locking per operation; the batched loop (the lock held across up to 16
  // operations, assembly/rcache/batch.ts) follows, labelled as such.
  const hp = hot.find((x) => x.policy === HOT_POLICY);
  const perOp = hp?.inWasmLockPerOpNs;
  row(`hot pair, size 1, warm (${HOT_POLICY}, in wasm, lock per op) vs inline CAS locks`, 'ns', K.hotPairNs.inlineCas, perOp);
  row('the same vs out-of-line pthread spinlocks', 'ns', K.hotPairNs.pthreadSpin, perOp);
  row('the same vs plain stores (no locks)', 'ns', K.hotPairNs.plainStores, perOp);
  row('hot pair batched: lock held across <=16 ops, vs inline CAS locks', 'ns', K.hotPairNs.inlineCas, hp?.inWasmNs);
  for (const [live, k] of Object.entries(K.treePairNs)) {
    row(`tree pair, size 1, ${Number(live).toExponential(0).replace('+', '')} live (wasm loop)`, 'ns', k, tree.pairs.find((p) => p.live === Number(live))?.wasmLoop1);
  }
  for (const [live, k] of Object.entries(K.churnUs)) {
    const c = tree.churn.find((x) => x.live === Number(live));
    row(`churn stream op for op, ${Number(live).toExponential(0).replace('+', '')} live (from JS)`, 'us', k, c === undefined ? null : c.ours / 1000);
  }
  // The kernel's figure is of its own stream, ours of bench/tree's: both printed, no ratio (they are not one workload).
  for (const [live, k] of Object.entries(K.ownChurnUs)) {
    const c = tree.churn.find((x) => x.live === Number(live));
    row(`churn, ${Number(live).toExponential(0).replace('+', '')} live: the kernel's own stream vs bench/tree's (not op for op, no ratio)`, 'us', k, c === undefined ? null : c.ours / 1000, false);
  }
  const fail = (kernelUs: number) => tree.failing.find((f) => f.kernelFirstUs === kernelUs);
  row('failing size-2 aligned alloc, [1, 16384] packed, first call', 'us', K.failPacked16kFirstUs, fail(K.failPacked16kFirstUs)?.oursFirstUs);
  const f16 = fail(K.failPacked16kFirstUs);
  row('the same, repeated (max32_alloc_size fast-fail)', 'ns', K.failPacked16kRepeatNs, f16 === undefined ? null : f16.oursRepeatUs * 1000);
  row('failing size-2 aligned alloc, [2^20, 2^21) packed, first call', 'us', K.failPacked1MiFirstUs, fail(K.failPacked1MiFirstUs)?.oursFirstUs);
  row('the same, every hole 2 pages at an odd pfn', 'us', K.failPacked1MiOddHolesFirstUs, fail(K.failPacked1MiOddHolesFirstUs)?.oursFirstUs);
  return rows;
}

export function formatKernelComparisons(rows: readonly KernelComparison[]): string {
  const out = [`against the kernel's C (${KERNEL_ANCHORS.source}); ratio = ours / kernel C, below 1 is faster`];
  out.push('figure'.padEnd(80) + 'kernel C'.padStart(12) + 'ours'.padStart(12) + 'ratio'.padStart(10));
  for (const r of rows) {
    const v = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ${r.unit}`;
    out.push(r.figure.padEnd(80) + v(r.kernelC).padStart(12) + (r.ours === null ? '-' : v(r.ours)).padStart(12)
      + (r.ratio === null ? '-' : `${r.ratio.toFixed(r.ratio < 0.01 ? 5 : 2)}x`).padStart(10));
  }
  return out.join('\n');
}

export interface PeerComparison {
  workload: string;
  /** Our variant: iova-wasm (with a LocalCache) or iova-wasm-direct (one wasm call per op). */
  ours: string;
  peer: string;
  peerNs: number;
  oursNs: number;
  /** peer time / our time, each case in its own process: above 1 means we are faster. */
  ratio: number;
  /**
   * The same workload with the peer and ours in one process, round by round
   * (bench/peers/side-by-side.ts): the median of the per-round ratios, and
   * their min and max. Null where this run did not measure it.
   */
  sideBySide: { peerNs: number; oursNs: number; ratio: number; ratioMin: number; ratioMax: number; rounds: number } | null;
  /** The ratio this row must reach (null: a baseline or information row, no target). */
  target: number | null;
  /**
   * The side-by-side ratio >= target where measured (a slow phase of the host
   * cannot fall on one side only), else the per-process ratio; null without a target.
   */
  met: boolean | null;
  /** The peer's figure in ../shared/anchors.md (an earlier run), for comparison with this run's. */
  anchorNs: number | null;
}

/**
 * Targets: issue 15 asks for at least 2x every peer on every peer workload;
 * idChurn and mixedSizes keep issue 6's higher targets, which include that
 * (at least 5x number-allocator on its own workload, at least 10x
 * @thi.ng/malloc on a fragmented workload of 1,000 or more live blocks).
 */
const PEER_ROWS: readonly [workload: string, peer: string, target: number | null][] = [
  ['idChurn', 'number-allocator', 5],
  ['emptyPool', 'thi.ng-malloc', 2],
  ['mixedSizes-1k', 'thi.ng-malloc', 10],
  ['mixedSizes-10k', 'thi.ng-malloc', 10],
  ['idChurn', 'sorted-free-list', null],
  ['emptyPool', 'sorted-free-list', null],
  ['mixedSizes-1k', 'sorted-free-list', null],
  ['mixedSizes-10k', 'sorted-free-list', null],
];

export function peerComparisons(runs: Record<string, Measurement>, sideBySide: Record<string, SideBySide> = {}): PeerComparison[] {
  const out: PeerComparison[] = [];
  for (const ours of ['iova-wasm', 'iova-wasm-direct']) {
    for (const [workload, peer, t] of PEER_ROWS) {
      const p = runs[`${peer}/${workload}`];
      const o = runs[`${ours}/${workload}`];
      const ratio = p.medianNs / o.medianNs;
      const target = ours === 'iova-wasm' ? t : null;  // the direct variant is information only
      const sb = sideBySide[workload];
      const together = sb !== undefined && sb.ours === ours && sb.peer === peer
        ? { peerNs: sb.peerNs, oursNs: sb.oursNs, ratio: sb.ratio, ratioMin: sb.ratioMin, ratioMax: sb.ratioMax, rounds: sb.rounds }
        : null;
      out.push({
        workload, ours, peer, peerNs: p.medianNs, oursNs: o.medianNs, ratio, sideBySide: together, target,
        met: target === null ? null : (together?.ratio ?? ratio) >= target,
        anchorNs: JS_PEER_ANCHORS[`${peer}/${workload}`] ?? null,
      });
    }
  }
  return out;
}

export function formatPeerComparisons(rows: readonly PeerComparison[]): string {
  const out = ['against the JS peers, on their own workloads (median CPU ns per alloc+free pair; own process: each case in its own;'
    + ' side by side: peer and ours in one process, round by round, the median of the per-round ratios [min..max])'];
  out.push('workload'.padEnd(16) + 'ours'.padEnd(18) + 'peer'.padEnd(18) + 'peer ns'.padStart(10) + 'anchors.md'.padStart(12)
    + 'ours ns'.padStart(10) + 'ratio'.padStart(9) + '   side by side: peer, ours ns, ratio'.padEnd(52) + '  target');
  const shown = (c: PeerComparison) => c.sideBySide?.ratio ?? c.ratio;
  for (const c of rows) {
    const target = c.target === null ? (c.ours === 'iova-wasm' ? 'baseline' : 'info') : `>= ${c.target}x ${c.met ? 'met' : 'MISSED'}`;
    const sb = c.sideBySide;
    const together = sb === null ? '   -'
      : `   ${sb.peerNs.toFixed(1)}, ${sb.oursNs.toFixed(1)}, ${sb.ratio.toFixed(2)}x [${sb.ratioMin.toFixed(2)}..${sb.ratioMax.toFixed(2)}] (${sb.rounds} rounds)`;
    out.push(c.workload.padEnd(16) + c.ours.padEnd(18) + c.peer.padEnd(18) + c.peerNs.toFixed(1).padStart(10)
      + (c.anchorNs === null ? '-' : c.anchorNs.toFixed(1)).padStart(12) + c.oursNs.toFixed(1).padStart(10)
      + `${c.ratio.toFixed(2)}x`.padStart(9) + together.padEnd(52) + `  ${target}`);
  }
  const missed = rows.filter((c) => c.met === false);
  out.push(missed.length === 0 ? 'every peer target met' : `targets missed: ${missed.map((c) => `${c.peer}/${c.workload} ${shown(c).toFixed(2)}x < ${c.target}x`).join(', ')}`);
  return out.join('\n');
}
