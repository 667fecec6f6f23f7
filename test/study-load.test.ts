// The study's load (src/study/thread.ts, options.ts): the thread's reads merged
// into requests by default, fio's iodepth counted in reads, --no-merge and the
// "no too-big" ablation as stated.
import { describe, expect, it } from "vitest";
import { parseAgingArgs } from "../dist/src/cli/aging.js";
import { ABLATIONS, planStudy, runStudy, tenth, THREAD_MERGE } from "../dist/src/study/index.js";
import { meanIosPerRequest, shareAbove } from "../dist/src/load/merge.js";

describe("the study's load", () => {
  it("merges the thread's 4 KiB reads: 0.94% of requests above 32 reads, 32 reads in flight per job", () => {
    const cfg = planStudy({ policies: ["linux-5.10"] }).configs[0]!;
    expect(cfg.bsText).toBe("4k");
    expect(cfg.merge).not.toBeNull();
    expect(cfg.merge!.maxIos).toBe(124);
    expect(shareAbove(cfg.merge!, THREAD_MERGE.cachedMaxIos)).toBeCloseTo(47_036 / 5_000_000, 12);
    // iodepth 32 reads: 32 / 7.37 requests, rounded.
    expect(cfg.iodepth).toBe(Math.round(32 / meanIosPerRequest(cfg.merge!)));
    expect(cfg.iodepth).toBe(4);
  });

  it("--no-merge maps each read as its own request, iodepth as given", () => {
    const o = parseAgingArgs(["--no-merge", "--iodepth=16"]);
    const cfg = planStudy({ ...o, policies: ["linux-5.10"] }).configs[0]!;
    expect(cfg.merge).toBeNull();
    expect(cfg.iodepth).toBe(16);
  });

  it("a block-size split does not merge; asking it to is an error naming the size", () => {
    expect(planStudy({ policies: ["linux-5.10"], bs: "4k/99:256k/1" }).configs[0]!.merge).toBeNull();
    expect(() => planStudy({ policies: ["linux-5.10"], bs: "4k/99:256k/1", merge: true })).toThrow(/fixed bs.*4k\/99:256k\/1/);
    expect(() => planStudy({ policies: ["linux-5.10"], mergeMaxIos: 0 })).toThrow(/mergeMaxIos must be an integer in \[1, 65536\], got 0/);
  });

  it('the "no too-big" ablation caps requests at 32 reads: nothing above the cached orders', () => {
    const a = ABLATIONS.find((x) => x.name === "no too-big")!;
    const cfg = planStudy({ ...a.options, policies: ["linux-5.10"] }).configs[0]!;
    expect(cfg.merge!.maxIos).toBe(32);
    expect(shareAbove(cfg.merge!, 32)).toBe(0);
  });

  it("the calibration counts IOPS in reads and reports requests a second, both from the run's own samples", () => {
    const study = runStudy({ policies: ["linux-5.10"], seconds: 2, intervalMs: 250, cpus: 8, jobs: 4, iodepth: 32, seed: 3 });
    const p = study.result.policies[0]!;
    const v = study.result.calibration!;
    const req = p.instruments!.requestsPerSecond!;
    expect(req).toHaveLength(p.series.t.length);
    expect(v.requestsStart).toBeCloseTo(tenth(req, false), 6);
    // Requests a second x the interval add up to the maps; IOPS x the interval to the reads.
    const c = p.engine.counters;
    // (requests whose reads were submitted before the end map in the drain, after the last sample: at most one per slot)
    const sampled = req.reduce((a, b) => a + b, 0) * 0.25;
    expect(sampled).toBeLessThanOrEqual(c.maps);
    expect(c.maps - sampled).toBeLessThanOrEqual(4 * study.sims[0]!.config.iodepth);
    expect(p.series.iops.reduce((a, b) => a + b, 0) * 0.25).toBeCloseTo(c.ios, 6);
    expect(v.iosPerRequest!).toBeGreaterThan(6);
    expect(v.iosPerRequest!).toBeLessThan(9);
    const row = study.result.reading.tables[0]!.rows.find((r) => r[0] === "requests (IOVAs) a second")!;
    expect(row[2]).toContain(`${v.iosPerRequest!.toFixed(2)} reads each`);
  });
});
