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

/** The kernel's own C code built in userspace on this machine kind (../shared/anchors.md). */
export const KERNEL_ANCHORS = {
  fastPairNs: 16.5,         // alloc_iova_fast + free_iova_fast, size 1, warm magazines (6.12 caches)
  treePairNs: { 1e3: 37, 1e4: 44, 1e5: 101, 1e6: 125 } as Record<number, number>,
};

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
  console.log('\nhot path: allocFast+freeFast pair, size 1, one CPU (ns per pair)');
  console.log('policy'.padEnd(14) + 'in wasm'.padStart(10) + 'per call'.padStart(10) + 'batched'.padStart(10) + '  vs kernel C (16.5 ns)');
  for (const h of hot) {
    console.log(h.policy.padEnd(14) + h.inWasmNs.toFixed(1).padStart(10) + h.perCallNs.toFixed(1).padStart(10)
      + h.batchedNs.toFixed(1).padStart(10) + `  ${(h.inWasmNs / KERNEL_ANCHORS.fastPairNs).toFixed(2)}x`);
  }

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
  const peerRuns: Record<string, Measurement> = {};
  if (!quick) {
    for (const id of Object.keys(CASES)) peerRuns[id] = isolated(peersScript, id);
    for (const id of Object.keys(OUR_CASES)) peerRuns[id] = isolated(oursScript, id);
    const pairs: [string, string, string][] = [
      ['idChurn', 'number-allocator', '>= 5x'],
      ['emptyPool', 'thi.ng-malloc', '>= 1x'],
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
  }

  const results = {
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), platform: process.platform },
    node: process.version,
    date: new Date().toISOString(),
    quick,
    kernelAnchors: KERNEL_ANCHORS,
    tinybench: suite,
    hotPath: hot.map((h) => ({ ...h, vsKernelC: h.inWasmNs / KERNEL_ANCHORS.fastPairNs, batchVsInWasm: h.batchedNs / h.inWasmNs })),
    tree,
    treeVsKernelC: tree.pairs.map((row) => ({
      live: row.live,
      oursInWasmNs: row.wasmLoop1,
      kernelCNs: KERNEL_ANCHORS.treePairNs[row.live] ?? null,
      ratio: KERNEL_ANCHORS.treePairNs[row.live] ? row.wasmLoop1 / KERNEL_ANCHORS.treePairNs[row.live] : null,
    })),
    scaling,
    comparisons,
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
