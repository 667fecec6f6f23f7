// From what each job worker did to fio's per-job results, and fio's
// group_reporting: the jobs of a reporting group (fio's groupid, see
// phases.ts) folded into one result, "jobs=N", their histograms merged,
// their counts summed and their bandwidth samples added period by period.
import type { DirResult, JobResult, LatencySummary, SampleStats } from '../format.js';
import { LatencyHistogram } from '../../load/latency.js';
import { type JobOptions, optionText } from '../options.js';
import type { WorkerHists } from './worker.js';

/** One job clone's figures (or a group's, folded), before they become a JobResult. */
export interface JobRaw {
  name: string;
  groupid: number;
  /** Clones folded in. */
  members: number;
  /** Every clone posted its result. */
  ok: boolean;
  opts: JobOptions;
  runtimeMs: number;
  /** [read, write]. */
  ios: [number, number];
  bytes: [number, number];
  hists: WorkerHists | null;
  /** Per direction, one figure per sample period (KiB/s, IO/s). */
  bw: [number[], number[]];
  iops: [number[], number[]];
  hits: number;
  misses: number;
  depotFull: number;
  treeSize: number;
  allocFailures: number;
  flushes: number | undefined;
}

/** Structured clone drops the class; the fields are all there. */
function revive(h: LatencyHistogram): LatencyHistogram {
  return Object.setPrototypeOf(h, LatencyHistogram.prototype) as LatencyHistogram;
}

export function reviveAll(h: WorkerHists): WorkerHists {
  return {
    slat: [revive(h.slat[0]), revive(h.slat[1])], clat: [revive(h.clat[0]), revive(h.clat[1])],
    lat: [revive(h.lat[0]), revive(h.lat[1])], map: revive(h.map), unmap: revive(h.unmap),
  };
}

/** A histogram's figures, with `percentiles` (default: fio's list; [] for none). */
export function summarize(h: LatencyHistogram, percentiles?: readonly number[]): LatencySummary {
  return { ...h.stats(percentiles), bins: h.bins() };
}

export function sampleStats(xs: readonly number[]): SampleStats | undefined {
  if (xs.length === 0) return undefined;
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const m2 = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return {
    min: Math.min(...xs), max: Math.max(...xs), mean,
    stdev: xs.length > 1 ? Math.sqrt(m2 / (xs.length - 1)) : 0, samples: xs.length,
  };
}

const merged = (hs: LatencyHistogram[]): LatencyHistogram => hs.reduce((a, h) => a.merge(h), new LatencyHistogram());
const addSeries = (xs: number[][]): number[] =>
  Array.from({ length: Math.max(0, ...xs.map((x) => x.length)) }, (_, i) => xs.reduce((a, x) => a + (x[i] ?? 0), 0));

/** One result for the clones of a group: fio's sum_thread_stats() for what we count. */
function fold(group: readonly JobRaw[]): JobRaw {
  const first = group[0]!;
  const withHists = group.map((r) => r.hists).filter((h): h is WorkerHists => h !== null);
  const dir = (d: 0 | 1): [LatencyHistogram, LatencyHistogram, LatencyHistogram] =>
    [merged(withHists.map((h) => h.slat[d])), merged(withHists.map((h) => h.clat[d])), merged(withHists.map((h) => h.lat[d]))];
  const [s0, c0, l0] = dir(0);
  const [s1, c1, l1] = dir(1);
  const sum = (f: (r: JobRaw) => number): number => group.reduce((a, r) => a + f(r), 0);
  return {
    name: first.name, groupid: first.groupid, members: sum((r) => r.members), ok: group.every((r) => r.ok), opts: first.opts,
    runtimeMs: Math.max(...group.map((r) => r.runtimeMs)),
    ios: [sum((r) => r.ios[0]), sum((r) => r.ios[1])], bytes: [sum((r) => r.bytes[0]), sum((r) => r.bytes[1])],
    hists: withHists.length === 0 ? null : {
      slat: [s0, s1], clat: [c0, c1], lat: [l0, l1],
      map: merged(withHists.map((h) => h.map)), unmap: merged(withHists.map((h) => h.unmap)),
    },
    bw: [addSeries(group.map((r) => r.bw[0])), addSeries(group.map((r) => r.bw[1]))],
    iops: [addSeries(group.map((r) => r.iops[0])), addSeries(group.map((r) => r.iops[1]))],
    hits: sum((r) => r.hits), misses: sum((r) => r.misses), depotFull: sum((r) => r.depotFull),
    // One shared tree: the largest size any of them saw.
    treeSize: Math.max(...group.map((r) => r.treeSize)),
    allocFailures: sum((r) => r.allocFailures),
    flushes: first.flushes === undefined ? undefined : sum((r) => r.flushes ?? 0),
  };
}

/** Folds every group whose jobs ask for group_reporting (fio takes it from the group's first job). */
export function foldGroups(raws: readonly JobRaw[]): JobRaw[] {
  const out: JobRaw[] = [];
  const done = new Set<number>();
  for (const r of raws) {
    if (!r.opts.groupReporting) out.push(r);
    else if (!done.has(r.groupid)) {
      done.add(r.groupid);
      out.push(fold(raws.filter((x) => x.groupid === r.groupid)));
    }
  }
  return out;
}

export function jobResult(raw: JobRaw, time: Date): JobResult {
  const o = raw.opts;
  const res: JobResult = {
    name: raw.name, groupid: raw.groupid, members: raw.members, error: raw.ok ? 0 : 1, pid: process.pid, time,
    options: optionText(o, 'job'),
  };
  const h = raw.hists;
  for (const [d, dir] of [[0, 'read'], [1, 'write']] as const) {
    if (raw.ios[d] === 0) continue;
    const dr: DirResult = { ioBytes: raw.bytes[d], totalIos: raw.ios[d], runtimeMs: raw.runtimeMs };
    if (h) {
      dr.slat = summarize(h.slat[d]);
      // percentile_list, clat_percentiles, lat_percentiles: which percentiles the report shows.
      dr.clat = summarize(h.clat[d], o.clatPercentiles ? o.percentileList : []);
      dr.lat = summarize(h.lat[d], o.latPercentiles ? o.percentileList : []);
    }
    const bws = sampleStats(raw.bw[d]);
    const iops = sampleStats(raw.iops[d]);
    if (bws) dr.bwSamples = bws;
    if (iops) dr.iopsSamples = iops;
    res[dir] = dr;
  }
  const empty = summarize(new LatencyHistogram());
  res.iova = {
    map: h ? summarize(h.map) : empty, unmap: h ? summarize(h.unmap) : empty,
    cacheHits: raw.hits, cacheMisses: raw.misses, depotFullEvents: raw.depotFull, treeSize: raw.treeSize,
    allocFailures: raw.allocFailures,
  };
  if (raw.flushes !== undefined) res.iova.flushes = raw.flushes;
  return res;
}
