// What the default run compresses relative to the thread's system, and by
// how much. `iova aging --faithful` runs the uncompressed model; the report
// prints these lines so a reader knows what is not the thread's.
import { formatNumber, formatSeconds } from "../report/format.js";
import { THREAD_OBSERVED } from "./thread.js";

/** Simulated seconds of the faithful run: up to the thread's last dump. */
export const FAITHFUL_SECONDS = THREAD_OBSERVED.dumps[THREAD_OBSERVED.dumps.length - 1]!.t;

export interface CompressionItem {
  /** What is compressed. */
  what: string;
  /** The thread's (faithful) value and this run's, as text. */
  faithful: string;
  run: string;
  /** faithful / run, when both are numbers (how many times shorter, smaller or faster). */
  factor: number | null;
}

/** The items a run with `seconds` of simulated time compresses (none for a faithful run). */
export function compressionOf(seconds: number, faithful: boolean): CompressionItem[] {
  if (faithful) return [];
  const items: CompressionItem[] = [];
  if (seconds < FAITHFUL_SECONDS) {
    items.push({
      what: "run length",
      faithful: `${formatSeconds(FAITHFUL_SECONDS)} (${formatNumber(FAITHFUL_SECONDS)} s, the thread's last dump)`,
      run: `${formatSeconds(seconds)}`,
      factor: FAITHFUL_SECONDS / seconds,
    });
  }
  return items;
}

/** The items as sentences for the report. */
export function compressionLines(items: readonly CompressionItem[]): string[] {
  return items.map((c) =>
    `${c.what}: ${c.run} instead of ${c.faithful}` + (c.factor !== null ? `, ${formatNumber(c.factor)}x ${c.what === "run length" ? "shorter" : "compressed"}.` : "."));
}
