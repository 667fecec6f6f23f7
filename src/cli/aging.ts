// `iova aging`: the long-term study. The same non-strict storage load runs
// under each depot policy on the virtual clock (src/sim/), and the report
// (src/report/) shows throughput, cached pfns and tree size over time.
// docs/aging.md explains the default configuration and what it shows.
import { readFileSync } from "node:fs";
import { arch, availableParallelism, cpus as hostCpus } from "node:os";
import { join } from "node:path";
import { POLICIES, policyArg, type DepotPolicy } from "../domain/policy.js";
import { formatNumber, formatSeconds } from "../report/format.js";
import { summarize, summaryTable } from "../report/table.js";
import type { PolicyResult, StudyResult } from "../report/types.js";
import { writeReport, type ReportPaths } from "../report/write.js";
import { configJson, resolveSimOptions, type CompletionMode, type SimOptions, type SimProgress } from "../sim/options.js";
import type { CostModel } from "../sim/costs.js";
import { SimBooksError, simulate, type SimResult } from "../sim/engine.js";
import { simulateAll } from "../sim/parallel.js";
import { parseFlat } from "../options/argv.js";
import { commandHelp } from "../options/help.js";
import { studyDefaults } from "../options/defaults.js";
import { STUDY_QUICK_SECONDS } from "../options/table.js";

/**
 * The default load: the shape of the 2020 thread's machine and test. See
 * docs/aging.md for why each value. The values are the defaults of the
 * study's rows in the option table (src/options/table.ts).
 */
export const AGING_DEFAULTS = (() => {
  const d = studyDefaults() as Required<Pick<AgingOptions,
    "cpus" | "jobs" | "iodepth" | "bs" | "completion" | "strict" | "migrateMs" | "seconds" | "intervalMs" | "reclaimIntervalMs" | "seed">>;
  return Object.freeze({ ...d, quickSeconds: STUDY_QUICK_SECONDS });
})();

export interface AgingOptions {
  /** Policies to run, in this order. Default: all five. */
  policies?: readonly DepotPolicy[];
  /** Simulated seconds per policy (default 480; 60 with quick). */
  seconds?: number;
  quick?: boolean;
  seed?: number;
  cpus?: number;
  jobs?: number;
  iodepth?: number;
  bs?: string;
  completion?: CompletionMode;
  strict?: boolean;
  migrateMs?: number;
  intervalMs?: number;
  reclaimIntervalMs?: number;
  dma32First?: boolean;
  costs?: Partial<CostModel>;
  /**
   * Policies simulated at once, each in a worker thread (runAgingStudyParallel
   * and runAgingToDir). Default 1. Results do not depend on it.
   */
  parallel?: number;
  /** Called after every sample of every policy. */
  onProgress?: (policy: DepotPolicy, index: number, p: SimProgress) => void;
  /** Called when a policy's run is done. */
  onPolicyDone?: (policy: DepotPolicy, index: number, r: SimResult) => void;
}

/** Per-policy figures beyond the report's series: the engine's own account. */
export interface PolicyEngineInfo {
  ios: number;
  wallSeconds: number;
  simIosPerWallSecond: number;
  booksOk: boolean;
  booksProblems: string[];
  counters: SimResult["counters"];
  latencyNs: SimResult["latency"];
  diagnostics: SimResult["diagnostics"];
  /** The thread's print_iova1/print_iova2 dumps: per CPU and order, and per order's depot. */
  dumps: SimResult["dumps"];
}

export type AgingPolicyResult = PolicyResult & { engine: PolicyEngineInfo };

