// fio's --output-format=json / json+ document (stat.c show_thread_status_json,
// add_ddir_status_json, add_ddir_lat_json) for the fields we have, plus an
// "iova" object per job. json+ adds each latency's histogram "bins".

import type { DirResult, IovaCounters, JobResult, LatencySummary } from './format.js';
import { ctime } from './summary.js';

export interface JsonReportOptions {
  /** json+ : include histogram bins. */
  plus?: boolean;
  /** Goes where fio puts "fio-3.x". */
  version?: string;
  /** Report time (default: now). */
  now?: Date;
  /** fio's "global options": the option text given globally. */
  globalOptions?: Record<string, string>;
}

type Json = Record<string, unknown>;

function latJson(s: LatencySummary | undefined, plus: boolean): Json {
  if (!s || s.samples === 0) return { min: 0, max: 0, mean: 0, stddev: 0, N: 0 };
  const o: Json = { min: Math.floor(s.min), max: Math.floor(s.max), mean: s.mean, stddev: s.stdev, N: s.samples };
  if (Object.keys(s.percentiles).length) o.percentile = { ...s.percentiles };
  if (plus && s.bins) o.bins = { ...s.bins };
  return o;
}

function dirJson(d: DirResult | undefined, aggBytes: number, plus: boolean): Json {
  const runtime = d?.runtimeMs ?? 0;
  const ioBytes = d?.ioBytes ?? 0;
  const bwBytes = runtime ? Math.floor((1000 * ioBytes) / runtime) : 0;
  const b = d?.bwSamples;
  const i = d?.iopsSamples;
  return {
    io_bytes: ioBytes,
    io_kbytes: Math.floor(ioBytes / 1024),
    bw_bytes: bwBytes,
    bw: Math.floor(bwBytes / 1024),
    iops: runtime ? (1000 * (d?.totalIos ?? 0)) / runtime : 0,
    runtime,
    total_ios: d?.totalIos ?? 0,
    short_ios: 0,
    drop_ios: 0,
    slat_ns: latJson(d?.slat, plus),
    clat_ns: latJson(d?.clat, plus),
    lat_ns: latJson(d?.lat, plus),
    bw_min: b ? Math.floor(b.min) : 0,
    bw_max: b ? Math.floor(b.max) : 0,
    bw_agg: b ? (aggBytes > 1024 ? (b.mean * 100) / (aggBytes / 1024) : 100) : 0,
    bw_mean: b?.mean ?? 0,
    bw_dev: b?.stdev ?? 0,
    bw_samples: b?.samples ?? 0,
    iops_min: i ? Math.floor(i.min) : 0,
    iops_max: i ? Math.floor(i.max) : 0,
    iops_mean: i?.mean ?? 0,
    iops_stddev: i?.stdev ?? 0,
    iops_samples: i?.samples ?? 0,
  };
}

function iovaJson(c: IovaCounters, plus: boolean): Json {
  const lookups = c.cacheHits + c.cacheMisses;
  const o: Json = {
    map_ns: latJson(c.map, plus),
    unmap_ns: latJson(c.unmap, plus),
    cache_hits: c.cacheHits,
    cache_misses: c.cacheMisses,
    cache_hit_pct: lookups ? (100 * c.cacheHits) / lookups : 0,
    depot_full: c.depotFullEvents,
    tree_size: c.treeSize,
  };
  if (c.flushes !== undefined) o.flushes = c.flushes;
  if (c.allocFailures !== undefined) o.alloc_failures = c.allocFailures;
  return o;
}

/** Aggregate bytes/s of a group and direction (as in __show_run_stats). */
function agg(jobs: readonly JobResult[], groupid: number, dir: 'read' | 'write' | 'trim'): number {
  let bytes = 0;
  let maxRun = 0;
  for (const j of jobs) {
    const d = j[dir];
    if (j.groupid !== groupid || !d?.runtimeMs) continue;
    bytes += d.ioBytes;
    maxRun = Math.max(maxRun, d.runtimeMs);
  }
  return maxRun ? Math.floor((bytes * 1000) / maxRun) : 0;
}

export function jsonReport(results: readonly JobResult[], opts: JsonReportOptions = {}): Json {
  const now = opts.now ?? new Date();
  const plus = opts.plus ?? false;
  const root: Json = {
    'fio version': opts.version ?? 'iova-wasm',
    timestamp: Math.floor(now.getTime() / 1000),
    timestamp_ms: now.getTime(),
    time: ctime(now),
  };
  if (opts.globalOptions) root['global options'] = { ...opts.globalOptions };
  root.jobs = results.map((r) => {
    const job: Json = { jobname: r.name, groupid: r.groupid, error: r.error };
    if (r.options) job['job options'] = { ...r.options };
    for (const dir of ['read', 'write', 'trim'] as const) job[dir] = dirJson(r[dir], agg(results, r.groupid, dir), plus);
    if (r.iova) job.iova = iovaJson(r.iova, plus);
    return job;
  });
  return root;
}

/** The report as text, indented like fio's (one member per line). */
export function jsonText(results: readonly JobResult[], opts: JsonReportOptions = {}): string {
  return `${JSON.stringify(jsonReport(results, opts), null, 2)}\n`;
}
