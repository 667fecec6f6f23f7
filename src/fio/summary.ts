// The normal-format report, laid out as fio 3.x's stat.c prints it
// (show_thread_status_normal, show_ddir_status, display_lat,
// show_clat_percentiles, show_group_stats), plus our allocator lines.

import type { DirResult, IovaCounters, JobResult, LatencySummary } from './format.js';
import { fmtFixed, num2str } from './num2str.js';

const DIRS = ['read', 'write', 'trim'] as const;
type Dir = (typeof DIRS)[number];
// fio's defaults: kb_base 1024 (binary first, SI in parentheses), 4 significant figures.
const SIG = 4;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C's ctime() without the newline: "Mon Jul  3 22:30:33 2023" (local time). */
export function ctime(d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** display_lat(): one "min/max/avg/stdev" line, scaled to usec/msec as fio decides. */
function latLine(name: string, s: LatencySummary): string {
  let { min, max, mean, stdev } = s;
  let unit = 'nsec';
  for (const [div, u, minOver, maxOver] of [[1e6, 'msec', 2e6, 99_999_999], [1e3, 'usec', 2000, 99_999]] as const) {
    if (min > minOver && max > maxOver && stdev > div) {
      [min, max, mean, stdev, unit] = [Math.floor(min / div), Math.floor(max / div), mean / div, stdev / div, u];
      break;
    }
  }
  const n = (v: number): string => num2str(v, 6, 1, false, '');
  return `    ${name} (${unit}): min=${n(min)}, max=${n(max)}, avg=${fmtFixed(mean, 5, 2)}, stdev=${fmtFixed(stdev, 5, 2)}\n`;
}

/**
 * show_clat_percentiles(): "    clat percentiles (nsec):" then rows of
 * " |  1.00th=[ 1234]," entries, as many per line as fit in 80 columns.
 */
export function percentileBlock(label: string, percentiles: Record<string, number>): string {
  const keys = Object.keys(percentiles).sort((a, b) => Number(a) - Number(b));
  if (keys.length === 0) return '';
  const vals = keys.map((k) => percentiles[k]!);
  const minv = Math.min(...vals);
  const maxv = Math.max(...vals);
  let div = 1;
  let unit = 'nsec';
  if (minv > 2_000_000 && maxv > 99_999_999) [div, unit] = [1_000_000, 'msec'];
  else if (minv > 2000 && maxv > 99_999) [div, unit] = [1000, 'usec'];
  const precision = 2;
  const q = Math.floor(maxv / div);
  const width = Math.max(5, q > 0 ? Math.floor(Math.log10(q) + 1) : 0);
  const perLine = Math.floor((80 - 7) / (precision + 10 + width));
  let out = `    ${label} percentiles (${unit}):\n     |`;
  keys.forEach((k, j) => {
    if (j !== 0 && j % perLine === 0) out += '     |';
    let v = vals[j]!;
    for (let d = div; d > 1; d /= 1000) v = Math.floor((v + 999) / 1000); // fio rounds up per step
    const last = j === keys.length - 1;
    out += ` ${fmtFixed(Number(k), precision + 3, precision)}th=[${String(v).padStart(width)}]${last ? '\n' : ','}`;
    if (!last && j % perLine === perLine - 1) out += '\n';
  });
  return out;
}

const bwOf = (d: DirResult): number => (d.runtimeMs ? Math.floor((1000 * d.ioBytes) / d.runtimeMs) : 0);

/** Group aggregate bandwidth per direction (bytes/s), as __show_run_stats() computes it. */
function groupAgg(jobs: readonly JobResult[], dir: Dir): number {
  let bytes = 0;
  let maxRun = 0;
  for (const j of jobs) {
    const d = j[dir];
    if (!d?.runtimeMs) continue;
    bytes += d.ioBytes;
    maxRun = Math.max(maxRun, d.runtimeMs);
  }
  return maxRun ? Math.floor((bytes * 1000) / maxRun) : 0;
}

function dirStatus(name: Dir, d: DirResult, aggBytes: number): string {
  if (!d.runtimeMs) return '';
  const bw = bwOf(d);
  const iops = Math.floor((1000 * d.totalIos) / d.runtimeMs);
  let out = `  ${name}: IOPS=${num2str(iops, SIG, 1, false, '')}, BW=${num2str(bw, SIG, 1, true, 'B/s')} ` +
    `(${num2str(bw, SIG, 1, false, 'B/s')})(${num2str(d.ioBytes, SIG, 1, true, 'B')}/${d.runtimeMs}msec)\n`;
  if (d.slat?.samples) out += latLine('slat', d.slat);
  if (d.clat?.samples) out += latLine('clat', d.clat);
  if (d.lat?.samples) out += latLine(' lat', d.lat);
  // As fio: a block for each latency whose percentiles were asked for
  // (clat_percentiles, on by default; lat_percentiles, off by default).
  if (d.clat?.samples && Object.keys(d.clat.percentiles).length) out += percentileBlock('clat', d.clat.percentiles);
  if (d.lat?.samples && Object.keys(d.lat.percentiles).length) out += percentileBlock('lat', d.lat.percentiles);
  if (d.bwSamples?.samples) {
    const b = d.bwSamples;
    let [min, max, mean, dev, unit] = [b.min, b.max, b.mean, b.stdev, 'KiB'];
    if (mean > 1024 * 1024) [min, max, mean, dev, unit] = [min / 1024, max / 1024, mean / 1024, dev / 1024, 'MiB'];
    const per = aggBytes > 1024 ? (b.mean * 100) / (aggBytes / 1024) : 100;
    out += `   bw (${unit.padStart(5)}/s): min=${String(Math.floor(min)).padStart(5)}, max=${String(Math.floor(max)).padStart(5)}, ` +
      `per=${fmtFixed(per, 3, 2)}%, avg=${fmtFixed(mean, 5, 2)}, stdev=${fmtFixed(dev, 5, 2)}, samples=${b.samples}\n`;
  }
  if (d.iopsSamples?.samples) {
    const s = d.iopsSamples;
    out += `   iops        : min=${String(Math.floor(s.min)).padStart(5)}, max=${String(Math.floor(s.max)).padStart(5)}, ` +
      `avg=${fmtFixed(s.mean, 5, 2)}, stdev=${fmtFixed(s.stdev, 5, 2)}, samples=${s.samples}\n`;
  }
  return out;
}

const hitPct = (c: IovaCounters): number => {
  const total = c.cacheHits + c.cacheMisses;
  return total ? (100 * c.cacheHits) / total : 0;
};

function iovaCountLine(indent: string, c: IovaCounters): string {
  let s = `${indent}maps=${c.map.samples}, unmaps=${c.unmap.samples}, cachehit=${fmtFixed(hitPct(c), 3, 2)}%` +
    ` (${c.cacheHits}/${c.cacheHits + c.cacheMisses}), depot_full=${c.depotFullEvents}, tree=${c.treeSize}`;
  if (c.flushes !== undefined) s += `, flushes=${c.flushes}`;
  if (c.allocFailures !== undefined) s += `, failures=${c.allocFailures}`;
  return `${s}\n`;
}

/** Our block: counters, then map and unmap latencies in fio's latency style. */
function iovaStatus(c: IovaCounters): string {
  let out = iovaCountLine('  iova: ', c);
  for (const [name, s] of [['map', c.map], ['unmap', c.unmap]] as const) {
    if (!s.samples) continue;
    out += latLine(name, s) + percentileBlock(name, s.percentiles);
  }
  return out;
}

/** One job's block. `group` (the jobs of its group) feeds the bw "per=" share. */
export function jobSummary(job: JobResult, group: readonly JobResult[] = [job]): string {
  let out = `${job.name}: (groupid=${job.groupid}, jobs=${job.members}): err=${String(job.error).padStart(2)}: ` +
    `pid=${job.pid}: ${ctime(job.time)}\n`;
  for (const dir of DIRS) {
    const d = job[dir];
    if (d?.ioBytes) out += dirStatus(dir, d, groupAgg(group, dir));
  }
  if (job.iova) out += iovaStatus(job.iova);
  return out;
}

/** "Run status group N (all jobs):" with one line per direction, plus our IOVA totals. */
export function groupSummary(jobs: readonly JobResult[], groupid: number = jobs[0]?.groupid ?? 0): string {
  const members = jobs.filter((j) => j.groupid === groupid);
  let out = `\nRun status group ${groupid} (all jobs):\n`;
  const label: Record<Dir, string> = { read: '   READ', write: '  WRITE', trim: '   TRIM' };
  for (const dir of DIRS) {
    const ran = members.map((j) => j[dir]).filter((d): d is DirResult => !!d?.runtimeMs);
    if (ran.length === 0) continue;
    const bws = ran.map(bwOf);
    const runs = ran.map((d) => d.runtimeMs);
    const io = ran.reduce((a, d) => a + d.ioBytes, 0);
    const agg = groupAgg(members, dir);
    const b = (v: number, pow2: boolean, unit: 'B' | 'B/s'): string => num2str(v, SIG, 1, pow2, unit);
    const [mn, mx] = [Math.min(...bws), Math.max(...bws)];
    out += `${label[dir]}: bw=${b(agg, true, 'B/s')} (${b(agg, false, 'B/s')}), ` +
      `${b(mn, true, 'B/s')}-${b(mx, true, 'B/s')} (${b(mn, false, 'B/s')}-${b(mx, false, 'B/s')}), ` +
      `io=${b(io, true, 'B')} (${b(io, false, 'B')}), run=${Math.min(...runs)}-${Math.max(...runs)}msec\n`;
  }
  const iova = members.map((j) => j.iova).filter((c): c is IovaCounters => !!c);
  if (iova.length) {
    const sum = (f: (c: IovaCounters) => number | undefined): number => iova.reduce((a, c) => a + (f(c) ?? 0), 0);
    const opt = (f: (c: IovaCounters) => number | undefined): number | undefined =>
      iova.some((c) => f(c) !== undefined) ? sum(f) : undefined;
    const total: IovaCounters = {
      map: { ...iova[0]!.map, samples: sum((c) => c.map.samples) },
      unmap: { ...iova[0]!.unmap, samples: sum((c) => c.unmap.samples) },
      cacheHits: sum((c) => c.cacheHits),
      cacheMisses: sum((c) => c.cacheMisses),
      depotFullEvents: sum((c) => c.depotFullEvents),
      // One shared tree: the largest size any job saw, not a sum.
      treeSize: Math.max(...iova.map((c) => c.treeSize)),
    };
    const fl = opt((c) => c.flushes);
    const af = opt((c) => c.allocFailures);
    if (fl !== undefined) total.flushes = fl;
    if (af !== undefined) total.allocFailures = af;
    out += iovaCountLine('   IOVA: ', total);
  }
  return out;
}

/** The whole normal-format report: every job, then every group. */
export function normalReport(results: readonly JobResult[]): string {
  const groups = [...new Set(results.map((r) => r.groupid))].sort((a, b) => a - b);
  let out = '';
  for (const r of results) out += jobSummary(r, results.filter((x) => x.groupid === r.groupid));
  for (const g of groups) out += groupSummary(results, g);
  return out;
}
