// What each mechanism contributes: the same study with one mechanism switched
// off (or, for migration, on) at a time, next to the run as the thread had it.
// Every row is a set of study options (data): the engine's switches default
// to the kernel's behaviour, and each row changes one.
import { formatNumber } from "../report/format.js";
import { formatChange } from "../report/table.js";
import type { ReportTable } from "../report/types.js";
import { DEFAULT_COSTS } from "../sim/costs.js";
import type { DepotPolicy } from "../domain/policy.js";
import { UNBOUNDED_DEPOT_ROOM } from "../domain/policy.js";
import type { StudyOptions } from "./options.js";
import { runStudyParallel, type Study, type StudyPolicyResult } from "./run.js";
import { tenth } from "./verdict.js";

export interface Ablation {
  name: string;
  /** The mechanism this run changes. */
  change: string;
  options: Partial<StudyOptions>;
}

/** The hot-cache tree figures of the engine's defaults (one thread, a small hot tree). */
const HOT_TREE = {
  walkNodeNs: DEFAULT_COSTS.walkNodeNs, treeAllocNs: DEFAULT_COSTS.treeAllocNs, treeFreeNs: DEFAULT_COSTS.treeFreeNs,
};

/** The name of the baseline row: nothing changed. */
export const BASELINE = "as the thread";

export const ABLATIONS: readonly Ablation[] = [
  { name: BASELINE, change: "nothing", options: {} },
  { name: "strict", change: "no flush queue: strict unmap", options: { strict: true } },
  // v5.10 iova.c fq_flush_timeout: for_each_possible_cpu fq_ring_free, every IOVA into the timer CPU's magazines.
  { name: "per-CPU drain", change: "the flush-queue timer drains each CPU's ring on that CPU, into its own caches (not all on the timer's CPU)",
    options: { fqTimerDrain: "own-cpu" } },
  { name: "same-CPU complete", change: "completions on the submitting CPU (not the controller's queue CPUs)", options: { completion: "same" } },
  { name: "no dma32", change: "no 32-bit-first try: 64-bit space only", options: { dma32First: false } },
  { name: "no PCI window", change: "the host bridge window not reserved (the same 32-bit pfns usable)", options: { pciWindow: false } },
  { name: "no too-big", change: "no sizes above the cached orders (all 4 KiB)", options: { bs: "4k" } },
  // v5.10 __iova_rcache_insert: a full depot sends the loaded magazine to the tree (iova_magazine_free_pfns).
  { name: "no depot-full", change: `depot bound ${UNBOUNDED_DEPOT_ROOM.toLocaleString("en-US")} magazines per order (v5.10: 32), the depot-full path out of reach`,
    options: { depotMax: UNBOUNDED_DEPOT_ROOM } },
  { name: "no tree wait", change: "iova_rbtree_lock uncontended: its holds overlap, each still costs its time", options: { contendedLocks: ["depot", "fq"] } },
  { name: "no depot wait", change: "the depot locks (rcache->lock) uncontended", options: { contendedLocks: ["tree", "fq"] } },
  { name: "no fq wait", change: "the flush-queue locks (fq->lock) uncontended", options: { contendedLocks: ["tree", "depot"] } },
  // Only where the engine models lock hand-offs.
  ...("lockHandoffNs" in DEFAULT_COSTS
    ? [{ name: "no hand-off cost", change: "lock hand-offs free (same and other socket)", options: { costs: { lockHandoffNs: 0, lockHandoffRemoteNs: 0 } as StudyOptions["costs"] } }]
    : []),
  { name: "hot tree", change: "hot-cache tree costs instead of cold-tree ones", options: { costs: HOT_TREE } },
  { name: "migration 1 s", change: "jobs migrate every 1 s (mean)", options: { migrateMs: 1000 } },
  // The era's tree and flush path for every policy: the v5.10 search (no retry from the top) or the v6.x one.
  { name: "v5.10 tree", change: "every policy on the v5.10 tree and flush path", options: { era: "v5.10" } },
  { name: "v6.x tree", change: "every policy on the v6.x tree and flush path", options: { era: "v6.x" } },
  // An experiment, not the thread: 4,096 pfns are fewer than the model's own footprint below 4 GiB
  // (about 6.4K pfns: caches, flush queues, I/Os in flight), so the window is full from the start.
  { name: "window full", change: "32-bit space of 4,096 pfns (16 MiB), below the model's footprint: full from the start", options: { dma32Pfns: 4096 } },
];

export interface AblationRun {
  ablation: Ablation;
  study: Study;
}

/**
 * Runs every ablation of `base` for `policies`, `parallel` simulations at a
 * time. `baseline`, a study already run with `base` for (at least) these
 * policies, stands for the first row instead of running it again.
 */
export async function runAblations(base: StudyOptions, policies: DepotPolicy[], parallel: number,
  onDone?: (name: string) => void, baseline?: Study): Promise<AblationRun[]> {
  const out: AblationRun[] = [];
  for (const a of ABLATIONS) {
    if (a.name === BASELINE && baseline && policies.every((p) => baseline.result.policies.some((r) => r.policy === p))) {
      out.push({ ablation: a, study: baseline });
      onDone?.(a.name);
      continue;
    }
    const costs = a.options.costs ? { ...base.costs, ...a.options.costs } : base.costs;
    const study = await runStudyParallel({ ...base, ...a.options, costs, policies, parallel, onProgress: undefined, onPolicyDone: undefined, stop: undefined });
    out.push({ ablation: a, study });
    onDone?.(a.name);
  }
  return out;
}

