// Running the study: every policy's simulation, in this thread or in worker
// threads, assembled into the report's document (src/report/types.ts) plus
// the engine's own account of each run.
import { readFileSync } from "node:fs";
import { arch, cpus as hostCpus } from "node:os";
import type { DepotPolicy } from "../domain/policy.js";
import type { KernelEra } from "../domain/era.js";
import { summarize } from "../report/table.js";
import type { PolicyInstruments, PolicyResult, StudyReading, StudyResult } from "../report/types.js";
import { writeReport, type ReportPaths } from "../report/write.js";
import { simulate, type SimResult } from "../sim/engine.js";
import { configJson } from "../sim/options.js";
import { simulateAll } from "../sim/parallel.js";
import { calibrationTable, calibrationValues, type CalibrationValues } from "./calibration.js";
import { compressionLines } from "./compression.js";
import { planStudy, type StudyOptions, type StudyPlan } from "./options.js";
import { verdict } from "./verdict.js";

/** Per-policy figures beyond the report's series: the engine's own account. */
export interface PolicyEngineInfo {
  ios: number;
  wallSeconds: number;
  simIosPerWallSecond: number;
  /** Requests completed (a merged request carries several I/Os) per wall second of this run. */
  simRequestsPerWallSecond: number;
  booksOk: boolean;
  booksProblems: string[];
  counters: SimResult["counters"];
  latencyNs: SimResult["latency"];
  diagnostics: SimResult["diagnostics"];
  /** The thread's print_iova1/print_iova2 dumps: per CPU and order, and per order's depot. */
  dumps: SimResult["dumps"];
}

export type StudyPolicyResult = PolicyResult & { era: KernelEra; engine: PolicyEngineInfo };

