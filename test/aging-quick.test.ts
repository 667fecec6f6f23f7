import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agingHelp, parseAgingArgs } from "../dist/src/cli/aging.js";
import { planStudy, runStudy, runStudyParallel, runStudyToDir, verdict, type Study } from "../dist/src/study/index.js";
import { POLICIES } from "../dist/src/domain/policy.js";
import { POLICY_ERA } from "../dist/src/domain/era.js";
import { formatNumber, formatSeconds } from "../dist/src/report/format.js";
import { formatChange, summarize, summaryRows, summaryTable } from "../dist/src/report/table.js";
import type { StudyResult } from "../dist/src/report/types.js";
import { meanIosPerRequest } from "../dist/src/load/merge.js";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A seconds-long study: small machine, short run. */
const small = { seconds: 3, intervalMs: 250, cpus: 8, jobs: 4, iodepth: 8, migrateMs: 200, seed: 3 };

describe("aging study (library)", () => {
  let dir: string;
  let study: Study & { paths: { json: string; html: string; summary: string } };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iova-aging-"));
    dirs.push(dir);
    study = await runStudyToDir(small, dir);
  });

  it("states its speed in I/Os and in requests per wall second of one run", () => {
    const sp = study.result.meta.speed!;
    const merge = planStudy(small).configs[0]!.merge!;
    // Requests are counted apart from I/Os (one completion each): their ratio is the load's mean reads per request.
    expect(sp.requests).toBe(study.sims.reduce((a, r) => a + r.latency.clat.samples, 0));
    expect(sp.ios / sp.requests!).toBeGreaterThan(0.9 * meanIosPerRequest(merge));
    expect(sp.ios / sp.requests!).toBeLessThan(1.1 * meanIosPerRequest(merge));
    expect(sp.simRequestsPerWallSecond! * sp.runWallSeconds).toBeCloseTo(sp.requests!, 0);
    expect(sp.ioSize).toBe("4k");
    // The per-core figure: the sim threads' own CPU time, at most their wall time (a thread runs on one core).
    expect(sp.cpuSeconds).toBeGreaterThan(0);
    expect(sp.cpuSeconds).toBe(study.sims.reduce((a, r) => a + r.cpuSeconds, 0));
    expect(sp.cpuSeconds!).toBeLessThanOrEqual(sp.runWallSeconds * 1.05 + 0.05);
    expect(sp.simIosPerCpuSecond! * sp.cpuSeconds!).toBeCloseTo(sp.ios, -1);
    expect(sp.simIosPerCpuSecond!).toBeGreaterThanOrEqual(sp.simIosPerWallSecond * 0.95);
    const text = readFileSync(study.paths.summary, "utf8");
    expect(text).toMatch(/simulator\s+speed:\s+\S+\s+simulated\s+I\/Os\s+per\s+CPU\s+second\s+of\s+a\s+core\s+\(\S+\s+on\s+CPU\);\s+\S+\s+simulated\s+I\/Os\s+/);
    expect(text).toMatch(/per\s+wall\s+second\s+of\s+one\s+run\s+\(a\s+run\s+is\s+one\s+thread;\s+runs\s+made\s+at\s+once\s+share\s+the\s+cores;\s+an\s+I\/O\s+is\s+one\s+4k\s+read\),\s+\S+\s+requests\s+per\s+wall\s+second/);
  });

  it("runs every policy to the end with balanced books", () => {
    expect(study.result.policies.map((p) => p.policy)).toEqual([...POLICIES]);
    expect(study.booksFailures).toEqual([]);
    for (const p of study.result.policies) {
      expect(p.engine.booksOk).toBe(true);
      expect(p.series.t).toHaveLength(12);
      expect(p.series.t.at(-1)).toBe(3);
      expect(p.engine.ios).toBeGreaterThan(1000);
      expect(p.series.iops.reduce((a, b) => a + b, 0) * 0.25).toBeCloseTo(p.engine.ios, 6);
    }
    expect(study.result.meta.simulatedSeconds).toBe(3);
    expect(study.result.meta.seed).toBe(3);
    // iodepth 8 reads, merged into requests of 7.37 reads on average: 1 request in flight per job.
    expect(study.result.meta.config).toMatchObject({ cpus: 8, jobs: 4, iodepth: 1, bs: "4k", strict: false, completion: "other", era: null });
    // Each policy on its own kernel's era, recorded per policy and run on it.
    for (const [i, p] of study.result.policies.entries()) {
      expect(p.era).toBe(POLICY_ERA[p.policy as keyof typeof POLICY_ERA]);
      expect(study.sims[i]!.config.era).toBe(p.era);
    }
  });

  it("writes study.json, study.html and summary.txt, and they parse", async () => {
    for (const f of [study.paths.json, study.paths.html, study.paths.summary]) expect(existsSync(f)).toBe(true);
    const json = JSON.parse(await readFile(study.paths.json, "utf8")) as StudyResult;
    expect(json.policies).toHaveLength(POLICIES.length);
    expect(json.meta.tool).toBe("iova-wasm aging");
    expect((json.policies as Array<{ era?: string }>).map((p) => p.era)).toEqual(POLICIES.map((p) => POLICY_ERA[p]));
    const html = await readFile(study.paths.html, "utf8");
    expect(html).toMatch(/<html/i);
    for (const p of POLICIES) expect(html).toContain(p);
  });

  it("the table's numbers are the JSON's", async () => {
    const json = JSON.parse(await readFile(study.paths.json, "utf8")) as StudyResult;
    const text = await readFile(study.paths.summary, "utf8");
    // summary.txt holds exactly the table rendered from the JSON document,
    // and every line of it fits 80 columns.
    expect(text).toContain(summaryTable(json));
    for (const l of text.split("\n")) expect(l.length, l).toBeLessThanOrEqual(80);
    const rows = summaryRows(json);
    json.policies.forEach((p, i) => {
      const s = p.summary;
      expect(rows[i]).toEqual([
        p.policy, formatNumber(s.iopsStart), formatNumber(s.iopsEnd), formatChange(s.iopsEnd, s.iopsStart),
        formatNumber(s.worst10s), formatChange(s.worst10s, s.iopsStart), formatNumber(s.peakCached), formatNumber(s.peakTree),
      ]);
      // Each row's line in the file carries those cells, in order.
      const line = text.split("\n").find((l) => l.startsWith(p.policy + " "))!;
      expect(line.trim().split(/\s{2,}/)).toEqual(rows[i]);
      // And the summary is the one the series give.
      expect(s).toEqual(summarize(p.series, 0.25));
    });
  });

  it("the verdict names the falls the summaries report, within 80 columns, in the HTML too", async () => {
    const lines = verdict(study.result);
    const fell = study.result.policies.filter((p) => p.summary.iopsEnd < 0.75 * p.summary.iopsStart);
    if (fell.length === 0) expect(lines[0]).toMatch(/^no policy ends below 75%/);
    else expect(lines[0]).toContain(fell.map((p) => p.policy).join(", "));
    for (const p of POLICIES) expect(lines.some((l) => l.startsWith(`  ${p} `))).toBe(true);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(study.result.reading.verdict).toEqual(lines);
    const html = await readFile(study.paths.html, "utf8");
    expect(html).toContain("<h2>Verdict</h2>");
    expect(html).toContain("Thread vs this run");
  });
});

