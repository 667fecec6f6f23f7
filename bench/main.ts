// `npm run bench`: every benchmark, a printed table, and bench/results.json
// (machine, Node version, date, medians and spreads, ratios against peers
// and against the kernel's C code measured here: ../shared/anchors.md).
//   npm run bench             full run
//   npm run bench -- --quick  small counts (smoke)
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runHotPath } from './hot-path.js';
import { runIsolated, runIsolatedJson } from './isolated.js';
import { formatSuite, runTinybenchSuite } from './tinybench-suite.js';
import { formatScaling, measureScaling } from './scaling/scaling.js';
import { formatTreeBench, runTreeBench } from './tree/tree-bench.js';
import type { Measurement } from './peers/measure.js';
import { CASES } from './peers/run.js';
import { SIDE_BY_SIDE, type SideBySide } from './peers/side-by-side.js';
import { OUR_CASES } from './ours/run.js';
import { KERNEL_ANCHORS } from './kernel-anchors.js';
import { fastFailRepeat, type FastFailFigures } from './fast-fail-alone.js';
import { formatKernelComparisons, formatPeerComparisons, kernelComparisons, peerComparisons, type PeerComparison } from './compare.js';

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const here = fileURLToPath(new URL('.', import.meta.url));
  const peersScript = `${here}peers/run.js`;
  const oursScript = `${here}ours/run.js`;

  console.log(`iova-wasm benchmarks: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`);

  const hot = runHotPath(quick);
  const hotLoad = os.loadavg();  // the machine is shared: every figure goes with its load
  console.log('\nhot path: allocFast+freeFast pair, size 1, one CPU (ns per pair)');
  const K = KERNEL_ANCHORS.hotPairNs;
  console.log(`kernel C (${KERNEL_ANCHORS.source}): ${K.inlineCas} ns with inline CAS locks, ${K.pthreadSpin} ns with pthread spinlocks`);
  console.log('policy'.padEnd(14) + 'lock/op'.padStart(10) + 'held<=16'.padStart(10) + 'per call'.padStart(10) + 'batch API'.padStart(10)
    + 'LocalCache'.padStart(12) + 'LC+batches'.padStart(12)
    + '  lock/op / kernel C (inline CAS, pthread); batched: lock held across <=16 ops / inline CAS');
  for (const h of hot) {
    console.log(h.policy.padEnd(14) + h.inWasmLockPerOpNs.toFixed(1).padStart(10) + h.inWasmNs.toFixed(1).padStart(10) + h.perCallNs.toFixed(1).padStart(10)
      + h.batchedNs.toFixed(1).padStart(10) + h.localCacheNs.toFixed(1).padStart(12) + h.localCacheCrossingNs.toFixed(1).padStart(12)
      + `  ${(h.inWasmLockPerOpNs / K.inlineCas).toFixed(2)}x, ${(h.inWasmLockPerOpNs / K.pthreadSpin).toFixed(2)}x; ${(h.inWasmNs / K.inlineCas).toFixed(2)}x`);
  }
  console.log(`(process CPU time, all threads of it, median of ${hot[0]?.samples} interleaved samples; lock/op: the pair loop in wasm locking per operation,`
    + ' as single calls and the kernel\'s C do (the like-for-like figure); held<=16: the same loop batched, the CPU cache'
    + ' lock held across up to 16 operations; batch API: allocFastBatch/freeFastBatch from JS; LocalCache: warm, no crossing into wasm;'
    + ' LC+batches: half the ranges through its 64-range refills and spills)');
  console.log('issue 15 candidates, not used by the API (same interleaving): one cmpxchg per op in wasm, no lock (b); one JS call per op, lock per op vs lock kept to the burst\'s end (a)');
  for (const h of hot) {
    console.log(h.policy.padEnd(14) + `one cmpxchg/op ${h.oneCasNs.toFixed(1)} ns (${(h.oneCasNs / h.inWasmLockPerOpNs).toFixed(2)}x lock/op, ${(h.oneCasNs / K.inlineCas).toFixed(2)}x kernel C)`
      + `; JS call/op ${h.rawCallNs.toFixed(1)}, lock kept ${h.stickyCallNs.toFixed(1)} (${(h.stickyCallNs / h.rawCallNs).toFixed(2)}x)`);
  }
  console.log(`load average at the end of the hot path: ${hotLoad.map((v) => v.toFixed(2)).join(' ')}`);

  console.log('\ntinybench suite (median per pair, 8192 pairs per task call)');
  const suite = runTinybenchSuite(quick);
  console.log(formatSuite(suite));

  console.log('\ntree path (tree-only domain)');
  const tree = runTreeBench({ quick });
  console.log(formatTreeBench(tree));

  // The fast-fail repeat again, on three clocks: here, after the tree rows, and
  // in a process of its own with one domain (bench/fast-fail-alone.ts).
  const fastFail = {
    treeRowNs: (tree.failing.find((f) => f.fastFail)?.oursRepeatUs ?? NaN) * 1000,
    inBench: fastFailRepeat(),
    ...runIsolatedJson<{ alone: FastFailFigures; afterOne: FastFailFigures; after: FastFailFigures; otherDomains: number }>(`${here}fast-fail-alone.js`),
    kernelCNs: KERNEL_ANCHORS.failPacked16kRepeatNs,
  };
  /** ours / kernel's C (anchors.md) of each clock's process-CPU figure: above 1 means ours is slower. */
  const fastFailVsKernelC = {
    treeRow: fastFail.treeRowNs / fastFail.kernelCNs,
    inBench: fastFail.inBench.processCpuNs / fastFail.kernelCNs,
    alone: fastFail.alone.processCpuNs / fastFail.kernelCNs,
    afterOneOtherDomain: fastFail.afterOne.processCpuNs / fastFail.kernelCNs,
    afterOtherDomains: fastFail.after.processCpuNs / fastFail.kernelCNs,
  };
  const ff = (f: FastFailFigures) => `process CPU ${f.processCpuNs.toFixed(1)} ns = ${(f.processCpuNs / fastFail.kernelCNs).toFixed(2)}x kernel C (over ${f.calls} calls ${f.spanProcessCpuNs.toFixed(1)}),`
    + ` this thread's CPU ${f.spanThreadCpuNs.toFixed(1)} ns, wall ${f.wallNs.toFixed(1)} ns (${f.spanWallNs.toFixed(1)})`;
  console.log(`fast-fail repeat (a failing size-2 aligned alloc from JS, [1, 16384] packed; kernel C ${fastFail.kernelCNs} ns):`
    + ` the tree row ${fastFail.treeRowNs.toFixed(1)} ns (process CPU) = ${fastFailVsKernelC.treeRow.toFixed(2)}x kernel C;`
    + `\n  again in this process, after the tree rows: ${ff(fastFail.inBench)}`
    + `\n  in a process of its own, one domain:        ${ff(fastFail.alone)}`
    + `\n  the same process after 1 other domain's one alloc(): ${ff(fastFail.afterOne)}`
    + `\n  the same process after ${fastFail.otherDomains} other domains' alloc(): ${ff(fastFail.after)}`
    + '\n  (a second domain is a second target for alloc()\'s call into wasm: V8 then calls the core through the JS-to-wasm wrapper instead of inlining it)');

  console.log('\nmulti-worker scaling');
  const scaling = await measureScaling(quick ? { workers: [1, 2], durationMs: 300, warmupMs: 100 } : {});
  console.log(formatScaling(scaling));

  const kernelRows = kernelComparisons(hot, tree);
  console.log('\n' + formatKernelComparisons(kernelRows));

  let comparisons: PeerComparison[] = [];
  /** os.loadavg() before and after the peer cases: the machine is shared, the figures are only as quiet as it was. */
  let peerLoadAverage: { before: number[]; after: number[] } | null = null;
  /** What bounds the emptyPool ratio: the replay loop by itself and a bare JS stack (bench/peers/harness-floor.ts). */
  let emptyPoolFloor: Record<string, number> | null = null;
  const peerRuns: Record<string, Measurement> = {};
  /** Each targeted workload with its peer and ours in one process, round by round (bench/peers/side-by-side.ts). */
  const sideBySide: Record<string, SideBySide> = {};
  let sideBySideLoadAverage: { before: number[]; after: number[] } | null = null;
  if (!quick) {
    // Workload by workload, each peer next to ours, so that a change in the
    // machine's load between cases falls on both sides of a ratio alike.
    const workloadOf = (id: string) => id.slice(id.indexOf('/') + 1);
    const ids = [...Object.keys(CASES).map((id) => [peersScript, id]), ...Object.keys(OUR_CASES).map((id) => [oursScript, id])];
    ids.sort((a, b) => workloadOf(a[1]).localeCompare(workloadOf(b[1])));
    const loadBefore = os.loadavg();
    for (const [script, id] of ids) peerRuns[id] = runIsolated(script, id);
    peerLoadAverage = { before: loadBefore, after: os.loadavg() };
    const sideLoadBefore = os.loadavg();
    for (const workload of Object.keys(SIDE_BY_SIDE)) {
      sideBySide[workload] = runIsolatedJson<SideBySide>(`${here}peers/side-by-side.js`, workload);
    }
    sideBySideLoadAverage = { before: sideLoadBefore, after: os.loadavg() };
    comparisons = peerComparisons(peerRuns, sideBySide);
    console.log('\n' + formatPeerComparisons(comparisons));
    console.log(`load average before the peer cases ${peerLoadAverage.before.map((x) => x.toFixed(2)).join(' ')}, after ${peerLoadAverage.after.map((x) => x.toFixed(2)).join(' ')};`
      + ` before the side-by-side rounds ${sideBySideLoadAverage.before.map((x) => x.toFixed(2)).join(' ')}, after ${sideBySideLoadAverage.after.map((x) => x.toFixed(2)).join(' ')}`);
    const thing = peerRuns['thi.ng-malloc/emptyPool'].medianNs;
    const nullNs = peerRuns['null/emptyPool'].medianNs;
    const stackNs = peerRuns['js-stack/emptyPool'].medianNs;
    const oursNs = peerRuns['iova-wasm/emptyPool'].medianNs;
    emptyPoolFloor = {
      nullNs, jsStackNs: stackNs, thingNs: thing, oursNs, thingOverNull: thing / nullNs, thingOverJsStack: thing / stackNs,
      /** The ratios with the replay loop's own cost taken out of both sides. */
      thingLessLoopOverOursLessLoop: (thing - nullNs) / (oursNs - nullNs),
      thingLessLoopOverJsStackLessLoop: (thing - nullNs) / (stackNs - nullNs),
    };
    console.log(`emptyPool floor (bench/peers/harness-floor.ts): the replay loop alone ${nullNs.toFixed(1)} ns, a bare JS stack ${stackNs.toFixed(1)} ns;`
      + ` so no allocator replayed there beats @thi.ng/malloc by more than ${(thing / nullNs).toFixed(2)}x, a bare stack by ${(thing / stackNs).toFixed(2)}x;`
      + ` less the loop, @thi.ng/malloc ${(thing - nullNs).toFixed(1)} ns, ours ${(oursNs - nullNs).toFixed(1)} ns (${emptyPoolFloor.thingLessLoopOverOursLessLoop.toFixed(2)}x),`
      + ` the bare stack ${(stackNs - nullNs).toFixed(1)} ns (${emptyPoolFloor.thingLessLoopOverJsStackLessLoop.toFixed(2)}x)`);
  }

  const results = {
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), platform: process.platform },
    node: process.version,
    date: new Date().toISOString(),
    quick,
    kernelAnchors: KERNEL_ANCHORS,
    tinybench: suite,
    hotPathLoadAverage: hotLoad,
    hotPath: hot.map((h) => ({
      ...h,
      // Like for like first: the kernel's C locks per operation.
      lockPerOpVsKernelInlineCas: h.inWasmLockPerOpNs / KERNEL_ANCHORS.hotPairNs.inlineCas,
      lockPerOpVsKernelPthread: h.inWasmLockPerOpNs / KERNEL_ANCHORS.hotPairNs.pthreadSpin,
      // inWasmNs is batched: the lock held across <=16 ops.
      batchedHeldVsKernelInlineCas: h.inWasmNs / KERNEL_ANCHORS.hotPairNs.inlineCas,
      batchedHeldVsKernelPthread: h.inWasmNs / KERNEL_ANCHORS.hotPairNs.pthreadSpin,
      batchVsInWasm: h.batchedNs / h.inWasmNs,
      oneCasVsLockPerOp: h.oneCasNs / h.inWasmLockPerOpNs,
      oneCasVsKernelInlineCas: h.oneCasNs / KERNEL_ANCHORS.hotPairNs.inlineCas,
      stickyVsRawCall: h.stickyCallNs / h.rawCallNs,
    })),
    tree,
    /** ours / kernel's C: below 1 means ours is faster. */
    treeVsKernelC: tree.pairs.map((row) => ({
      live: row.live,
      oursInWasmNs: row.wasmLoop1,
      kernelCNs: KERNEL_ANCHORS.treePairNs[row.live] ?? null,
      ratio: KERNEL_ANCHORS.treePairNs[row.live] ? row.wasmLoop1 / KERNEL_ANCHORS.treePairNs[row.live] : null,
    })),
    churnVsKernelC: tree.churn.map((row) => ({
      live: row.live,
      oursNs: row.ours,
      ratioToSmallest: row.ratioToSmallest,
      findRandomNs: row.findRandom,
      oursLessFindNs: row.oursLessFind,
      lessFindRatioToSmallest: row.lessFindRatio,
      kernelCNs: KERNEL_ANCHORS.churnUs[row.live] !== undefined ? KERNEL_ANCHORS.churnUs[row.live] * 1000 : null,
      ratio: KERNEL_ANCHORS.churnUs[row.live] !== undefined ? row.ours / (KERNEL_ANCHORS.churnUs[row.live] * 1000) : null,
    })),
    /** The fast-fail repeat on three clocks, here and in a process of its own (bench/fast-fail-alone.ts). */
    fastFail,
    fastFailVsKernelC,
    failingVsKernelC: tree.failing.map((f) => ({
      name: f.name, oursFirstUs: f.oursFirstUs, kernelFirstUs: f.kernelFirstUs,
      kernelOverOurs: f.kernelFirstUs === null ? null : f.kernelFirstUs / f.oursFirstUs,
    })),
    scaling,
    /** Every figure of bench/kernel-anchors.ts next to ours from this run (ratio = ours / kernel C). */
    kernelComparisons: kernelRows,
    comparisons,
    peerLoadAverage,
    sideBySide,
    sideBySideLoadAverage,
    emptyPoolFloor,
    measurements: peerRuns,
  };
  const file = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
