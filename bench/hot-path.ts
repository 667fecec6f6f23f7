// Hot path: allocFast+freeFast of one page on one CPU with warm magazines,
// three ways: the loop inside wasm, single calls from JS, and the batch API.
import { IovaDomain, POLICIES, type DepotPolicy } from '../src/index.js';

export interface HotPathFigure {
  policy: DepotPolicy;
  inWasmNs: number;
  perCallNs: number;
  batchedNs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timeNs(fn: () => void, pairs: number, reps: number): number {
  fn();  // warm-up
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / pairs);
  }
  return median(samples);
}

export function runHotPath(quick = false, policies: readonly DepotPolicy[] = POLICIES): HotPathFigure[] {
  const rounds = quick ? 20_000 : 2_000_000;
  const reps = quick ? 3 : 7;
  const out: HotPathFigure[] = [];
  for (const policy of policies) {
    const d = new IovaDomain(4096, 1, { cpus: 1, policy, maxRanges: 1 << 16 });
    const limit = d.dma32Pfn - 1;
    const inWasmNs = timeNs(() => d.fastLoop(1, limit, rounds), rounds, reps);
    const perCallNs = timeNs(() => {
      for (let i = 0; i < rounds; i++) d.freeFast(d.allocFast(1, limit, true)!, 1);
    }, rounds, reps);
    const batch = 4096;
    const sizes = new Float64Array(batch).fill(1);
    const batches = Math.max(1, Math.floor(rounds / batch));
    const batchedNs = timeNs(() => {
      for (let b = 0; b < batches; b++) d.freeFastBatch(d.allocFastBatch(sizes, limit, true), sizes);
    }, batches * batch, reps);
    d.destroy();
    out.push({ policy, inWasmNs, perCallNs, batchedNs });
  }
  return out;
}
