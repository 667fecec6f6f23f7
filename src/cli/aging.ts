// `iova aging`: the command line of the long-term study (src/study/): its
// flags, a progress display, and the printed summary. docs/aging.md explains
// the default configuration and what it shows.
import { writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { DepotPolicy } from "../domain/policy.js";
import { parseFlat } from "../options/argv.js";
import { commandHelp } from "../options/help.js";
import { formatNumber, formatSeconds } from "../report/format.js";
import { fitToWidth, terminalColumns } from "./terminal.js";
import { studyText } from "../report/text.js";
import { wrapCell } from "../report/text-table.js";
import type { SimProgress } from "../sim/options.js";
import type { SimResult } from "../sim/engine.js";
import { reportTableText } from "../report/table.js";
import { EXIT_INTERRUPTED, onInterrupt } from "./interrupt.js";
import { prepareOutputDir } from "./output-path.js";
import { writeReport } from "../report/write.js";
import {
  ABLATIONS, ablationLegend, ablationRecords, ablationTables, planStudy, runAblations, runStudyToDir, STUDY_DEFAULTS,
  type StudyOptions, type StudyPlan,
} from "../study/index.js";

// ---------------------------------------------------------------- command line

export function agingHelp(): string {
  return commandHelp("study", [
    "usage: iova aging [options]", "",
    "Runs the same storage load under each depot policy on a virtual clock and",
    "writes a report (study.json, study.html, summary.txt). See docs/aging.md.",
  ]);
}

/** The options given (only those); every value checked by its row of the option table (src/options/table.ts). */
export function parseAgingArgs(argv: string[]): StudyOptions & { out?: string; help?: boolean; ablations?: boolean } {
  return parseFlat("study", argv) as StudyOptions & { out?: string; help?: boolean; ablations?: boolean };
}

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * One progress bar per policy on a terminal (a block of lines redrawn in
 * place, since policies may run side by side); plain lines elsewhere.
 */
export class Progress {
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
    // Each line cut to the terminal: a wrapped one would throw off the
    // cursor-up count and scroll the block on every redraw.
    const up = this.drawn ? `\x1b[${this.lines.length}A` : "";
    const columns = terminalColumns(this.stream);
    this.stream.write(up + this.lines.map((l) => `\r${fitToWidth(l, columns)}\x1b[K\n`).join(""));
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
      // Problems would be cut at the terminal's edge: the summary lists them.
      this.lines[index] = r.books.ok ? line : line.slice(0, line.indexOf("BOOKS DO NOT BALANCE") + "BOOKS DO NOT BALANCE".length);
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

/** Where `iova aging` writes: the terminal's streams, or a test's. */
export interface AgingIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * Everything `iova aging` checks before it runs: the options (each by its
 * row of the option table), the plan, and the output folder (made and
 * proved writable). An exit code when it stops there (0 for --help, 2 with
 * the message on stderr for a refusal), else what the run needs. The
 * in-process entry of the hostile-input suite (test/hostile-cli.test.ts).
 */
export function agingPreflight(argv: string[], io: AgingIo = process):
  { code: number } | { o: ReturnType<typeof parseAgingArgs>; plan: StudyPlan; dir: string } {
  let o: ReturnType<typeof parseAgingArgs>;
  let plan: StudyPlan;
  try {
    o = parseAgingArgs(argv);
    if (o.help) {
      io.stdout.write(agingHelp());
      return { code: 0 };
    }
    plan = planStudy(o);
  } catch (e) {
    io.stderr.write(`iova aging: ${(e as Error).message}\n\n${agingHelp()}`);
    return { code: 2 };
  }
  const dir = o.out ?? join("reports", `aging-${stamp(new Date())}`);
  try {
    prepareOutputDir("out", dir);  // before the run: an hour-long study never ends in a path it cannot write
  } catch (e) {
    io.stderr.write(`iova aging: ${(e as Error).message}\n`);
    return { code: 2 };
  }
  return { o, plan, dir };
}

/** `iova aging [options]`. */
export async function agingCommand(argv: string[]): Promise<number> {
  const pre = agingPreflight(argv);
  if ("code" in pre) return pre.code;
  const { o, plan, dir } = pre;
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
    `${Array.isArray(c.completionCpus) && c.completionCpus.length ? "completions on the controller's queue CPUs" : `completion ${c.completion}`}, ${Number(c.migrateMs) > 0 ? `migrate every ${c.migrateMs} ms (mean; an experiment)` : "jobs pinned"}; ` +
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
    const runs = await runAblations({ ...o }, policies, parallel, (name) => process.stderr.write(`  ${name} done\n`), study);
    const records = ablationRecords(runs, policies);
    const tables = ablationTables(records);
    const text = tables.map((t) => reportTableText(t)).join("\n") + "\n" +
      ablationLegend(records).flatMap((l) => wrapCell(l, 78).map((x, i) => (i === 0 ? "  " : "    ") + x)).join("\n") + "\n";
    const file = join(dir, "ablations.txt");
    await writeFile(file, text);
    // study.json, the HTML and summary.txt carry them too.
    result.ablations = records;
    result.reading?.tables.push(...tables);
    await writeReport(result, dir);
    w("");
    process.stdout.write(text);
    w(`ablations: ${file} (and in ${paths.json})`);
  }
  if (booksFailures.length > 0) {
    process.stderr.write(`\niova aging: BOOKS DO NOT BALANCE for ${booksFailures.length} polic${booksFailures.length === 1 ? "y" : "ies"}:\n` +
      booksFailures.map((f) => `  ${f}\n`).join(""));
    return 1;
  }
  return interrupt.requested ? EXIT_INTERRUPTED : 0;
}
