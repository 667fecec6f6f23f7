// `iova aging`: the command line of the long-term study (src/study/): its
// flags, a progress display, and the printed summary. docs/aging.md explains
// the default configuration and what it shows.
import { writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { POLICIES, policyArg, type DepotPolicy } from "../domain/policy.js";
import { ERAS, eraArg } from "../domain/era.js";
import { formatNumber, formatSeconds } from "../report/format.js";
import { studyText } from "../report/text.js";
import { wrapCell } from "../report/text-table.js";
import { COMPLETION_MODES, type CompletionMode, type SimProgress } from "../sim/options.js";
import { DEFAULT_COSTS } from "../sim/costs.js";
import type { SimResult } from "../sim/engine.js";
import { reportTableText } from "../report/table.js";
import { EXIT_INTERRUPTED, onInterrupt } from "./interrupt.js";
import { prepareOutputDir } from "./output-path.js";
import { ABLATIONS, ablationTable, planStudy, runAblations, runStudyToDir, STUDY_DEFAULTS, type StudyOptions, type StudyPlan } from "../study/index.js";

// ---------------------------------------------------------------- command line

interface Flag {
  name: string;
  arg?: string;
  help: string;
  set: (o: StudyOptions & { out?: string; help?: boolean; ablations?: boolean }, v: string) => void;
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
  { name: "quick", help: `short run: ${STUDY_DEFAULTS.quickSeconds} simulated seconds per policy (about 20 s on 2 cores)`, set: (o) => { o.quick = true; } },
  { name: "faithful", help: "the thread's system uncompressed, up to the thread's last dump (83,483 s; --hours/--seconds shorten it)",
    set: (o) => { o.faithful = true; } },
  { name: "hours", arg: "N", help: "simulated hours per policy (fractions allowed)", set: (o, v) => { o.seconds = posNum("hours", v) * 3600; } },
  { name: "seconds", arg: "N", help: `simulated seconds per policy (default ${STUDY_DEFAULTS.seconds})`, set: (o, v) => { o.seconds = posNum("seconds", v); } },
  { name: "policies", arg: "a,b", help: `policies to run (default all: ${POLICIES.join(",")})`,
    set: (o, v) => { o.policies = v.split(",").map((s) => policyArg(s.trim())); } },
  { name: "era", arg: "ERA", help: `kernel era for every policy: ${ERAS.join("|")} (default: each policy's own)`,
    set: (o, v) => { o.era = eraArg(v); } },
  { name: "seed", arg: "N", help: `seed of every random draw (default ${STUDY_DEFAULTS.seed})`,
    set: (o, v) => { if (!/^\d+$/.test(v) || Number(v) > 2 ** 32 - 1) throw new RangeError(`--seed: expected an integer in [0, 2^32), got '${v}'`); o.seed = Number(v); } },
  { name: "out", arg: "DIR", help: "report directory (default reports/aging-<date>)", set: (o, v) => { o.out = v; } },
  { name: "cpus", arg: "N", help: `CPUs (default ${STUDY_DEFAULTS.cpus})`, set: (o, v) => { o.cpus = posInt("cpus", v); } },
  { name: "jobs", arg: "N", help: `fio jobs (default ${STUDY_DEFAULTS.jobs})`, set: (o, v) => { o.jobs = posInt("jobs", v); } },
  { name: "iodepth", arg: "N", help: `I/Os in flight per job (default ${STUDY_DEFAULTS.iodepth})`, set: (o, v) => { o.iodepth = posInt("iodepth", v); } },
  { name: "bs", arg: "SPEC", help: `block sizes, fio syntax (default ${STUDY_DEFAULTS.bs})`, set: (o, v) => { o.bs = v; } },
  { name: "completion", arg: "MODE", help: `completion CPU: ${COMPLETION_MODES.join("|")} (default ${STUDY_DEFAULTS.completion})`,
    set: (o, v) => {
      if (!(COMPLETION_MODES as readonly string[]).includes(v)) throw new RangeError(`--completion: expected ${COMPLETION_MODES.join("|")}, got '${v}'`);
      o.completion = v as CompletionMode;
    } },
  { name: "strict", help: "strict unmap (free at once) instead of the flush queue", set: (o) => { o.strict = true; } },
  { name: "migrate-ms", arg: "MS", help: `mean time between migrations of a job to another CPU; 0 pins jobs (default ${STUDY_DEFAULTS.migrateMs})`,
    set: (o, v) => { o.migrateMs = posNum("migrate-ms", v, true); } },
  { name: "interval-ms", arg: "MS", help: `sampling interval (default ${STUDY_DEFAULTS.intervalMs})`, set: (o, v) => { o.intervalMs = posNum("interval-ms", v); } },
  { name: "reclaim-ms", arg: "MS", help: `adaptive's reclaim interval (default ${STUDY_DEFAULTS.reclaimIntervalMs})`,
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
  { name: "ablations", help: "also run each ablation (one mechanism changed at a time) for linux-5.10 and adaptive, or --policies; writes ablations.txt",
    set: (o) => { o.ablations = true; } },
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

export function parseAgingArgs(argv: string[]): StudyOptions & { out?: string; help?: boolean; ablations?: boolean } {
  const o: StudyOptions & { out?: string; help?: boolean; ablations?: boolean } = {};
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
    const facts = `${formatSeconds(p.simMs / 1000)}/${formatSeconds(p.durationMs / 1000)} ` +
      `${formatNumber(p.iops)} IOPS, cached ${formatNumber(p.cached)}`;
    if (this.tty) {
      const width = 12;
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
    const line = `${this.label(policy, index)} done: ${formatNumber(r.counters.ios)} I/Os, ${formatSeconds(r.simulatedSeconds)} in ` +
      `${formatSeconds(r.wallSeconds)} (${formatNumber(r.simIosPerWallSecond)}/s), ` +
      (r.books.ok ? "books balance" : `BOOKS DO NOT BALANCE: ${r.books.problems.join("; ")}`);
    if (this.tty) {
      this.lines[index] = line;
      this.draw(true);
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}

/** Map and completion latency of one run, fio's way, in one line of at most 80 columns. */
function latencyLine(policy: string, r: SimResult): string {
  const us = (ns: number) => formatNumber(ns / 1000);
  const m = r.latency.map;
  const c = r.latency.clat;
  const p99 = (s: typeof m) => us(s.percentiles["99.000000"] ?? NaN);
  return `  ${policy.padEnd(12)} usec: map avg ${us(m.mean)} p99 ${p99(m)} max ${us(m.max)}; clat avg ${us(c.mean)} p99 ${p99(c)}`;
}

/** `iova aging [options]`. */
export async function agingCommand(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseAgingArgs>;
  let plan: StudyPlan;
  try {
    o = parseAgingArgs(argv);
    if (o.help) {
      process.stdout.write(agingHelp());
      return 0;
    }
    plan = planStudy(o);
  } catch (e) {
    process.stderr.write(`iova aging: ${(e as Error).message}\n\n${agingHelp()}`);
    return 2;
  }
  const dir = o.out ?? join("reports", `aging-${stamp(new Date())}`);
  try {
    prepareOutputDir("out", dir);  // before the run: an hour-long study never ends in a path it cannot write
  } catch (e) {
    process.stderr.write(`iova aging: ${(e as Error).message}\n`);
    return 2;
  }
  const parallel = o.parallel ?? Math.max(1, Math.min(availableParallelism(), plan.policies.length));
  const progress = new Progress(process.stderr, plan.policies);
  const interrupt = onInterrupt("iova aging");
  let study: Awaited<ReturnType<typeof runStudyToDir>>;
  try {
    study = await runStudyToDir({
      ...o,
      parallel,
      stop: interrupt.flag,
      onProgress: (policy, i, p) => progress.update(policy, i, p),
      onPolicyDone: (policy, i, r) => progress.done(policy, i, r),
    }, dir, plan);
  } finally {
    interrupt.dispose();
  }
  const { result, sims, paths, booksFailures } = study;
  const names = result.policies.map((p) => p.policy);
  const w = (s: string) => process.stdout.write(s + "\n");
  const c = result.meta.config as Record<string, unknown>;
  w("");
  for (const l of wrapCell(`load: ${c.jobs} jobs on ${c.cpus} CPUs, iodepth ${c.iodepth}, bs ${c.bs}, ${c.strict ? "strict" : "non-strict"}, ` +
    `completion ${c.completion}, ${Number(c.migrateMs) > 0 ? `migrate every ${c.migrateMs} ms (mean)` : "jobs pinned"}; ` +
    `${names.length} policies, ${parallel} at a time`, 80)) w(l);
  for (const l of wrapCell(`kernel eras: ${sims.map((r) => `${r.config.policy} ${r.config.era}`).join(", ")}${plan.era ? " (--era)" : ""}`, 80)) w(l);
  process.stdout.write(studyText(result));
  sims.forEach((r, i) => w(latencyLine(names[i]!, r)));
  w("");
  w(`report: ${paths.html}`);
  w(`        ${paths.json}`);
  w(`        ${paths.summary}`);
  if (interrupt.requested) {
    process.stderr.write(`\niova aging: interrupted: the report holds what ran (${names.length} of ${plan.policies.length} policies, ` +
      `${formatSeconds(result.meta.simulatedSeconds)} simulated at most)\n`);
  }
  if (o.ablations && !interrupt.requested) {
    const policies = o.policies ? [...o.policies] : ["linux-5.10", "adaptive"] as DepotPolicy[];
    process.stderr.write(`ablations: ${ABLATIONS.length} runs of ${policies.join(", ")}\n`);
    const runs = await runAblations({ ...o }, policies, parallel, (name) => process.stderr.write(`  ${name} done\n`));
    const text = reportTableText(ablationTable(runs));
    const file = join(dir, "ablations.txt");
    await writeFile(file, text);
    w("");
    process.stdout.write(text);
    w(`ablations: ${file}`);
  }
  if (booksFailures.length > 0) {
    process.stderr.write(`\niova aging: BOOKS DO NOT BALANCE for ${booksFailures.length} polic${booksFailures.length === 1 ? "y" : "ies"}:\n` +
      booksFailures.map((f) => `  ${f}\n`).join(""));
    return 1;
  }
  return interrupt.requested ? EXIT_INTERRUPTED : 0;
}
