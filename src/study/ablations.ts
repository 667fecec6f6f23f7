// What each mechanism contributes: the same study with one mechanism switched
// off (or, for migration, on) at a time, next to the run as the thread had it.
import { formatNumber } from "../report/format.js";
import { formatChange } from "../report/table.js";
import type { ReportTable } from "../report/types.js";
import { DEFAULT_COSTS } from "../sim/costs.js";
import type { DepotPolicy } from "../domain/policy.js";
import type { StudyOptions } from "./options.js";
import { runStudyParallel, type Study } from "./run.js";
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

export const ABLATIONS: readonly Ablation[] = [
  { name: "as the thread", change: "nothing", options: {} },
  { name: "strict", change: "no flush queue: strict unmap", options: { strict: true } },
  { name: "no dma32", change: "no 32-bit-first try: 64-bit space only", options: { dma32First: false } },
  { name: "same-CPU completion", change: "completions on the submitting CPU", options: { completion: "same" } },
  { name: "no too-big", change: "requests of at most 32 reads (128 KiB, the largest cached size): nothing above the cached orders", options: { mergeMaxIos: 32 } },
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

/** Runs every ablation of `base` for `policies`, `parallel` simulations at a time. */
export async function runAblations(base: StudyOptions, policies: DepotPolicy[], parallel: number,
  onDone?: (name: string) => void): Promise<AblationRun[]> {
  const out: AblationRun[] = [];
  for (const a of ABLATIONS) {
    const costs = a.options.costs ? { ...base.costs, ...a.options.costs } : base.costs;
    const study = await runStudyParallel({ ...base, ...a.options, costs, policies, parallel, onProgress: undefined, onPolicyDone: undefined });
    out.push({ ablation: a, study });
    onDone?.(a.name);
  }
  return out;
}

/** One row per ablation and policy: IOPS and how far it fell, cache, walk and tree lock at the end. */
export function ablationTable(runs: readonly AblationRun[]): ReportTable {
  const rows: string[][] = [];
  for (const { ablation, study } of runs) {
    for (const p of study.result.policies) {
      const s = p.summary;
      const ins = p.instruments ?? {};
      rows.push([
        ablation.name, p.policy, formatNumber(s.iopsStart), formatChange(s.iopsEnd, s.iopsStart), formatChange(s.worst10s, s.iopsStart),
        formatNumber(s.peakCached),
        ins.walkPerTreeAlloc?.length ? formatNumber(tenth(ins.walkPerTreeAlloc, true)) : "-",
        ins.treeLockBusy?.length ? `${(100 * tenth(ins.treeLockBusy, true)).toFixed(0)}%` : "-",
      ]);
    }
  }
  return {
    title: "ablations: one mechanism changed at a time",
    header: ["run", "policy", "iops", "end", "worst", "cached", "walk", "lock"],
    rows,
    notes: [
      "iops: at the start; end, worst: the change from the start (last tenth, worst 10 s); cached: peak IOVAs; " +
        "walk: nodes per tree allocation and lock: tree lock busy, both over the last tenth",
      ...runs.map(({ ablation }) => `${ablation.name}: ${ablation.change}`),
    ],
  };
}
