// Summary table: one row builder shared by the terminal and HTML views, so
// both always print exactly the same numbers. The change columns (end vs
// start, worst vs start) say how far each policy fell; the terminal layout
// fits 80 columns.
import { formatNumber } from "./format.js";
import { textTable, wrapCell } from "./text-table.js";
import type { PolicySummary, ReportTable, StudyResult } from "./types.js";

export { summarize, WINDOW_SECONDS, type SummaryInput } from "./summarize.js";

/** Column headings in two stacked lines (terminal); joined with a space for HTML. */
export const SUMMARY_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ["", "policy"],
  ["iops", "start"],
  ["iops", "end"],
  ["end vs", "start"],
  ["worst", "10s"],
  ["worst vs", "start"],
  ["peak", "cached"],
  ["peak", "tree"],
];

export const SUMMARY_HEADER: readonly string[] = SUMMARY_COLUMNS.map(([a, b]) => (a ? `${a} ${b}` : b));

/** A relative change as a signed percentage: one decimal below 10%. */
export function formatChange(value: number, from: number): string {
  if (!(from > 0) || !Number.isFinite(value)) return "-";
  const c = 100 * (value / from - 1);
  const abs = Math.abs(c);
  const text = abs < 10 ? abs.toFixed(1) : abs.toFixed(0);
  if (Number(text) === 0) return "0%";
  return `${c < 0 ? "-" : "+"}${text}%`;
}

/** One row of display strings, in SUMMARY_HEADER order. */
export function summaryRow(policy: string, s: PolicySummary): string[] {
  return [
    policy,
    formatNumber(s.iopsStart),
    formatNumber(s.iopsEnd),
    formatChange(s.iopsEnd, s.iopsStart),
    formatNumber(s.worst10s),
    formatChange(s.worst10s, s.iopsStart),
    formatNumber(s.peakCached),
    formatNumber(s.peakTree),
  ];
}

/** Rows of display strings, one per policy, in SUMMARY_HEADER order. */
export function summaryRows(result: StudyResult): string[][] {
  return result.policies.map(({ policy, summary }) => summaryRow(policy, summary));
}

/** Plain-text table: policy names left-aligned, numbers right-aligned, within 80 columns. */
export function summaryTable(result: StudyResult): string {
  return textTable({
    header: [SUMMARY_COLUMNS.map((c) => c[0]), SUMMARY_COLUMNS.map((c) => c[1])],
    rows: summaryRows(result),
  });
}

/** A ReportTable as text: its title, the table, its notes; within `maxWidth` columns. */
export function reportTableText(t: ReportTable, maxWidth = 80): string {
  const notes = t.notes.flatMap((n) => wrapCell(n, maxWidth - 2)).map((n) => `  ${n}`).join("\n");
  return `${t.title}\n${textTable({ header: [t.header], rows: t.rows, maxWidth, alignRight: false })}${notes ? notes + "\n" : ""}`;
}
