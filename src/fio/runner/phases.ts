// fio's stonewall, new_group and group numbering, as the orchestration of
// real-clock runs: the jobs split into phases at each stonewall (a phase
// starts when every job before it has finished, as fio's wait_for_previous),
// all phases on one domain, so that what the caches and the tree hold at the
// end of one phase is what the next one starts with. Reporting groups
// follow fio's add_job(): a stonewall or new_group starts a new group (once
// some job came before). The per-I/O work is the workers' (worker.ts); this
// file only decides which jobs run together and how they are reported.
import { availableParallelism } from 'node:os';
import type { JobOptions } from '../options.js';
import { makePlan, type RunPlan } from './plan.js';
import { closeDomain, openDomain, runReal, type DomainSummary, type RunInput, type RunOutcome } from './run.js';

/** fio's groupid of each job: +1 at a stonewall or new_group after the first job. */
export function groupIds(jobs: readonly JobOptions[]): number[] {
  let g = 0;
  return jobs.map((j, i) => (i > 0 && (j.stonewall || j.newGroup) ? ++g : g));
}

/** Indices of the jobs of each phase: a new phase at each stonewall after the first job. */
export function phasesOf(jobs: readonly JobOptions[]): number[][] {
  const out: number[][] = [];
  jobs.forEach((j, i) => {
    if (i === 0 || j.stonewall) out.push([]);
    out[out.length - 1]!.push(i);
  });
  return out;
}

/** CPUs of the run's one domain: --cpus, else one per clone of the largest phase. */
export function runCpus(jobs: readonly JobOptions[], cpus: number | undefined): number {
  return cpus ?? Math.max(...phasesOf(jobs).map((p) => p.reduce((a, i) => a + jobs[i]!.numjobs, 0)));
}

/** The plan of each phase (checks every job before anything runs). */
export function phasePlans(input: { jobs: readonly JobOptions[]; global: JobOptions; cpus?: number; hostCores: number }): RunPlan[] {
  const phases = phasesOf(input.jobs);
  const cpus = phases.length > 1 ? runCpus(input.jobs, input.cpus) : input.cpus;
  return phases.map((p) => makePlan({ ...input, jobs: p.map((i) => input.jobs[i]!), ...(cpus !== undefined ? { cpus } : {}) }));
}

/** Sums the domain figures of consecutive phases (the end state is the last phase's). */
function addSummaries(a: DomainSummary, b: DomainSummary): DomainSummary {
  const fq = a.flushQueue;
  const fb = b.flushQueue;
  return {
    ...b,
    workers: Math.max(a.workers, b.workers), irqWorkers: Math.max(a.irqWorkers, b.irqWorkers),
    elapsedMs: a.elapsedMs + b.elapsedMs, ios: a.ios + b.ios, maps: a.maps + b.maps, unmaps: a.unmaps + b.unmaps,
    cacheHits: a.cacheHits + b.cacheHits, cacheMisses: a.cacheMisses + b.cacheMisses,
    depotFullEvents: a.depotFullEvents + b.depotFullEvents, magsFreedToTree: a.magsFreedToTree + b.magsFreedToTree,
    magazineAllocFailures: a.magazineAllocFailures + b.magazineAllocFailures,
    treeAllocs: a.treeAllocs + b.treeAllocs, treeFrees: a.treeFrees + b.treeFrees, treeMax: Math.max(a.treeMax, b.treeMax),
    flushQueue: {
      ...fb, timerFirings: fq.timerFirings + fb.timerFirings, fullFlushes: fq.fullFlushes + fb.fullFlushes,
      domainFlushes: fq.domainFlushes + fb.domainFlushes, iotlbFlushes: fq.iotlbFlushes + fb.iotlbFlushes,
      maxDepth: Math.max(fq.maxDepth, fb.maxDepth),
    },
    allocFailures: a.allocFailures + b.allocFailures,
  };
}

/**
 * Every job, phase after phase, on one domain; an abort (Ctrl-C) ends the
 * phase running and skips the rest. One phase is runReal itself.
 */
export async function runPhases(input: RunInput): Promise<RunOutcome> {
  const gids = groupIds(input.jobs);
  const phases = phasesOf(input.jobs);
  if (phases.length === 1) return runReal({ ...input, groupIds: gids });
  const hostCores = input.hostCores ?? availableParallelism();
  const cpus = runCpus(input.jobs, input.cpus);
  // One domain for all phases, with the slabs of the largest of them.
  const plans = phasePlans({ ...input, cpus, hostCores });
  const domain = openDomain(plans[0]!, {
    maxRanges: Math.max(...plans.map((p) => p.maxRanges)), maxMagazines: Math.max(...plans.map((p) => p.maxMagazines)),
    workers: Math.max(...plans.map((p) => p.workers.length)),
  });
  const used = new Set<number>();
  let total: RunOutcome | undefined;
  for (const [k, idx] of phases.entries()) {
    if (k > 0 && input.signal?.aborted) break;
    const o = await runReal({
      ...input, jobs: idx.map((i) => input.jobs[i]!), groupIds: idx.map((i) => gids[i]!), cpus, domain, hostCores,
      domainTimeMs: total?.domain.elapsedMs ?? 0,
    });
    plans[k]!.cpuWorkers.forEach((ws, c) => { if (ws.length) used.add(c); });
    total = total === undefined ? o : {
      ...o,
      results: [...total.results, ...o.results],
      domain: addSummaries(total.domain, o.domain),
      books: { ...o.books, ok: total.books.ok && o.books.ok, problems: [...total.books.problems, ...o.books.problems] },
      interrupted: total.interrupted || o.interrupted,
      error: total.error ?? o.error,
    };
    if (o.error) break;
  }
  const closed = closeDomain(domain, used);
  const books = total!.books;
  return {
    ...total!,
    plan: null,
    books: {
      ok: books.ok && closed.problems.length === 0, problems: [...books.problems, ...closed.problems],
      rangesAfterFlush: closed.rangesAfterFlush, checkError: closed.checkError,
    },
  };
}
