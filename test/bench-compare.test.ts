// bench/compare.ts: the rows `npm run bench` prints and writes to
// bench/results.json, built from measurements it is handed.
import { describe, expect, it } from 'vitest';
import { peerComparisons, formatPeerComparisons, kernelComparisons, formatKernelComparisons } from '../dist/bench/compare.js';
import { KERNEL_ANCHORS } from '../dist/bench/kernel-anchors.js';

const m = (medianNs: number) => ({ medianNs }) as never;

/** Every peer case at 100 ns, ours at 10 (LocalCache) and 50 (direct). */
function everyCase(): Record<string, unknown> {
  const runs: Record<string, unknown> = {};
  for (const w of ['idChurn', 'emptyPool', 'mixedSizes-1k', 'mixedSizes-10k']) {
    for (const p of ['number-allocator', 'thi.ng-malloc', 'sorted-free-list']) runs[`${p}/${w}`] = m(100);
    runs[`iova-wasm/${w}`] = m(10);
    runs[`iova-wasm-direct/${w}`] = m(50);
  }
  return runs;
}

describe('bench comparisons', () => {
  it('peer rows: ratio = peer / ours, each target met or missed, the direct variant without a target', () => {
    const runs = everyCase();
    runs['iova-wasm/emptyPool'] = m(60);  // 1.67x: below the 2x target
    const rows = peerComparisons(runs as never);
    const empty = rows.find((r) => r.ours === 'iova-wasm' && r.peer === 'thi.ng-malloc' && r.workload === 'emptyPool')!;
    expect(empty.ratio).toBeCloseTo(100 / 60);
    expect(empty).toMatchObject({ target: 2, met: false, anchorNs: 21.5 });
    const churn = rows.find((r) => r.ours === 'iova-wasm' && r.workload === 'idChurn' && r.peer === 'number-allocator')!;
    expect(churn).toMatchObject({ ratio: 10, target: 5, met: true });
    expect(rows.filter((r) => r.ours === 'iova-wasm-direct').every((r) => r.target === null && r.met === null)).toBe(true);
    const text = formatPeerComparisons(rows);
    expect(text).toContain('>= 2x MISSED');
    expect(text).toContain('targets missed: thi.ng-malloc/emptyPool 1.67x < 2x');
  });

  it('peer rows: a side-by-side measurement decides the target, and both ratios are printed', () => {
    const runs = everyCase();
    runs['iova-wasm/emptyPool'] = m(40);  // 2.5x in separate processes...
    const side = { workload: 'emptyPool', peer: 'thi.ng-malloc', ours: 'iova-wasm', rounds: 21, peerNs: 27, oursNs: 20, ratio: 1.35, ratioMin: 1.2, ratioMax: 1.6 };
    const rows = peerComparisons(runs as never, { emptyPool: side } as never);  // ...1.35x side by side
    const empty = rows.find((r) => r.ours === 'iova-wasm' && r.peer === 'thi.ng-malloc' && r.workload === 'emptyPool')!;
    expect(empty.ratio).toBeCloseTo(2.5);
    expect(empty).toMatchObject({ target: 2, met: false, sideBySide: { ratio: 1.35, ratioMin: 1.2, ratioMax: 1.6, rounds: 21 } });
    // Only the row of the side-by-side's own variant and peer carries it.
    expect(rows.find((r) => r.ours === 'iova-wasm-direct' && r.workload === 'emptyPool' && r.peer === 'thi.ng-malloc')!.sideBySide).toBeNull();
    expect(rows.find((r) => r.ours === 'iova-wasm' && r.workload === 'emptyPool' && r.peer === 'sorted-free-list')!.sideBySide).toBeNull();
    const text = formatPeerComparisons(rows);
    expect(text).toContain('27.0, 20.0, 1.35x [1.20..1.60] (21 rounds)');
    expect(text).toContain('targets missed: thi.ng-malloc/emptyPool 1.35x < 2x');
  });

  it('kernel rows: every anchor figure appears, with ours and ours / kernel C where measured', () => {
    const hot = [{ policy: 'adaptive', inWasmNs: 12.25, inWasmLockPerOpNs: 19.6 }];
    const tree = {
      pairs: [{ live: 1e3, wasmLoop1: 80 }],
      churn: [{ live: 1e3, ours: 1780 }],
      failing: [{ kernelFirstUs: KERNEL_ANCHORS.failPacked16kFirstUs, oursFirstUs: 1.14, oursRepeatUs: 0.038 }],
    };
    const rows = kernelComparisons(hot as never, tree as never);
    const expected = 4 + Object.keys(KERNEL_ANCHORS.treePairNs).length + Object.keys(KERNEL_ANCHORS.churnUs).length
      + Object.keys(KERNEL_ANCHORS.ownChurnUs).length + 4;
    expect(rows).toHaveLength(expected);
    expect(rows[0]).toMatchObject({ kernelC: 9.8, ours: 19.6 });
    expect(rows[0].ratio).toBeCloseTo(2);
    // Like for like first (the kernel locks per operation); the batched loop labelled as batched.
    expect(rows[0].figure).toContain('lock per op');
    const batched = rows.find((r) => r.figure.includes('batched: lock held across <=16 ops'))!;
    expect(batched).toMatchObject({ kernelC: 9.8, ours: 12.25 });
    expect(batched.ratio).toBeCloseTo(1.25);
    expect(rows.find((r) => r.figure.startsWith('tree pair, size 1, 1e3'))!.ratio).toBeCloseTo(2);
    expect(rows.find((r) => r.figure.startsWith('churn stream op for op, 1e3'))!.ours).toBeCloseTo(1.78);
    // Issue 15's churn row: the kernel's own stream at 1e3 / 1e4 / 1e5 (89 us at 1e5), ours on bench/tree's stream
    // beside it; not one workload, so no ratio, in the rows or the printed table.
    const own = rows.find((r) => r.figure.startsWith("churn, 1e3 live: the kernel's own stream"))!;
    expect(own).toMatchObject({ kernelC: 0.88, unit: 'us', ratio: null });
    expect(own.ours).toBeCloseTo(1.78);
    const ownLine = formatKernelComparisons(rows).split('\n').find((l) => l.startsWith("churn, 1e3 live: the kernel's own stream"))!;
    expect(ownLine).toContain('1.78 us');
    expect(ownLine.trimEnd().endsWith('-')).toBe(true);
    expect(rows.find((r) => r.figure.startsWith("churn, 1e5 live: the kernel's own stream"))!).toMatchObject({ kernelC: 89, ours: null });
    expect(rows.find((r) => r.figure.includes('fast-fail'))!.ours).toBeCloseTo(38);
    // Not measured in this (fake) run: printed as '-', never as a number.
    const missing = rows.find((r) => r.figure.startsWith('tree pair, size 1, 1e6'))!;
    expect(missing).toMatchObject({ ours: null, ratio: null });
    expect(formatKernelComparisons(rows).split('\n')).toHaveLength(expected + 2);
  });
});
