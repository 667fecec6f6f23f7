// Summary table: one row builder shared by the terminal and HTML views, so
// both always print exactly the same numbers.
import { formatNumber, formatSeconds } from "./format.js";
import type { StudyResult } from "./types.js";

export { summarize, WINDOW_SECONDS, type SummaryInput } from "./summarize.js";

export const SUMMARY_HEADER = [
  "policy",
  "iops start",
  "iops end",
  "worst 10s",
  "peak cached",
  "peak tree",
  "cliff",
  "cliff at",
] as const;

/** Rows of display strings, one per policy, in SUMMARY_HEADER order. */
export function summaryRows(result: StudyResult): string[][] {
  return result.policies.map(({ policy, summary: s }) => [
    policy,
    formatNumber(s.iopsStart),
    formatNumber(s.iopsEnd),
    formatNumber(s.worst10s),
    formatNumber(s.peakCached),
    formatNumber(s.peakTree),
    s.cliff ? "yes" : "no",
    s.cliffAt === null ? "-" : formatSeconds(s.cliffAt),
  ]);
}

/** Plain-text table: policy names left-aligned, numbers right-aligned. */
export function summaryTable(result: StudyResult): string {
  // Control characters in a policy name would break the terminal layout.
  const clean = (cell: string): string => cell.replace(/[\x00-\x1f\x7f]/g, "?");
  const rows = [[...SUMMARY_HEADER], ...summaryRows(result).map((r) => r.map(clean))];
  const widths = SUMMARY_HEADER.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd();
  const sep = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join("\n") + "\n";
}
