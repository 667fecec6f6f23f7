// The study's verdict in plain words, within 80 columns: which policies fell
// and whether they stayed down, the cache bound, and the figures that explain
// it (the kernel's walk, the tree lock, map latency) from the first tenth of
// the run to the last.
import { formatNumber } from "../report/format.js";
import { formatChange } from "../report/table.js";
import { wrapCell } from "../report/text-table.js";
import type { PolicyResult, StudyResult } from "../report/types.js";

/** Mean of the first or last tenth of a series (at least one sample). */
export function tenth(a: readonly number[], last: boolean): number {
  if (a.length === 0) return NaN;
  const k = Math.max(1, Math.ceil(a.length * 0.1));
  const part = last ? a.slice(a.length - k) : a.slice(0, k);
  return part.reduce((x, y) => x + y, 0) / part.length;
}

/** A fall is a loss of a quarter or more of the starting IOPS. */
export const FALL = 0.75;

export type Outcome = "fell and stayed down" | "fell, then recovered" | "held";

export function outcomeOf(p: PolicyResult): Outcome {
  const s = p.summary;
  if (!(s.iopsStart > 0)) return "held";
  if (s.iopsEnd < FALL * s.iopsStart) return "fell and stayed down";
  if (s.worst10s < FALL * s.iopsStart) return "fell, then recovered";
  return "held";
}

const WIDTH = 80;
const INDENT = 16;

function block(name: string, text: string): string[] {
  const lines = wrapCell(text, WIDTH - INDENT);
  return lines.map((l, i) => (i === 0 ? `  ${name.padEnd(INDENT - 2)}` : " ".repeat(INDENT)) + l);
}

const pct = (v: number): string => `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`;

export function verdict(result: { policies: Array<PolicyResult & { era?: string }> }): string[] {
  const lines: string[] = [];
  const by = (o: Outcome) => result.policies.filter((p) => outcomeOf(p) === o).map((p) => p.policy);
  const fell = by("fell and stayed down");
  const dipped = by("fell, then recovered");
  const head = [
    fell.length ? `fell and stayed down (end below ${FALL * 100}% of start): ${fell.join(", ")}` : "no policy ends below 75% of its starting IOPS",
    ...(dipped.length ? [`fell, then recovered (worst 10 s below 75%): ${dipped.join(", ")}`] : []),
  ];
  for (const h of head) lines.push(...wrapCell(h, WIDTH));
  for (const p of result.policies) {
    const s = p.summary;
    const parts = [
      `${p.era ? `(${p.era}) ` : ""}IOPS ${formatNumber(s.iopsStart)} -> ${formatNumber(s.iopsEnd)} (${formatChange(s.iopsEnd, s.iopsStart)}), ` +
        `worst 10 s ${formatNumber(s.worst10s)} (${formatChange(s.worst10s, s.iopsStart)}); `,
      `cached ${formatNumber(p.series.cachedTotal.at(-1) ?? 0)} IOVAs at the end (peak ${formatNumber(s.peakCached)})`,
    ];
    const ins = p.instruments;
    if (ins?.walkPerTreeAlloc?.length) {
      parts.push(`; walk ${formatNumber(tenth(ins.walkPerTreeAlloc, false))} -> ${formatNumber(tenth(ins.walkPerTreeAlloc, true))} nodes per tree alloc`);
    }
    if (ins?.treeLockBusy?.length) {
      parts.push(`; tree lock busy ${pct(tenth(ins.treeLockBusy, false))} -> ${pct(tenth(ins.treeLockBusy, true))}`);
    }
    if (ins?.mapLatencyMean?.length) {
      const us = (ns: number) => (ns / 1000).toFixed(ns < 10_000 ? 2 : 0);
      parts.push(`; mean map ${us(tenth(ins.mapLatencyMean, false))} -> ${us(tenth(ins.mapLatencyMean, true))} us`);
    }
    if (ins?.window32Used?.length) {
      const fb = ins.fallbacks64?.length ? tenth(ins.fallbacks64, true) : 0;
      parts.push(`; 32-bit space ${pct(Math.max(...ins.window32Used))} used at most` +
        (fb > 0 ? `, ${formatNumber(fb)} 64-bit fallbacks/s at the end` : ", no 64-bit fallback at the end"));
    }
    lines.push(...block(p.policy, parts.join("")));
  }
  return lines;
}
