// `npm run bench`: every benchmark, a printed table, and bench/results.json
// (machine, Node version, date, medians and spreads, ratios against peers
// and against the kernel's C code measured here: ../shared/anchors.md).
//   npm run bench             full run
//   npm run bench -- --quick  small counts (smoke)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runHotPath } from './hot-path.js';
import { formatSuite, runTinybenchSuite } from './tinybench-suite.js';
import { formatScaling, measureScaling } from './scaling/scaling.js';
import { formatTreeBench, runTreeBench } from './tree/tree-bench.js';
import type { Measurement } from './peers/measure.js';
import { CASES } from './peers/run.js';
import { OUR_CASES } from './ours/run.js';
import { KERNEL_ANCHORS } from './kernel-anchors.js';


interface Comparison {
  workload: string;
  /** Our variant: iova-wasm (with a LocalCache) or iova-wasm-direct (one wasm call per op). */
  ours: string;
  peer: string;
  peerNs: number;
  oursNs: number;
  /** peer time / our time: above 1 means we are faster. */
  ratio: number;
  target: string;
}

function isolated(script: string, id: string): Measurement {
  return JSON.parse(execFileSync(process.execPath, [script, id], { encoding: 'utf8' })) as Measurement;
}

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
  console.log('policy'.padEnd(14) + 'in wasm'.padStart(10) + 'lock/op'.padStart(10) + 'per call'.padStart(10) + 'batched'.padStart(10)
    + 'LocalCache'.padStart(12) + 'LC+batches'.padStart(12) + '  in wasm / kernel C (inline CAS, pthread); lock/op / inline CAS');
  for (const h of hot) {
    console.log(h.policy.padEnd(14) + h.inWasmNs.toFixed(1).padStart(10) + h.inWasmLockPerOpNs.toFixed(1).padStart(10) + h.perCallNs.toFixed(1).padStart(10)
      + h.batchedNs.toFixed(1).padStart(10) + h.localCacheNs.toFixed(1).padStart(12) + h.localCacheCrossingNs.toFixed(1).padStart(12)
      + `  ${(h.inWasmNs / K.inlineCas).toFixed(2)}x, ${(h.inWasmNs / K.pthreadSpin).toFixed(2)}x; ${(h.inWasmLockPerOpNs / K.inlineCas).toFixed(2)}x`);
  }
  console.log('(process CPU time, median of 15 interleaved samples; in wasm: one batch, the CPU cache lock held across up to 16 operations;'
    + ' lock/op: the same loop locking per operation, as single calls do; LocalCache: warm, no crossing into wasm;'
    + ' LC+batches: half the ranges through its 64-range refills and spills)');
  console.log(`load average at the end of the hot path: ${hotLoad.map((v) => v.toFixed(2)).join(' ')}`);

  console.log('\ntinybench suite (median per pair, 8192 pairs per task call)');
  const suite = runTinybenchSuite(quick);
  console.log(formatSuite(suite));

  console.log('\ntree path (tree-only domain)');
  const tree = runTreeBench({ quick });
  console.log(formatTreeBench(tree));

  console.log('\nmulti-worker scaling');
  const scaling = await measureScaling(quick ? { workers: [1, 2], durationMs: 300, warmupMs: 100 } : {});
  console.log(formatScaling(scaling));

  const comparisons: Comparison[] = [];
  /** What bounds the emptyPool ratio: the replay loop by itself and a bare JS stack (bench/peers/harness-floor.ts). */
  let emptyPoolFloor: Record<string, number> | null = null;
  const peerRuns: Record<string, Measurement> = {};
  if (!quick) {
    for (const id of Object.keys(CASES)) peerRuns[id] = isolated(peersScript, id);
    for (const id of Object.keys(OUR_CASES)) peerRuns[id] = isolated(oursScript, id);
    const pairs: [string, string, string][] = [
      ['idChurn', 'number-allocator', '>= 5x'],
      ['emptyPool', 'thi.ng-malloc', '>= 2x'],  // issue 15: at least 2x every peer
      ['mixedSizes-1k', 'thi.ng-malloc', '>= 10x'],
      ['mixedSizes-10k', 'thi.ng-malloc', '>= 10x'],
      ['idChurn', 'sorted-free-list', 'baseline'],
      ['emptyPool', 'sorted-free-list', 'baseline'],
      ['mixedSizes-1k', 'sorted-free-list', 'baseline'],
      ['mixedSizes-10k', 'sorted-free-list', 'baseline'],
    ];
    for (const ours of ['iova-wasm', 'iova-wasm-direct']) {
      for (const [workload, peer, target] of pairs) {
        const p = peerRuns[`${peer}/${workload}`];
        const o = peerRuns[`${ours}/${workload}`];
        comparisons.push({
          workload, ours, peer, peerNs: p.medianNs, oursNs: o.medianNs, ratio: p.medianNs / o.medianNs,
          target: ours === 'iova-wasm' ? target : 'info',
        });
      }
    }
    console.log('\nagainst the JS peers, on their own workloads (median ns per alloc+free pair)');
    console.log('workload'.padEnd(16) + 'ours'.padEnd(18) + 'peer'.padEnd(18) + 'peer ns'.padStart(10) + 'ours ns'.padStart(10) + 'ratio'.padStart(9) + '  target');
    for (const c of comparisons) {
      console.log(c.workload.padEnd(16) + c.ours.padEnd(18) + c.peer.padEnd(18) + c.peerNs.toFixed(1).padStart(10) + c.oursNs.toFixed(1).padStart(10)
        + `${c.ratio.toFixed(2)}x`.padStart(9) + `  ${c.target}`);
    }
    const thing = peerRuns['thi.ng-malloc/emptyPool'].medianNs;
    const nullNs = peerRuns['null/emptyPool'].medianNs;
    const stackNs = peerRuns['js-stack/emptyPool'].medianNs;
    emptyPoolFloor = { nullNs, jsStackNs: stackNs, thingNs: thing, thingOverNull: thing / nullNs, thingOverJsStack: thing / stackNs };
    console.log(`emptyPool floor (bench/peers/harness-floor.ts): the replay loop alone ${nullNs.toFixed(1)} ns, a bare JS stack ${stackNs.toFixed(1)} ns;`
      + ` so no allocator replayed there beats @thi.ng/malloc by more than ${(thing / nullNs).toFixed(2)}x, none that keeps a stack by more than ${(thing / stackNs).toFixed(2)}x`);
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
      vsKernelInlineCas: h.inWasmNs / KERNEL_ANCHORS.hotPairNs.inlineCas,
      vsKernelPthread: h.inWasmNs / KERNEL_ANCHORS.hotPairNs.pthreadSpin,
      lockPerOpVsKernelInlineCas: h.inWasmLockPerOpNs / KERNEL_ANCHORS.hotPairNs.inlineCas,
      batchVsInWasm: h.batchedNs / h.inWasmNs,
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
    failingVsKernelC: tree.failing.map((f) => ({
      name: f.name, oursFirstUs: f.oursFirstUs, kernelFirstUs: f.kernelFirstUs,
      kernelOverOurs: f.kernelFirstUs === null ? null : f.kernelFirstUs / f.oursFirstUs,
    })),
    scaling,
    comparisons,
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
