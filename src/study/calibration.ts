// "Thread vs this run": the thread's observations next to the same
// quantities computed from one policy's own series (the kernel the thread
// ran: linux-5.10). Nothing here is looked up from anything but the series.
import { geometryOf, policyArg } from "../domain/policy.js";
import { formatNumber, formatSeconds } from "../report/format.js";
import { formatChange } from "../report/table.js";
import type { PolicyResult, ReportTable } from "../report/types.js";
import { THREAD_OBSERVED } from "./thread.js";
import { tenth } from "./verdict.js";

/** The figures of the table as numbers (what the test and study.json read). */
export interface CalibrationValues {
  policy: string;
  iopsStart: number;
  iopsEnd: number;
  /** Requests mapped per second (IOVA allocations) over the first tenth, and I/Os per request; null if not recorded. */
  requestsStart: number | null;
  iosPerRequest: number | null;
  worst10s: number;
  /** One per thread dump: the sample the run compares with it. */
  dumps: Array<{
    threadT: number;
    /** Simulated seconds of the sample used: the thread time / timeScale, or the run's last sample if it ends sooner. */
    runT: number;
    reached: boolean;
    cpuTotal: number;
    depotTotal: number;
    total: number;
  }>;
  /** Per size order, the first time its depot held its bound (null: never, or unbounded). */
  depotFullAt: Array<number | null>;
  depotBound: number | null;
  /** First time the 10 s mean fell below half the start (the summary's cliffAt). */
  onsetAt: number | null;
}

/** Index of the last sample at or before `t` (0 if none). */
function sampleAt(t: readonly number[], at: number): number {
  let i = 0;
  while (i + 1 < t.length && t[i + 1]! <= at + 1e-9) i++;
  return i;
}

/**
 * The calibration figures of one policy's run. `timeScale` is how many of the
 * thread's seconds one simulated second stands for (1 when nothing is
 * compressed).
 */
export function calibrationValues(p: PolicyResult, cpus: number, timeScale = 1): CalibrationValues {
  const s = p.series;
  const last = s.t.length - 1;
  const dumps = THREAD_OBSERVED.dumps.map((d) => {
    const want = d.t / timeScale;
    const reached = last >= 0 && s.t[last]! >= want - 1e-9;
    const i = reached ? sampleAt(s.t, want) : Math.max(0, last);
    return {
      threadT: d.t, runT: s.t[i] ?? 0, reached,
      cpuTotal: s.cpuTotal[i] ?? 0, depotTotal: s.depotTotal[i] ?? 0, total: s.cachedTotal[i] ?? 0,
    };
  });
  let bound: number | null = null;
  try {
    const geo = geometryOf(policyArg(p.policy), cpus);
    bound = Number.isFinite(geo.depotMax) ? geo.depotMax : null;
  } catch {
    bound = null;
  }
  const depotFullAt = s.depotMags.map((mags) => {
    if (bound === null) return null;
    const i = mags.findIndex((m) => m >= bound!);
    return i < 0 ? null : s.t[i]!;
  });
  const req = p.instruments?.requestsPerSecond;
  const requestsStart = req?.length ? tenth(req, false) : null;
  return {
    policy: p.policy,
    requestsStart,
    iosPerRequest: requestsStart ? tenth(s.iops, false) / requestsStart : null,
    iopsStart: p.summary.iopsStart,
    iopsEnd: p.summary.iopsEnd,
    worst10s: p.summary.worst10s,
    dumps,
    depotFullAt,
    depotBound: bound,
    onsetAt: p.summary.cliffAt,
  };
}

function fillText(v: CalibrationValues): string {
  if (v.depotBound === null) return "unbounded depot: no bins to fill";
  const full = v.depotFullAt.filter((x): x is number => x !== null);
  if (full.length === 0) return `no bin full (bound ${v.depotBound} magazines)`;
  const first = Math.min(...full);
  const lastT = Math.max(...full);
  return full.length === v.depotFullAt.length
    ? `all ${full.length} full, first at ${formatSeconds(first)}, all by ${formatSeconds(lastT)}`
    : `${full.length} of ${v.depotFullAt.length} full, first at ${formatSeconds(first)}`;
}

/** The table as the report prints and stores it. */
export function calibrationTable(v: CalibrationValues, timeScale = 1): ReportTable {
  const o = THREAD_OBSERVED;
  const k = (n: number): string => formatNumber(n);
  const at = (d: CalibrationValues["dumps"][number]): string =>
    d.reached ? (timeScale === 1 ? "" : ` (at ${formatSeconds(d.runT)})`) : ` (run ends at ${formatSeconds(d.runT)})`;
  const rows: string[][] = [
    ["IOPS before (4 KiB reads)", `${k(o.iopsBefore.lo)}-${k(o.iopsBefore.hi)}`, k(v.iopsStart)],
    ["requests (IOVAs) a second", "-",
      v.requestsStart === null ? "-" : `${k(v.requestsStart)} (${v.iosPerRequest!.toFixed(2)} reads each)`],
    ["IOPS after", `${k(o.iopsAfter.lo)}-${k(o.iopsAfter.hi)}`, `${k(v.iopsEnd)} (${formatChange(v.iopsEnd, v.iopsStart)})`],
    ["worst 10 s", "-", `${k(v.worst10s)} (${formatChange(v.worst10s, v.iopsStart)})`],
  ];
  o.dumps.forEach((d, i) => {
    const r = v.dumps[i]!;
    rows.push([
      `cpu/depot/total at ${d.t.toLocaleString("en-US")} s`,
      `${k(d.cpuTotal)} / ${k(d.depotTotal)} / ${k(d.total)}`,
      `${k(r.cpuTotal)} / ${k(r.depotTotal)} / ${k(r.total)}${at(r)}`,
    ]);
  });
  rows.push(["depot bins fill", "all six by 83,483 s (24,476 of 24,576 IOVAs)", fillText(v)]);
  rows.push(["onset of the fall", o.onset,
    v.onsetAt === null ? "none: the 10 s mean never fell below half the start" : `${formatSeconds(v.onsetAt)} (10 s mean below half the start)`]);
  const notes = [
    `this run: ${v.policy}, computed from its own series`,
    timeScale === 1
      ? "times are the thread's seconds (not scaled)"
      : `one simulated second stands for ${formatNumber(timeScale)} of the thread's (compressed: see the compression note)`,
  ];
  return { title: "thread vs this run", header: ["quantity", "thread (v5.10)", "this run"], rows, notes };
}
