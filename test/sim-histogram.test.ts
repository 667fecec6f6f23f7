// The loop's latency histograms (assembly/sim/histogram.ts) put each value
// in the bucket the host's LatencyHistogram (src/load/latency.ts, fio's
// plat_val_to_idx) does: every integer to 1,100 ns, halves, both sides of
// each power of two, values past 2^31 (the 64-bit path) and past the last
// bucket (clamped), and a negative one (as 0).
import { describe, expect, it } from "vitest";
import { setUpRun } from "../dist/src/sim/setup.js";
import { resolveSimOptions } from "../dist/src/sim/options.js";
import { LatencyHistogram } from "../dist/src/load/latency.js";

describe("the loop's latency histogram", () => {
  it("buckets every value as the host's histogram does, and keeps its count, min, max and sums", () => {
    const run = setUpRun(resolveSimOptions({ policy: "linux-5.10", cpus: 4, jobs: 1, iodepth: 1, bs: "4k", durationMs: 10, intervalMs: 10, seed: 1 }));
    const values: number[] = [-5, 0, 0.25];
    for (let v = 0; v <= 1100; v++) values.push(v, v + 0.5);
    for (let k = 1; k <= 40; k++) for (const d of [-1, -0.5, 0, 0.5, 1]) values.push(2 ** k + d);
    values.push(2 ** 31 - 0.5, 2 ** 31, 2 ** 33 + 5, 2 ** 35, 1e15);
    const host = new LatencyHistogram();
    for (const v of values) {
      run.sim.histAdd(1, v);
      host.add(v);
    }
    const ex = run.domain.ex;
    const p = ex.simHist(run.sim.addr, 1) / 8;
    const f64 = new Float64Array(run.domain.memory.buffer);
    const head = 5;
    const wasmBuckets = Array.from(f64.subarray(p + head, p + head + host.counts.length));
    const differ: string[] = [];
    host.counts.forEach((n, i) => { if (wasmBuckets[i] !== n) differ.push(`bucket ${i}: wasm ${wasmBuckets[i]}, host ${n}`); });
    expect(differ.slice(0, 5)).toEqual([]);
    expect(f64[p]).toBe(values.length);
    expect(f64[p + 1]).toBe(0);
    expect(f64[p + 2]).toBe(1e15);
    expect(f64[p + 3]).toBe(values.reduce((a, v) => a + (v > 0 ? v : 0), 0));
    run.domain.destroy();
  });
});
