// Replays a trace against the domain and reports the first difference.
import { basename } from "node:path";
import { IovaDomain, type DomainOptions } from "../domain/iova-domain.js";
import type { Profile, Trace, TraceOp } from "./trace.js";
import type { KernelEra } from "../domain/era.js";
import { KernelCalls } from "./kernel-calls.js";

export type ReplayStatus = "passed" | "failed" | "unsupported";

export interface ReplayResult {
  file: string;
  name: string;
  profile: Profile;
  status: ReplayStatus;
  lines: number;
  /** Ops run and checkpoints (ops with an `expect`) compared; on a pass, every one in the file. */
  ops: number;
  checkpoints: number;
  /** For a failure: where and what. */
  line?: number;
  op?: string;
  expected?: unknown;
  actual?: unknown;
  reason?: string;
}

/**
 * Profiles this build can replay: the policy and kernel era that reproduce
 * each (FORMAT.md). linux-5.10 and seed-v4 are hybrids by definition: the
 * v6.x tree under v5.10-style caches with the v5.11 flush.
 */
const PROFILE_DOMAIN: Record<Profile, { policy: NonNullable<DomainOptions["policy"]>; era: KernelEra }> = {
  "linux-rbtree": { policy: "tree-only", era: "v6.x" },
  "linux-5.10": { policy: "linux-5.10", era: "v6.x" },
  "seed-v4": { policy: "cpu-flush", era: "v6.x" },
  "linux-6.4": { policy: "linux-6.4", era: "v6.x" },
  "v5.10-rbtree": { policy: "tree-only", era: "v5.10" },
  "v5.10": { policy: "linux-5.10", era: "v5.10" },
};
export const SUPPORTED_PROFILES: ReadonlySet<Profile> = new Set(Object.keys(PROFILE_DOMAIN) as Profile[]);

export interface ReplayOptions {
  /** Replay under this era instead of the profile's (to show which differences a trace depends on). */
  era?: KernelEra;
}

export function replayTrace(trace: Trace, options: ReplayOptions = {}): ReplayResult {
  const h = trace.header;
  const base: ReplayResult = {
    file: trace.file, name: basename(trace.file), profile: h.profile, status: "passed", lines: trace.ops.length + 1,
    ops: 0, checkpoints: 0,
  };
  if (!SUPPORTED_PROFILES.has(h.profile)) {
    return { ...base, status: "unsupported", reason: `profile ${h.profile} is not supported by this build` };
  }
  const { policy } = PROFILE_DOMAIN[h.profile];
  const era = options.era ?? PROFILE_DOMAIN[h.profile].era;
  const domain = new IovaDomain(h.granule, h.start_pfn, {
    maxRanges: trace.ops.length + 16,
    cpus: Math.max(1, h.cpus),
    policy,
    era,
    ...(policy === "tree-only" ? {} : {
      magazineSize: h.mag_size ?? undefined,
      depotMax: h.max_global_mags ?? undefined,
      maxMagazines: 8192,
    }),
  });
  const kernel = new KernelCalls(domain);
  let ops = 0;
  let checkpoints = 0;
  try {
    for (let i = 0; i < trace.ops.length; i++) {
      const op = trace.ops[i];
      let actual: unknown;
      try {
        actual = step(domain, kernel, op);
      } catch (e) {
        return { ...base, ops, checkpoints, status: "failed", line: i + 2, op: op.op, expected: expectOf(op), actual: `threw ${(e as Error).message}` };
      }
      ops++;
      if ("expect" in op) {
        checkpoints++;
        if (!same(op.expect, actual)) return { ...base, ops, checkpoints, status: "failed", line: i + 2, op: op.op, expected: op.expect, actual };
      }
    }
    domain.check();
  } catch (e) {
    return { ...base, ops, checkpoints, status: "failed", line: trace.ops.length + 1, op: "check", reason: (e as Error).message };
  } finally {
    domain.destroy();
  }
  // The reader counted the file's checkpoints; a pass must have compared each.
  if (ops !== trace.ops.length || checkpoints !== trace.checkpoints) {
    return { ...base, ops, checkpoints, status: "failed", line: trace.ops.length + 1, op: "count",
      reason: `compared ${checkpoints} of ${trace.checkpoints} checkpoints in ${ops} of ${trace.ops.length} ops` };
  }
  return { ...base, ops, checkpoints };
}

function step(d: IovaDomain, k: KernelCalls, op: TraceOp): unknown {
  switch (op.op) {
    case "alloc": return k.alloc(op.size, op.limit, op.aligned);
    case "free": k.free(op.pfn); return undefined;
    case "reserve":
      if (!k.reserve(op.lo, op.hi)) throw new Error("reserve: the node slab is full");
      return undefined;
    case "find": return k.find(op.pfn);
    case "tree": return d.ranges().map((r) => [r.lo, r.hi]);
    case "alloc_fast": return k.allocFast(op.cpu, op.size, op.limit, op.flush);
    case "free_fast": k.freeFast(op.cpu, op.pfn, op.size); return undefined;
    case "depot_work": k.depotWork(op.order); return undefined;
    case "cpu_dead": k.cpuDead(op.cpu); return undefined;
    case "flush_all": k.flushAll(); return undefined;
    case "rcache": {
      const s = d.cacheStats();
      return { loaded: s.loaded, prev: s.prev, depot: s.depot };
    }
  }
}

function expectOf(op: TraceOp): unknown {
  return "expect" in op ? op.expect : undefined;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One line per file, as the CLI prints it. */
export function describeResult(r: ReplayResult): string {
  switch (r.status) {
    case "passed": return `PASS ${r.name} (${r.profile}, ${r.lines} lines: ${r.ops} ops, ${r.checkpoints} checkpoints compared)`;
    case "unsupported": return `UNSUPPORTED ${r.name}: ${r.reason}`;
    case "failed":
      if (r.reason) return `FAIL ${r.file}:${r.line}: ${r.op}: ${r.reason}`;
      return `FAIL ${r.file}:${r.line}: ${r.op}: expected ${short(r.expected)}, actual ${short(r.actual)}`;
  }
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 400 ? `${s.slice(0, 400)}... (${s.length} chars)` : s;
}