export interface Study {
  result: StudyResult & { policies: StudyPolicyResult[]; reading: StudyReading; calibration: CalibrationValues | null };
  sims: SimResult[];
  /** Policies whose books did not balance after the drain, with the problems. */
  booksFailures: string[];
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function machine(): string {
  const list = hostCpus();
  return `${arch()}, ${list.length} cores${list[0] ? `, ${list[0].model.trim()}` : ""}`;
}

/** The per-sample figures the report draws, from the engine's diagnostics and samples (counts per second). */
function instrumentsOf(r: SimResult): PolicyInstruments {
  const d = r.diagnostics;
  const sm = r.samples;
  const perSec = (a: readonly number[]): number[] => a.map((v) => v / (r.config.intervalMs / 1000));
  const depotBusy = sm.locks.depot.length
    ? sm.locks.depot[0]!.busy.map((_, i) => sm.locks.depot.reduce((a, l) => a + (l.busy[i] ?? 0), 0))
    : [];
  return {
    walkPerTreeAlloc: d.walkPerTreeAlloc, treeLockBusy: d.treeLockBusy, mapLatencyMean: d.mapLatencyMean,
    treeLockWait: sm.locks.tree.wait, depotLockBusy: depotBusy, fqLockBusy: sm.locks.fq.busy,
    window32Used: sm.window32Used, lowestPfn32: sm.lowestPfn32,
    fastFails: perSec(sm.fastFails), failedWalks: perSec(sm.failedWalks), fallbacks64: perSec(sm.fallbacks64),
    requestsPerSecond: perSec(sm.requests),
  };
}

/** The kernel the thread ran: the calibration compares this policy's run. */
export const CALIBRATION_POLICY = "linux-5.10";

function policyResult(policy: DepotPolicy, r: SimResult): StudyPolicyResult {
  return {
    policy,
    era: r.config.era,
    series: r.series,
    summary: summarize(r.series, r.config.intervalMs / 1000),
    instruments: instrumentsOf(r),
    engine: {
      ios: r.counters.ios,
      wallSeconds: r.wallSeconds,
      simIosPerWallSecond: r.simIosPerWallSecond,
      simRequestsPerWallSecond: r.simRequestsPerWallSecond,
      booksOk: r.books.ok,
      booksProblems: r.books.problems,
      counters: r.counters,
      latencyNs: r.latency,
      diagnostics: r.diagnostics,
      dumps: r.dumps,
    },
  };
}

function assemble(plan: StudyPlan, sims: SimResult[], wallSeconds: number, interrupted = false): Study {
  const cfg = plan.configs[0]!;
  const { policy: _p, era: _e, ...shared } = configJson(cfg);
  const policies = sims.map((r, i) => policyResult(plan.policies[i]!, r));
  const calib = policies.find((p) => p.policy === CALIBRATION_POLICY);
  const calibration = calib ? calibrationValues(calib, cfg.cpus, plan.timeScale) : null;
  const reading: StudyReading = {
    verdict: verdict({ policies }),
    tables: calibration ? [calibrationTable(calibration, plan.timeScale)] : [],
    compression: compressionLines(plan.compression),
  };
  const ios = sims.reduce((a, r) => a + r.counters.ios + r.counters.drainedIos, 0);
  const requests = sims.reduce((a, r) => a + r.requests, 0);
  // Each run is one thread: I/Os over the sum of the runs' wall times are per core, however many ran at once.
  const simWall = sims.reduce((a, r) => a + r.wallSeconds, 0);
  // The sim threads' own on-CPU time: per core whatever else shares the machine (NaN where a thread could not tell it).
  const cpuSeconds = sims.reduce((a, r) => a + r.cpuSeconds, 0);
  return {
    result: {
      meta: {
        tool: "iova-wasm aging",
        version: version(),
        date: new Date().toISOString(),
        node: process.version,
        machine: machine(),
        seed: cfg.seed,
        simulatedSeconds: interrupted ? Math.max(0, ...sims.map((r) => r.simulatedSeconds)) : cfg.durationMs / 1000,
        wallSeconds,
        ...(interrupted ? { interrupted } : {}),
        speed: {
          ios, requests, ioSize: cfg.bsText, runWallSeconds: simWall,
          simIosPerWallSecond: ios / Math.max(simWall, 1e-9), simRequestsPerWallSecond: requests / Math.max(simWall, 1e-9),
          ...(Number.isFinite(cpuSeconds) ? { cpuSeconds, simIosPerCpuSecond: ios / Math.max(cpuSeconds, 1e-9) } : {}),
        },
        // era: the override every policy ran on, or null (each on its own: policies[].era).
        config: { ...shared, policies: plan.policies, era: plan.era, faithful: plan.faithful },
      },
      policies,
      reading,
      calibration,
    },
    sims,
    booksFailures: sims.flatMap((r, i) => (r.books.ok ? [] : [`${plan.policies[i]}: ${r.books.problems.join("; ")}`])),
  };
}

/**
 * Runs every policy in this thread, one after the other, and assembles the
 * study. `plan` defaults to planStudy(o); the hooks come from `o`.
 */
export function runStudy(o: StudyOptions = {}, plan: StudyPlan = planStudy(o)): Study {
  const wall0 = performance.now();
  const sims = plan.configs.map((cfg, i) => {
    const policy = plan.policies[i]!;
    const r = simulate(o.onProgress ? { ...cfg, onProgress: (p) => o.onProgress!(policy, i, p) } : cfg);
    o.onPolicyDone?.(policy, i, r);
    return r;
  });
  return assemble(plan, sims, (performance.now() - wall0) / 1000);
}

/** The same study with `o.parallel` policies at a time, each in a worker thread. */
export async function runStudyParallel(o: StudyOptions = {}, plan: StudyPlan = planStudy(o)): Promise<Study> {
  const wall0 = performance.now();
  const stop = o.stop;
  const sims = await simulateAll(stop ? plan.configs.map((c) => ({ ...c, stop })) : plan.configs, o.parallel ?? 1, {
    onProgress: (i, p) => o.onProgress?.(plan.policies[i]!, i, p),
    onDone: (i, r) => o.onPolicyDone?.(plan.policies[i]!, i, r),
  });
  const wall = (performance.now() - wall0) / 1000;
  if (!stop || Atomics.load(stop, 0) === 0) return assemble(plan, sims as SimResult[], wall);
  // Stopped: the study is what ran, the policies never started left out.
  const ran = plan.policies.flatMap((p, i) => (sims[i] ? [i] : []));
  const part: StudyPlan = { ...plan, policies: ran.map((i) => plan.policies[i]!), configs: ran.map((i) => plan.configs[i]!) };
  return assemble(part, ran.map((i) => sims[i]!), wall, true);
}

/**
 * Runs the study and writes study.json, study.html and summary.txt into `dir`.
 * `plan` is planStudy(o), for a caller that has checked the options already.
 */
export async function runStudyToDir(o: StudyOptions, dir: string, plan: StudyPlan = planStudy(o)): Promise<Study & { paths: ReportPaths }> {
  const study = (o.parallel ?? 1) > 1 || o.stop ? await runStudyParallel(o, plan) : runStudy(o, plan);
  const paths = await writeReport(study.result, dir);
  return { ...study, paths };
}
