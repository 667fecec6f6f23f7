// The study's load (src/study/thread.ts, options.ts): the thread's reads merged
// into requests by default, fio's iodepth counted in reads, --no-merge and the
// "no too-big" ablation as stated.
import { describe, expect, it } from "vitest";
import { parseAgingArgs } from "../dist/src/cli/aging.js";
import { ABLATIONS, planStudy, THREAD_MERGE } from "../dist/src/study/index.js";
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
});
