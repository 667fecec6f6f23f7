// The study's verdict in plain words: which policies fell, the cache bound,
// and how the kernel's walk and the tree lock moved from the first tenth of
// the run to the last.
import { formatNumber } from "../report/format.js";
import type { PolicyResult, StudyResult } from "../report/types.js";
import type { PolicyEngineInfo } from "./run.js";

/** Mean of the first or last tenth of a series (at least one sample). */
export function tenth(a: readonly number[], last: boolean): number {
  if (a.length === 0) return NaN;
  const k = Math.max(1, Math.ceil(a.length * 0.1));
  const part = last ? a.slice(a.length - k) : a.slice(0, k);
  return part.reduce((x, y) => x + y, 0) / part.length;
}

export function verdict(result: StudyResult & { policies: Array<PolicyResult & { era?: string; engine?: PolicyEngineInfo }> }): string[] {
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