export interface AgingStudy {
  result: StudyResult & { policies: AgingPolicyResult[] };
  sims: SimResult[];
  /** Policies whose books did not balance after the drain. */
  booksFailures: string[];
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function machine(): string {
  const list = hostCpus();
  return `${arch()}, ${list.length} cores${list[0] ? `, ${list[0].model.trim()}` : ""}`;
}

/** The simulator options one policy's run gets. */
export function agingSimOptions(o: AgingOptions, policy: DepotPolicy): SimOptions {
  const d = AGING_DEFAULTS;
  const seconds = o.seconds ?? (o.quick ? d.quickSeconds : d.seconds);
  return {
    policy,
    seed: o.seed ?? d.seed,
    cpus: o.cpus ?? d.cpus,
    jobs: o.jobs ?? d.jobs,
    iodepth: o.iodepth ?? d.iodepth,
    bs: o.bs ?? d.bs,
    completion: o.completion ?? d.completion,
    strict: o.strict ?? d.strict,
    migrateMs: o.migrateMs ?? d.migrateMs,
    durationMs: seconds * 1000,
    intervalMs: o.intervalMs ?? d.intervalMs,
    reclaimIntervalMs: o.reclaimIntervalMs ?? d.reclaimIntervalMs,
    dma32First: o.dma32First ?? true,
    costs: o.costs,
  };
}

function policiesOf(o: AgingOptions): DepotPolicy[] {
  const policies = [...(o.policies ?? POLICIES)];
  if (policies.length === 0) throw new RangeError("no policies to run");
  for (const p of policies) policyArg(p);
  return policies;
}

function assemble(o: AgingOptions, policies: DepotPolicy[], runs: Array<{ result: SimResult; booksOk: boolean }>, wallSeconds: number): AgingStudy {
  const cfg = resolveSimOptions(agingSimOptions(o, policies[0]!));
  const booksFailures: string[] = [];
  const out: AgingPolicyResult[] = runs.map(({ result: r, booksOk }, i) => {
    if (!booksOk) booksFailures.push(`${policies[i]}: ${r.books.problems.join("; ")}`);
    return {
      policy: policies[i]!,
      series: r.series,
      summary: summarize(r.series, r.config.intervalMs / 1000),
      engine: {
        ios: r.counters.ios,
        wallSeconds: r.wallSeconds,
        simIosPerWallSecond: r.simIosPerWallSecond,
        booksOk: r.books.ok,
        booksProblems: r.books.problems,
        counters: r.counters,
        latencyNs: r.latency,
        diagnostics: r.diagnostics,
        dumps: r.dumps,
      },
    };
  });
  const { policy: _p, ...shared } = configJson(cfg);
  const result: AgingStudy["result"] = {
    meta: {
      tool: "iova-wasm aging",
      version: version(),
      date: new Date().toISOString(),
      node: process.version,
      machine: machine(),
      seed: cfg.seed,
      simulatedSeconds: cfg.durationMs / 1000,
      wallSeconds,
      config: { ...shared, policies },
    },
    policies: out,
  };
  return { result, sims: runs.map((r) => r.result), booksFailures };
}

/** Runs every policy in this thread, one after the other, and assembles the study. */
export function runAgingStudy(o: AgingOptions = {}): AgingStudy {
  const policies = policiesOf(o);
  resolveSimOptions(agingSimOptions(o, policies[0]!));  // every option checked before any run starts
  const wall0 = performance.now();
  const runs = policies.map((policy, i) => {
    const opts = agingSimOptions(o, policy);
    if (o.onProgress) opts.onProgress = (p) => o.onProgress!(policy, i, p);
    let result: SimResult;
    let booksOk = true;
    try {
      result = simulate(opts);
    } catch (e) {
      if (!(e instanceof SimBooksError)) throw e;
      result = e.result;
      booksOk = false;
    }
    o.onPolicyDone?.(policy, i, result);
    return { result, booksOk };
  });
  return assemble(o, policies, runs, (performance.now() - wall0) / 1000);
}

/** The same study with `o.parallel` policies at a time, each in a worker thread. */
export async function runAgingStudyParallel(o: AgingOptions = {}): Promise<AgingStudy> {
  const policies = policiesOf(o);
  resolveSimOptions(agingSimOptions(o, policies[0]!));
  const wall0 = performance.now();
  const runs = await simulateAll(policies.map((p) => agingSimOptions(o, p)), o.parallel ?? 1, {
    onProgress: (i, p) => o.onProgress?.(policies[i]!, i, p),
    onDone: (i, r) => o.onPolicyDone?.(policies[i]!, i, r),
  });
  return assemble(o, policies, runs, (performance.now() - wall0) / 1000);
}

/** Runs the study and writes study.json, study.html and summary.txt into `dir`. */
export async function runAgingToDir(o: AgingOptions, dir: string): Promise<AgingStudy & { paths: ReportPaths }> {
  const study = (o.parallel ?? 1) > 1 ? await runAgingStudyParallel(o) : runAgingStudy(o);
  const paths = await writeReport(study.result, dir);
  return { ...study, paths };
}

/** Mean of the first or last tenth of a series (at least one sample). */
function tenth(a: readonly number[], last: boolean): number {
  if (a.length === 0) return NaN;
  const k = Math.max(1, Math.ceil(a.length * 0.1));
  const part = last ? a.slice(a.length - k) : a.slice(0, k);
  return part.reduce((x, y) => x + y, 0) / part.length;
}

/**
 * Plain-language reading of the table: which policies fell off a cliff, the
 * cache bound, and (from the engine's diagnostics, when present) how the
 * kernel's walk and the tree lock moved between the first and last tenth.
 */
export function verdict(result: StudyResult & { policies: Array<PolicyResult & { engine?: PolicyEngineInfo }> }): string[] {
  const lines: string[] = [];
  const cliffs = result.policies.filter((p) => p.summary.cliff).map((p) => p.policy);
  lines.push(cliffs.length === 0
    ? "no policy fell off a cliff in this configuration (none ends below half its starting IOPS)"
    : `cliff: ${cliffs.join(", ")} (ends below half its starting IOPS)`);
  for (const p of result.policies) {
    const s = p.summary;
    const ratio = s.iopsStart > 0 ? s.iopsEnd / s.iopsStart : NaN;
    const endCached = p.series.cachedTotal.at(-1) ?? 0;
    let line = `  ${p.policy.padEnd(12)} iops end/start ${Number.isFinite(ratio) ? ratio.toFixed(3) : "-"}, ` +
      `cached at end ${formatNumber(endCached)} pfns (peak ${formatNumber(s.peakCached)}), tree peak ${formatNumber(s.peakTree)}`;
    const d = p.engine?.diagnostics;
    if (d) {
      line += `; walk per tree alloc ${formatNumber(tenth(d.walkPerTreeAlloc, false))} -> ${formatNumber(tenth(d.walkPerTreeAlloc, true))} nodes` +
        `, tree lock busy ${(100 * tenth(d.treeLockBusy, false)).toFixed(1)}% -> ${(100 * tenth(d.treeLockBusy, true)).toFixed(1)}%`;
    }
    lines.push(line);
  }
  return lines;
}

// ---------------------------------------------------------------- command line

export function agingHelp(): string {
  return commandHelp("study", [
    "usage: iova aging [options]", "",
    "Runs the same storage load under each depot policy on a virtual clock and",
    "writes a report (study.json, study.html, summary.txt). See docs/aging.md.",
  ]);
}

/** The options given (only those); every value checked by its row of the option table. */
export function parseAgingArgs(argv: string[]): AgingOptions & { out?: string; help?: boolean } {
  return parseFlat("study", argv) as AgingOptions & { out?: string; help?: boolean };
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * One progress bar per policy on a terminal (a block of lines redrawn in
 * place, since policies may run side by side); plain lines elsewhere.
 */
class Progress {
  private readonly tty: boolean;
  private readonly lines: string[];
  private drawn = false;
  private lastDraw = 0;
  private readonly lastQuarter: number[];

  constructor(private readonly stream: NodeJS.WriteStream, private readonly names: readonly string[]) {
    this.tty = Boolean(stream.isTTY);
    this.lines = names.map((n, i) => `${this.label(n, i)} waiting`);
    this.lastQuarter = names.map(() => -1);
  }

  private label(policy: string, index: number): string {
    return `[${index + 1}/${this.names.length}] ${policy.padEnd(12)}`;
  }

  private draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const up = this.drawn ? `\x1b[${this.lines.length}A` : "";
    this.stream.write(up + this.lines.map((l) => `\r${l}\x1b[K\n`).join(""));
    this.drawn = true;
  }

  update(policy: string, index: number, p: SimProgress): void {
    const frac = Math.min(1, p.simMs / p.durationMs);
    const facts = `${formatSeconds(p.simMs / 1000)} of ${formatSeconds(p.durationMs / 1000)}  ` +
      `${formatNumber(p.iops)} IOPS  cached ${formatNumber(p.cached)}  tree ${formatNumber(p.tree)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      this.lines[index] = `${this.label(policy, index)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ` +
        `${(frac * 100).toFixed(0).padStart(3)}%  ${facts}`;
      this.draw(false);
    } else {
      const quarter = Math.floor(frac * 4);
      if (quarter === this.lastQuarter[index] || quarter === 4) return;
      this.lastQuarter[index] = quarter;
      this.stream.write(`${this.label(policy, index)} ${(frac * 100).toFixed(0).padStart(3)}%  ${facts}\n`);
    }
  }

  done(policy: string, index: number, r: SimResult): void {
    const line = `${this.label(policy, index)} done: ${formatNumber(r.counters.ios)} I/Os in ${formatSeconds(r.simulatedSeconds)} simulated, ` +
      `wall ${formatSeconds(r.wallSeconds)}, ${formatNumber(r.simIosPerWallSecond)} sim I/Os per wall second` +
      (r.books.ok ? ", books balance" : `, BOOKS DO NOT BALANCE: ${r.books.problems.join("; ")}`);
    if (this.tty) {
      this.lines[index] = line;
      this.draw(true);
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}

function latencyLine(policy: string, r: SimResult): string {
  const us = (ns: number) => (ns / 1000).toFixed(2);
  const m = r.latency.map;
  const c = r.latency.clat;
  const p = (s: typeof m, q: string) => us(s.percentiles[q] ?? NaN);
  return `  ${policy.padEnd(12)} map lat (usec): avg=${us(m.mean)}, p99=${p(m, "99.000000")}, max=${us(m.max)}; ` +
    `clat (usec): avg=${us(c.mean)}, p99=${p(c, "99.000000")}; tree lock busy ${(100 * r.counters.treeLockHeldNs / (r.simulatedSeconds * 1e9)).toFixed(1)}%`;
}

/** `iova aging [options]`. */
export async function agingCommand(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseAgingArgs>;
  try {
    o = parseAgingArgs(argv);
    if (o.help) {
      process.stdout.write(agingHelp());
      return 0;
    }
    resolveSimOptions(agingSimOptions(o, (o.policies ?? POLICIES)[0]!));
  } catch (e) {
    process.stderr.write(`iova aging: ${(e as Error).message}\n\n${agingHelp()}`);
    return 2;
  }
  const names = [...(o.policies ?? POLICIES)];
  const parallel = o.parallel ?? Math.max(1, Math.min(availableParallelism(), names.length));
  const progress = new Progress(process.stderr, names);
  const dir = o.out ?? join("reports", `aging-${stamp(new Date())}`);
  const study = await runAgingToDir({
    ...o,
    parallel,
    onProgress: (policy, i, p) => progress.update(policy, i, p),
    onPolicyDone: (policy, i, r) => progress.done(policy, i, r),
  }, dir);
  const { result, sims, paths, booksFailures } = study;
  const w = (s: string) => process.stdout.write(s + "\n");
  const m = result.meta;
  const totalIos = sims.reduce((a, r) => a + r.counters.ios + r.counters.drainedIos, 0);
  const simWall = sims.reduce((a, r) => a + r.wallSeconds, 0);
  w("");
  w(`${m.tool} ${m.version}: ${names.length} policies x ${formatSeconds(m.simulatedSeconds)} simulated, ` +
    `wall ${formatSeconds(m.wallSeconds)} (${parallel} at a time), ${formatNumber(totalIos / simWall)} sim I/Os per wall second per run`);
  const c = m.config as Record<string, unknown>;
  w(`load: ${c.jobs} jobs on ${c.cpus} CPUs, iodepth ${c.iodepth}, bs ${c.bs}, ${c.strict ? "strict" : "non-strict"}, ` +
    `completion ${c.completion}, migrate every ${c.migrateMs} ms (mean), seed ${m.seed}`);
  w("");
  process.stdout.write(summaryTable(result));
  w("");
  for (const line of verdict(result)) w(line);
  w("");
  sims.forEach((r, i) => w(latencyLine(names[i]!, r)));
  w("");
  w(`report: ${paths.html}`);
  w(`        ${paths.json}`);
  w(`        ${paths.summary}`);
  if (booksFailures.length > 0) {
    process.stderr.write(`\niova aging: BOOKS DO NOT BALANCE for ${booksFailures.length} polic${booksFailures.length === 1 ? "y" : "ies"}:\n` +
      booksFailures.map((f) => `  ${f}\n`).join(""));
    return 1;
  }
  return 0;
}