describe("study plan", () => {
  it("resolves each policy's options once, checking all before any run", () => {
    const plan = planStudy({ ...small, policies: ["linux-5.10", "adaptive"] });
    expect(plan.policies).toEqual(["linux-5.10", "adaptive"]);
    expect(plan.configs.map((c) => c.policy)).toEqual(["linux-5.10", "adaptive"]);
    for (const c of plan.configs) expect(c).toMatchObject({ cpus: 8, jobs: 4, iodepth: 1, seed: 3, durationMs: 3000, migrateMs: 200, merge: { maxIos: 124 } });
    expect(() => planStudy({ policies: [] })).toThrow(/no policies/);
    expect(() => planStudy({ cpus: 0 })).toThrow(/cpus/);
  });
});

describe("aging command line", () => {
  it("parses its options and rejects bad ones", () => {
    expect(parseAgingArgs(["--quick", "--policies", "linux-5.10,adaptive", "--seed=9", "--cost", "walkNodeNs=2"])).toEqual({
      quick: true, policies: ["linux-5.10", "adaptive"], seed: 9, costs: { walkNodeNs: 2 },
    });
    expect(parseAgingArgs(["--hours", "0.5"]).seconds).toBe(1800);
    expect(parseAgingArgs(["--era", "v5.11"]).era).toBe("v5.11");
    expect(() => parseAgingArgs(["--era", "v4.19"])).toThrow(/era.*v4\.19/);
    expect(() => parseAgingArgs(["--policies", "linux-9"])).toThrow(/--policies: 'linux-9' is not one of: linux-5.10/);
    expect(() => parseAgingArgs(["--cpus", "0"])).toThrow(/cpus/);
    expect(() => parseAgingArgs(["--bogus"])).toThrow(/unknown option/);
    expect(() => parseAgingArgs(["--seed"])).toThrow(/--seed requires a value/);
    expect(() => parseAgingArgs(["--quick=1"])).toThrow(/--quick takes no value/);
    expect(() => parseAgingArgs(["--bs", "1p"])).toThrow(/--bs: a block size must be at most 1g/);
    expect(() => parseAgingArgs(["--hours", "0"])).toThrow(/--hours must be between 0.000001 and 1000000 \(got .0.\)/);
    expect(parseAgingArgs(["--no-dma32", "--cost", "walkNodeNs=2", "--cost=iotlbFlushNs=3"])).toEqual({
      dma32First: false, costs: { walkNodeNs: 2, iotlbFlushNs: 3 },
    });
    expect(() => parseAgingArgs(["--cost", "nope=1"])).toThrow(/--cost/);
    expect(agingHelp()).toContain("--quick");
  });

  it("`iova aging` runs, prints the table and the paths, exits 0", async () => {
    const out = await mkdtemp(join(tmpdir(), "iova-aging-cli-"));
    dirs.push(out);
    const main = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
    const r = spawnSync(process.execPath, [main, "aging", "--seconds", "2", "--cpus", "4", "--jobs", "2", "--iodepth", "4",
      "--policies", "linux-5.10,adaptive", "--out", out], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/iops\s+iops\s+end vs\s+worst\s+worst vs\s+peak\s+peak\n\s*policy\s+start\s+end\s+start\s+10s\s+start\s+cached\s+tree/);
    for (const l of r.stdout.split("\n")) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(r.stdout).toContain(join(out, "study.html"));
    expect(r.stdout).toMatch(/simulator speed: \S+ simulated I\/Os per CPU second\s+of\s+a\s+core/);
    expect(r.stdout).toMatch(/simulated\s+I\/Os\s+per\s+wall\s+second\s+of\s+one\s+run/);
    expect(r.stdout).toContain("kernel eras: linux-5.10 v5.10, adaptive v6.x");
    expect(r.stdout).toMatch(/linux-5\.10 +\(v5\.10\) IOPS /);
    expect(r.stderr).toMatch(/linux-5\.10 +done: .*books balance/);
    const bad = spawnSync(process.execPath, [main, "aging", "--cpus", "x"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--cpus/);
  });
});

describe("aging study in worker threads", () => {
  it("gives the same series as the in-thread run", async () => {
    const o = { ...small, seconds: 1, policies: ["linux-5.10", "adaptive"] as const };
    const a = runStudy({ ...o, policies: [...o.policies] });
    const b = await runStudyParallel({ ...o, policies: [...o.policies], parallel: 2 });
    expect(b.booksFailures).toEqual([]);
    expect(b.result.policies.map((p) => p.policy)).toEqual(["linux-5.10", "adaptive"]);
    b.result.policies.forEach((p, i) => {
      expect(p.series).toEqual(a.result.policies[i]!.series);
      expect(p.summary).toEqual(a.result.policies[i]!.summary);
    });
  });
});
