// What the default run compresses (src/study/compression.ts): every item is
// printed with its figures and argument, the reserved windows leave exactly
// the space the item names, --faithful and --hours run the thread's system
// uncompressed, and the calibration reads the thread's dumps at the mapped times.
import { describe, expect, it } from "vitest";
import { parseAgingArgs } from "../dist/src/cli/aging.js";
import {
  COMPRESSED_USABLE32, FAITHFUL_SECONDS, FAITHFUL_USABLE32, MODEL_CACHED_PFNS, THREAD_CACHED_PFNS_MIN,
  compressionLines, compressionOf, usable32, windowsLeaving,
} from "../dist/src/study/compression.js";
import { planStudy, runStudy, THREAD_OBSERVED } from "../dist/src/study/index.js";

describe("compression", () => {
  it("the compressed 32-bit space gives the model's caches the thread's share of it", () => {
    // The thread's lower bound: six full depots but 100 IOVAs, plus one pfn per CPU-cached IOVA.
    expect(THREAD_CACHED_PFNS_MIN).toBe(317_380);
    expect(FAITHFUL_USABLE32).toBe(2 ** 20 - 1 - 65_536);
    const share = THREAD_CACHED_PFNS_MIN / FAITHFUL_USABLE32;
    expect(MODEL_CACHED_PFNS / COMPRESSED_USABLE32).toBeGreaterThan(share - 0.01);
    expect(MODEL_CACHED_PFNS / COMPRESSED_USABLE32).toBeLessThanOrEqual(share);
    expect(COMPRESSED_USABLE32 % 256).toBe(0);
  });

  it("reserves windows that leave exactly the space named, none overlapping, the top kept", () => {
    for (const n of [1, 4096, COMPRESSED_USABLE32, 200_000, FAITHFUL_USABLE32]) {
      const w = windowsLeaving(n);
      expect(usable32(w), String(n)).toBe(n);
      const s = [...w].sort((a, b) => a.start - b.start);
      for (let i = 1; i < s.length; i++) expect(s[i]!.start).toBeGreaterThan(s[i - 1]!.end);
      // The topmost page below 4 GiB stays allocatable.
      expect(w.some((x) => x.start <= 2 ** 32 - 4096 && x.end >= 2 ** 32 - 4096)).toBe(false);
    }
    expect(() => windowsLeaving(0)).toThrow(/dma32Pfns/);
    expect(() => windowsLeaving(FAITHFUL_USABLE32 + 1)).toThrow(/dma32Pfns/);
  });

  it("the default plan prints each item with its figures and argument; faithful and --hours have none", () => {
    const plan = planStudy({ policies: ["linux-5.10"] });
    expect(plan.compression.map((c) => c.what)).toEqual(["run length", "32-bit IOVA space"]);
    expect(plan.timeScale).toBeCloseTo(FAITHFUL_SECONDS / 300, 9);
    expect(usable32(plan.configs[0]!.pciWindows)).toBe(COMPRESSED_USABLE32);
    const lines = compressionLines(plan.compression);
    expect(lines[0]).toMatch(/^run length: 5m instead of .*278x shorter\. Why: .*47\.3s and 5m/);
    expect(lines[1]).toMatch(/^32-bit IOVA space: 581K pfns .*1\.69x smaller\. Why: the thread's caches held at least 317K/);

    const faithful = planStudy({ policies: ["linux-5.10"], faithful: true, seconds: 2 });
    expect(faithful.compression).toEqual([]);
    expect(faithful.timeScale).toBe(1);
    expect(usable32(faithful.configs[0]!.pciWindows)).toBe(FAITHFUL_USABLE32);
    const hours = parseAgingArgs(["--hours", "0.5"]);
    expect(hours).toMatchObject({ seconds: 1800, faithful: true });
    expect(planStudy({ ...hours, policies: ["linux-5.10"] }).compression).toEqual([]);

    // An experiment's space is reported as the caller's, not as the thread's.
    const exp = compressionOf(30, true, 4096);
    expect(exp.items.map((c) => c.what)).toEqual(["32-bit IOVA space"]);
    expect(exp.items[0]!.why).toMatch(/--dma32-pfns/);
  });

  it("the calibration reads the thread's dumps at the mapped times of a compressed run", () => {
    const study = runStudy({ policies: ["linux-5.10"], seconds: 2, intervalMs: 250, cpus: 8, jobs: 4, iodepth: 8, seed: 3 });
    const p = study.result.policies[0]!;
    const v = study.result.calibration!;
    const scale = FAITHFUL_SECONDS / 2;
    THREAD_OBSERVED.dumps.forEach((d, k) => {
      const at = d.t / scale;
      const i = p.series.t.findLastIndex((t) => t <= at + 1e-9);
      expect(v.dumps[k]!.reached).toBe(true);
      expect(v.dumps[k]!.runT).toBe(p.series.t[i]);
      expect(v.dumps[k]!.total).toBe(p.series.cachedTotal[i]);
    });
    expect(study.result.reading.compression.length).toBe(2);
    const notes = study.result.reading.tables[0]!.notes.join(" ");
    expect(notes).toContain("one simulated second stands for");
  });
});
