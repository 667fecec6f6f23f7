// Replays a trace against the domain and reports the first difference.
import { basename } from "node:path";
import { IovaDomain, type DomainOptions } from "../domain/iova-domain.js";
import type { Profile, Trace, TraceOp } from "./trace.js";

export type ReplayStatus = "passed" | "failed" | "unsupported";

export interface ReplayResult {
  file: string;
  name: string;
  profile: Profile;
  status: ReplayStatus;
  lines: number;
  /** For a failure: where and what. */
  line?: number;
  op?: string;
  expected?: unknown;
  actual?: unknown;
  reason?: string;
}

/** Profiles this build can replay, and the domain policy that reproduces each. */
const PROFILE_POLICY: Record<Profile, DomainOptions["policy"]> = {
  "linux-rbtree": "tree-only",
  "linux-5.10": "linux-5.10",
  "seed-v4": "cpu-flush",
  "linux-6.4": "linux-6.4",
};
export const SUPPORTED_PROFILES: ReadonlySet<Profile> = new Set(Object.keys(PROFILE_POLICY) as Profile[]);

export function replayTrace(trace: Trace): ReplayResult {
  const h = trace.header;
  const base: ReplayResult = {
    file: trace.file, name: basename(trace.file), profile: h.profile, status: "passed", lines: trace.ops.length + 1,
  };
  if (!SUPPORTED_PROFILES.has(h.profile)) {
    return { ...base, status: "unsupported", reason: `profile ${h.profile} is not supported by this build` };
  }
  const policy = PROFILE_POLICY[h.profile];
  const domain = new IovaDomain(h.granule, h.start_pfn, {
    maxRanges: trace.ops.length + 16,
    cpus: Math.max(1, h.cpus),
    policy,
    ...(policy === "tree-only" ? {} : {
      magazineSize: h.mag_size ?? undefined,
      depotMax: h.max_global_mags ?? undefined,
      maxMagazines: 8192,
    }),
  });
  try {
    for (let i = 0; i < trace.ops.length; i++) {
      const op = trace.ops[i];
      let actual: unknown;
      try {
        actual = step(domain, op);
      } catch (e) {
        return { ...base, status: "failed", line: i + 2, op: op.op, expected: expectOf(op), actual: `threw ${(e as Error).message}` };
      }
      if ("expect" in op && !same(op.expect, actual)) {
        return { ...base, status: "failed", line: i + 2, op: op.op, expected: op.expect, actual };
      }
    }
    domain.check();
  } catch (e) {
    return { ...base, status: "failed", line: trace.ops.length + 1, op: "check", reason: (e as Error).message };
  } finally {
    domain.destroy();
  }
  return base;
}

function step(d: IovaDomain, op: TraceOp): unknown {
  switch (op.op) {
    case "alloc": return d.alloc(op.size, op.limit, op.aligned);
    case "free": d.free(op.pfn); return undefined;
    case "reserve": d.reserve(op.lo, op.hi); return undefined;
    case "find": { const r = d.find(op.pfn); return r ? [r.lo, r.hi] : null; }
    case "tree": return d.ranges().map((r) => [r.lo, r.hi]);
    case "alloc_fast": return d.allocFast(op.size, op.limit, op.flush, op.cpu) ?? 0;
    case "free_fast": d.freeFast(op.pfn, op.size, op.cpu); return undefined;
    case "depot_work": d.depotWork(op.order); return undefined;
    case "cpu_dead": d.freeCpuCached(op.cpu); return undefined;
    case "flush_all": d.flushAll(); return undefined;
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
    case "passed": return `PASS ${r.name} (${r.profile}, ${r.lines} lines)`;
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
