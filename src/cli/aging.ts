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
import { COMPLETION_MODES, configJson, resolveSimOptions, type CompletionMode, type SimOptions, type SimProgress } from "../sim/options.js";
import { DEFAULT_COSTS, type CostModel } from "../sim/costs.js";
import { SimBooksError, simulate, type SimResult } from "../sim/engine.js";
import { simulateAll } from "../sim/parallel.js";
import { ADAPTIVE_RECLAIM_MS } from "../domain/policy.js";
import { ERAS, eraArg, type KernelEra } from "../domain/era.js";

/**
 * The default load: the shape of the 2020 thread's machine and test. See
 * docs/aging.md for why each value.
 */
export const AGING_DEFAULTS = {
  cpus: 96,
  jobs: 12,
  iodepth: 32,
  bs: "4k/60:8k/5:16k/5:32k/5:64k/5:128k/5:256k/15",
  completion: "other" as CompletionMode,
  strict: false,
  migrateMs: 1000,
  seconds: 480,
  quickSeconds: 60,
  intervalMs: 1000,
  reclaimIntervalMs: ADAPTIVE_RECLAIM_MS,
  seed: 1,
} as const;

export interface AgingOptions {
  /** Policies to run, in this order. Default: all five. */
  policies?: readonly DepotPolicy[];
  /** Kernel era for every policy. Default: each policy on its own kernel's (POLICY_ERA). */
  era?: KernelEra;
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

export type AgingPolicyResult = PolicyResult & { era: KernelEra; engine: PolicyEngineInfo };

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
    era: o.era,
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
      era: r.config.era,
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
  const { policy: _p, era: _e, ...shared } = configJson(cfg);
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
      // era: the --era override, or null when each policy runs on its own (policies[].era).
      config: { ...shared, policies, era: o.era ?? null },
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
export function verdict(result: StudyResult & { policies: Array<PolicyResult & { era?: KernelEra; engine?: PolicyEngineInfo }> }): string[] {
  const lines: string[] = [];
  const cliffs = result.policies.filter((p) => p.summary.cliff).map((p) => p.policy);
  lines.push(cliffs.length === 0
    ? "no policy fell off a cliff in this configuration (none ends below half its starting IOPS)"
    : `cliff: ${cliffs.join(", ")} (ends below half its starting IOPS)`);
  for (const p of result.policies) {
    const s = p.summary;
    const ratio = s.iopsStart > 0 ? s.iopsEnd / s.iopsStart : NaN;
    const endCached = p.series.cachedTotal.at(-1) ?? 0;
    let line = `  ${p.policy.padEnd(12)}${p.era ? ` (${p.era})` : ""} iops end/start ${Number.isFinite(ratio) ? ratio.toFixed(3) : "-"}, ` +
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

interface Flag {
  name: string;
  arg?: string;
  help: string;
  set: (o: AgingOptions & { out?: string; help?: boolean }, v: string) => void;
}

function posInt(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${flag}: expected a positive integer, got '${v}'`);
  return n;
}

function posNum(flag: string, v: string, allowZero = false): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new RangeError(`--${flag}: expected a ${allowZero ? "non-negative" : "positive"} number, got '${v}'`);
  }
  return n;
}

/** The one table of options: parsing and --help both come from it. */
const FLAGS: Flag[] = [
  { name: "quick", help: `short run: ${AGING_DEFAULTS.quickSeconds} simulated seconds per policy (about 20 s on 2 cores)`, set: (o) => { o.quick = true; } },
  { name: "hours", arg: "N", help: "simulated hours per policy (fractions allowed)", set: (o, v) => { o.seconds = posNum("hours", v) * 3600; } },
  { name: "seconds", arg: "N", help: `simulated seconds per policy (default ${AGING_DEFAULTS.seconds})`, set: (o, v) => { o.seconds = posNum("seconds", v); } },
  { name: "policies", arg: "a,b", help: `policies to run (default all: ${POLICIES.join(",")})`,
    set: (o, v) => { o.policies = v.split(",").map((s) => policyArg(s.trim())); } },
  { name: "era", arg: "ERA", help: `kernel era for every policy: ${ERAS.join("|")} (default: each policy's own)`,
    set: (o, v) => { o.era = eraArg(v); } },
  { name: "seed", arg: "N", help: `seed of every random draw (default ${AGING_DEFAULTS.seed})`,
    set: (o, v) => { if (!/^\d+$/.test(v) || Number(v) > 2 ** 32 - 1) throw new RangeError(`--seed: expected an integer in [0, 2^32), got '${v}'`); o.seed = Number(v); } },
  { name: "out", arg: "DIR", help: "report directory (default reports/aging-<date>)", set: (o, v) => { o.out = v; } },
  { name: "cpus", arg: "N", help: `CPUs (default ${AGING_DEFAULTS.cpus})`, set: (o, v) => { o.cpus = posInt("cpus", v); } },
  { name: "jobs", arg: "N", help: `fio jobs (default ${AGING_DEFAULTS.jobs})`, set: (o, v) => { o.jobs = posInt("jobs", v); } },
  { name: "iodepth", arg: "N", help: `I/Os in flight per job (default ${AGING_DEFAULTS.iodepth})`, set: (o, v) => { o.iodepth = posInt("iodepth", v); } },
  { name: "bs", arg: "SPEC", help: `block sizes, fio syntax (default ${AGING_DEFAULTS.bs})`, set: (o, v) => { o.bs = v; } },
  { name: "completion", arg: "MODE", help: `completion CPU: ${COMPLETION_MODES.join("|")} (default ${AGING_DEFAULTS.completion})`,
    set: (o, v) => {
      if (!(COMPLETION_MODES as readonly string[]).includes(v)) throw new RangeError(`--completion: expected ${COMPLETION_MODES.join("|")}, got '${v}'`);
      o.completion = v as CompletionMode;
    } },
  { name: "strict", help: "strict unmap (free at once) instead of the flush queue", set: (o) => { o.strict = true; } },
  { name: "migrate-ms", arg: "MS", help: `mean time between migrations of a job to another CPU; 0 pins jobs (default ${AGING_DEFAULTS.migrateMs})`,
    set: (o, v) => { o.migrateMs = posNum("migrate-ms", v, true); } },
  { name: "interval-ms", arg: "MS", help: `sampling interval (default ${AGING_DEFAULTS.intervalMs})`, set: (o, v) => { o.intervalMs = posNum("interval-ms", v); } },
  { name: "reclaim-ms", arg: "MS", help: `adaptive's reclaim interval (default ${AGING_DEFAULTS.reclaimIntervalMs})`,
    set: (o, v) => { o.reclaimIntervalMs = posNum("reclaim-ms", v); } },
  { name: "no-dma32", help: "allocate in the 64-bit space only (no 32-bit first try)", set: (o) => { o.dma32First = false; } },
  { name: "cost", arg: "NAME=V", help: `override a cost-model figure (${Object.keys(DEFAULT_COSTS).join(", ")}); repeatable`,
    set: (o, v) => {
      const eq = v.indexOf("=");
      const name = v.slice(0, eq);
      if (eq < 1 || !(name in DEFAULT_COSTS)) throw new RangeError(`--cost: expected NAME=VALUE with NAME one of ${Object.keys(DEFAULT_COSTS).join(", ")}, got '${v}'`);
      const val = Number(v.slice(eq + 1));
      if (v.slice(eq + 1).trim() === "" || !Number.isFinite(val)) throw new RangeError(`--cost: '${v.slice(eq + 1)}' is not a number`);
      o.costs = { ...o.costs, [name]: val };
    } },
  { name: "parallel", arg: "N", help: "policies simulated at once, in worker threads (default: the machine's cores)",
    set: (o, v) => { o.parallel = posInt("parallel", v); } },
  { name: "help", help: "this text", set: (o) => { o.help = true; } },
];

export function agingHelp(): string {
  const rows = FLAGS.map((f) => [`--${f.name}${f.arg ? ` ${f.arg}` : ""}`, f.help] as const);
  const w = Math.max(...rows.map((r) => r[0].length));
  return "usage: iova aging [options]\n\n" +
    "Runs the same storage load under each depot policy on a virtual clock and\n" +
    "writes a report (study.json, study.html, summary.txt). See docs/aging.md.\n\n" +
    rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`).join("\n") + "\n";
}

export function parseAgingArgs(argv: string[]): AgingOptions & { out?: string; help?: boolean } {
  const o: AgingOptions & { out?: string; help?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new RangeError(`unexpected argument '${a}'`);
    const eq = a.indexOf("=");
    const name = a.slice(2, eq > 0 ? eq : undefined);
    const flag = FLAGS.find((f) => f.name === name);
    if (!flag) throw new RangeError(`unknown option '--${name}'`);
    let value = "";
    if (flag.arg) {
      if (eq > 0) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new RangeError(`--${name} needs a value (${flag.arg})`);
    } else if (eq > 0) {
      throw new RangeError(`--${name} takes no value`);
    }
    flag.set(o, value);
  }
  return o;
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
  w(`kernel eras: ${sims.map((r) => `${r.config.policy} ${r.config.era}`).join(", ")}${o.era ? " (--era)" : ""}`);
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
