// The study as plain text: what the terminal prints and summary.txt holds,
// from one function so the two never differ. Every line fits 80 columns.
import { formatNumber, formatSeconds } from "./format.js";
import { reportTableText, summaryTable } from "./table.js";
import { wrapCell } from "./text-table.js";
import type { StudyMeta, StudyResult } from "./types.js";

/**
 * The simulator's speed in one sentence (the terminal, summary.txt and the
 * HTML): I/Os per second of the sim threads' own CPU time (the speed of one
 * core, issue 11's figure, whatever else shares the machine), then I/Os and
 * requests per wall second of one run, summed over the runs' own wall times:
 * runs made at once (--parallel) share the cores, so that one is not a
 * figure per core.
 */
export function speedLine(sp: NonNullable<StudyMeta["speed"]>): string {
  const io = sp.ioSize ? `one ${sp.ioSize} read` : "one fio block";
  const req = sp.requests
    ? `, ${formatNumber(sp.simRequestsPerWallSecond ?? 0)} requests per wall second (a request carries ` +
      `${(sp.ios / sp.requests).toFixed(2)} I/Os on average)`
    : "";
  const cpu = sp.simIosPerCpuSecond !== undefined && sp.cpuSeconds !== undefined
    ? `${formatNumber(sp.simIosPerCpuSecond)} simulated I/Os per CPU second of a core (${formatSeconds(sp.cpuSeconds)} on CPU); `
    : "";
  return `simulator speed: ${cpu}${formatNumber(sp.simIosPerWallSecond)} simulated I/Os per wall second of one run ` +
    `(a run is one thread; runs made at once share the cores; an I/O is ${io})${req}; ${formatNumber(sp.ios)} I/Os in ${formatSeconds(sp.runWallSeconds)} of run time`;
}

export function studyText(result: StudyResult): string {
  const m = result.meta;
  const out: string[] = [];
  const wrap = (s: string, indent = ""): void => {
    for (const [i, l] of wrapCell(s, 80 - indent.length).entries()) out.push((i ? indent : "") + l);
  };
  wrap(`${m.tool} ${m.version}  ${m.date}  seed ${m.seed}`);
  wrap(`simulated ${formatSeconds(m.simulatedSeconds)} per policy, wall ${formatSeconds(m.wallSeconds)}; ${m.machine}; node ${m.node}`, "  ");
  if (m.speed) wrap(speedLine(m.speed), "  ");
  out.push("");
  const r = result.reading;
  if (r && r.compression.length) {
    out.push("compressed (--faithful or --hours runs the thread's system as it was):");
    for (const c of r.compression) wrap(`  ${c}`, "    ");
    out.push("");
  }
  out.push(summaryTable(result).trimEnd(), "");
  if (r) {
    if (r.verdict.length) out.push(...r.verdict, "");
    for (const t of r.tables) out.push(reportTableText(t).trimEnd(), "");
  }
  return out.join("\n") + "\n";
}
