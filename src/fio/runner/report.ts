// What `iova fio` prints around fio's own report (src/fio/summary.ts,
// json.ts): the job header before the run, and after the per-job blocks and
// the group summary, the domain-wide block (flush queue, cache, books).
import { PACKAGE_VERSION } from '../../version.js';
import { fmtFixed } from '../num2str.js';
import { jsonReport } from '../json.js';
import { normalReport } from '../summary.js';
import type { JobOptions } from '../options.js';
import { formatBlockSize, formatSize } from '../../load/values.js';
import type { Books, DomainSummary, RunOutcome } from './run.js';
import { groupIds } from './phases.js';

export const VERSION = `iova-wasm-${PACKAGE_VERSION}`;

/** fio's job header: "name: (g=0): rw=read, bs=..., ioengine=..., iodepth=N", "..." for clones. */
export function headerText(jobs: readonly JobOptions[], g: JobOptions, info: { threads: number; cpus: number; irq: number; clock: string }): string {
  let out = '';
  const gids = groupIds(jobs);
  jobs.forEach((j, k) => {
    out += `${j.name}: (g=${gids[k]}): rw=${j.rw}, bs=${formatBlockSize(j.bs)}, ioengine=iova (${g.mode}, ${g.policy}), ` +
      `iodepth=${j.iodepth}, completion=${j.completion}\n`;
    if (j.numjobs > 1) out += '...\n';
  });
  out += `${VERSION}\n`;
  const extra = info.irq ? `, +${info.irq} interrupt-only` : '';
  out += `Starting ${info.threads} thread${info.threads === 1 ? '' : 's'} (${info.cpus} CPU${info.cpus === 1 ? '' : 's'}${extra}, ${info.clock} clock)\n`;
  return out;
}

function pct(a: number, b: number): string {
  return b ? `${fmtFixed((100 * a) / b, 3, 2)}%` : '-';
}

/** The domain-wide block printed after "Run status group". */
export function domainText(d: DomainSummary, books: Books): string {
  const fq = d.flushQueue;
  let out = `\nIOVA domain (${d.clock} clock): policy=${d.policy}, era=${d.era}, mode=${d.mode}, cpus=${d.cpus}, granule=${formatSize(d.granule)}, ` +
    `workers=${d.workers}${d.irqWorkers ? ` (${d.irqWorkers} interrupt-only)` : ''}\n`;
  out += `  maps=${d.maps}, unmaps=${d.unmaps}, cachehit=${pct(d.cacheHits, d.cacheHits + d.cacheMisses)} ` +
    `(${d.cacheHits}/${d.cacheHits + d.cacheMisses}), depot_full=${d.depotFullEvents}, mags_to_tree=${d.magsFreedToTree}, ` +
    `tree_allocs=${d.treeAllocs}, tree_frees=${d.treeFrees}, alloc_failures=${d.allocFailures}\n`;
  out += `  ${d.clock === 'real' ? 'at end' : 'last sample'}: cpu_total=${d.cpuTotal} depot_total=${d.depotTotal} total=${d.cpuTotal + d.depotTotal} ` +
    `tree=${d.treeRanges} (max ${d.treeMax})\n`;
  if (d.mode === 'non-strict') {
    out += `  flush queue: size=${fq.size}, timeout=${fq.timeoutMs}ms, timer=${fq.timerFirings}, full=${fq.fullFlushes}, ` +
      `domain_flushes=${fq.domainFlushes}, iotlb=${fq.iotlbFlushes}, max_depth=${fq.maxDepth}\n`;
  } else {
    out += `  strict: iotlb=${fq.iotlbFlushes} (one per unmap)\n`;
  }
  const okText = d.clock === 'real'
    ? `every I/O unmapped, queues empty; after flushAll the tree holds ${books.rangesAfterFlush} ranges; check passed`
    : 'every I/O unmapped, queues empty; the tree holds exactly the cached pfns; check passed';
  out += books.ok
    ? `  books: ok (${okText})\n`
    : `  books: FAILED\n${books.problems.map((p) => `    ${p}\n`).join('')}`;
  return out;
}

export function normalText(o: RunOutcome): string {
  return normalReport(o.results) + domainText(o.domain, o.books);
}

/** fio's JSON document plus an "iova" object for the domain as a whole. */
export function jsonDocument(o: RunOutcome, plus: boolean, globalOptions: Record<string, string> = {}): Record<string, unknown> {
  const doc = jsonReport(o.results, {
    plus, version: VERSION, globalOptions: { ...globalOptions },
  });
  const d = o.domain;
  doc.iova = {
    clock: d.clock,
    policy: d.policy,
    era: d.era,
    mode: d.mode,
    cpus: d.cpus,
    workers: d.workers,
    irq_workers: d.irqWorkers,
    granule: d.granule,
    elapsed_ms: d.elapsedMs,
    ios: d.ios,
    maps: d.maps,
    unmaps: d.unmaps,
    cache_hits: d.cacheHits,
    cache_misses: d.cacheMisses,
    depot_full: d.depotFullEvents,
    mags_to_tree: d.magsFreedToTree,
    magazine_alloc_failures: d.magazineAllocFailures,
    tree_allocs: d.treeAllocs,
    tree_frees: d.treeFrees,
    cpu_total: d.cpuTotal,
    depot_total: d.depotTotal,
    tree_size: d.treeRanges,
    tree_max: d.treeMax,
    alloc_failures: d.allocFailures,
    flush_queue: {
      size: d.flushQueue.size,
      timeout_ms: d.flushQueue.timeoutMs,
      timer_firings: d.flushQueue.timerFirings,
      full_flushes: d.flushQueue.fullFlushes,
      domain_flushes: d.flushQueue.domainFlushes,
      iotlb_flushes: d.flushQueue.iotlbFlushes,
      max_depth: d.flushQueue.maxDepth,
    },
    interrupted: o.interrupted,
    books: { ok: o.books.ok, problems: o.books.problems, ranges_after_flush: o.books.rangesAfterFlush },
    ...(o.extra ? { [o.extra.key]: o.extra.value } : {}),
  };
  return doc;
}