/** One run's figures, as study.json stores them and the table prints them. */
// A type, not an interface: study.json's record (src/report/types.ts) takes it as a map of numbers.
export type AblationFigures = {
  /** Mean IOPS over the run, and its change from the baseline's (fraction; null on the baseline). */
  iops: number;
  iopsVsBase: number | null;
  /** Last tenth's IOPS against the first tenth's (fraction). */
  endVsStart: number;
  peakCached: number;
  cachedVsBase: number | null;
  /** Depot-full events (a full magazine found its depot full), over the run. */
  depotFills: number;
  /** Flush-queue entries freed on another CPU than the one that queued them. */
  fqForeignFrees: number;
  /** Over the last tenth: nodes walked per tree allocation, and the tree lock's busy share. */
  walk: number | null;
  treeLockBusy: number | null;
  /** Map latency over the run, us. */
  mapMeanUs: number;
  mapMaxUs: number;
};

export interface AblationRecord {
  name: string;
  change: string;
  options: Partial<StudyOptions>;
  /** Per policy, in the order run. */
  policies: Array<{ policy: string; era: string; figures: AblationFigures }>;
}

const mean = (a: readonly number[]): number => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN);
const vs = (v: number, base: number | undefined): number | null => (base !== undefined && base > 0 ? v / base - 1 : null);

function figuresOf(p: StudyPolicyResult, base?: StudyPolicyResult): AblationFigures {
  const ins = p.instruments ?? {};
  const iops = mean(p.series.iops);
  return {
    iops,
    iopsVsBase: base && base !== p ? vs(iops, mean(base.series.iops)) : null,
    endVsStart: p.summary.iopsStart > 0 ? p.summary.iopsEnd / p.summary.iopsStart - 1 : NaN,
    peakCached: p.summary.peakCached,
    cachedVsBase: base && base !== p ? vs(p.summary.peakCached, base.summary.peakCached) : null,
    depotFills: p.engine.counters.depotFullEvents,
    fqForeignFrees: p.engine.counters.fqForeignFrees,
    walk: ins.walkPerTreeAlloc?.length ? tenth(ins.walkPerTreeAlloc, true) : null,
    treeLockBusy: ins.treeLockBusy?.length ? tenth(ins.treeLockBusy, true) : null,
    mapMeanUs: p.engine.latencyNs.map.mean / 1000,
    mapMaxUs: p.engine.latencyNs.map.max / 1000,
  };
}

/** Every run's figures against the baseline's of the same policy (for study.json). */
export function ablationRecords(runs: readonly AblationRun[], policies: readonly string[]): AblationRecord[] {
  const baseRun = runs.find((r) => r.ablation.name === BASELINE);
  const baseOf = (policy: string) => (baseRun?.study.result.policies as StudyPolicyResult[] | undefined)?.find((p) => p.policy === policy);
  return runs.map(({ ablation, study }) => ({
    name: ablation.name,
    change: ablation.change,
    options: ablation.options,
    policies: (study.result.policies as StudyPolicyResult[]).filter((p) => policies.includes(p.policy)).map((p) => ({
      policy: p.policy, era: p.era, figures: figuresOf(p, baseOf(p.policy)),
    })),
  }));
}

const pct = (f: number | null): string => (f === null || !Number.isFinite(f) ? "-" : formatChange(1 + f, 1));

/**
 * One table per policy: a row per ablation with its IOPS and peak cached
 * pfns and their change against the baseline, the depot fills, the walk
 * and the tree lock's busy share at the end, the mean map latency.
 */
export function ablationTables(records: readonly AblationRecord[]): ReportTable[] {
  const policies = [...new Set(records.flatMap((r) => r.policies.map((p) => p.policy)))];
  return policies.map((policy) => ({
    title: `ablations, ${policy}: one mechanism changed at a time`,
    header: ["run", "iops", "vs base", "cached", "vs base", "fills", "walk", "lock", "map us"],
    rows: records.flatMap((r) => r.policies.filter((p) => p.policy === policy).map(({ figures: f }) => [
      r.name, formatNumber(f.iops), pct(f.iopsVsBase), formatNumber(f.peakCached), pct(f.cachedVsBase),
      formatNumber(f.depotFills), f.walk === null ? "-" : formatNumber(f.walk),
      f.treeLockBusy === null ? "-" : `${(100 * f.treeLockBusy).toFixed(0)}%`, formatNumber(f.mapMeanUs),
    ])),
    notes: [
      "iops: mean over the run; cached: peak pfns; vs base: the change against the first row; fills: depot-full " +
        "events; walk: nodes per tree allocation and lock: iova_rbtree_lock busy, both over the last tenth; " +
        "map us: mean map latency",
    ],
  }));
}

/** What each row changes, printed once under the tables. */
export function ablationLegend(records: readonly AblationRecord[]): string[] {
  return records.map((r) => `${r.name}: ${r.change}`);
}
