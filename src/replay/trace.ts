// Conformance traces: JSON lines recorded from the kernel's own iova.c
// (format: ../shared/conformance/FORMAT.md, copied to test/fixtures/).
//
// The reader checks every line against the format before anything runs, so
// a replay can only pass by comparing what the file records: an unknown op,
// a missing or extra field, a value of the wrong type, a checkpoint without
// its `expect`, a second header or a file with no ops is a TraceFormatError
// naming the file and the line.
import { readInputFile } from "../util/input-file.js";
import { codes } from "../wasm/codes.js";
import { rawFields } from "./raw-fields.js";
import { shown } from "../util/shown.js";

/** The largest fixture is 1.7 MB; a bound keeps /dev/zero or a FIFO from being read forever. */
const MAX_TRACE_BYTES = 256 * 2 ** 20;

export type Profile = "linux-rbtree" | "linux-5.10" | "seed-v4" | "linux-6.4" | "v5.10-rbtree" | "v5.10";

export interface TraceHeader {
  kind: "header";
  name: string;
  profile: Profile;
  granule: number;
  start_pfn: number;
  cpus: number;
  mag_size: number | null;
  max_global_mags: number | null;
}

export type TraceOp =
  | { op: "alloc"; size: number; limit: number; aligned: boolean; expect: number | null }
  | { op: "free"; pfn: number }
  | { op: "reserve"; lo: number; hi: number }
  | { op: "find"; pfn: number; expect: [number, number] | null }
  | { op: "alloc_fast"; cpu: number; size: number; limit: number; flush: boolean; expect: number }
  | { op: "free_fast"; cpu: number; pfn: number; size: number }
  | { op: "depot_work"; order: number }
  | { op: "cpu_dead"; cpu: number }
  | { op: "flush_all" }
  | { op: "tree"; expect: [number, number][] }
  | { op: "rcache"; expect: { loaded: number[][]; prev: number[][]; depot: number[] } };

export interface Trace {
  file: string;
  header: TraceHeader;
  /** ops[i] sits on line i + 2 of the file (the header is line 1). */
  ops: TraceOp[];
  /** How many ops carry an `expect` the replay compares (checkpoints). */
  checkpoints: number;
}

export class TraceFormatError extends Error {
  override name = "TraceFormatError";
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(shown(`${file}:${line}: ${reason}`));
  }
}

const MAX_PFN = 2 ** 53;

/**
 * What a field may hold: null if `v` fits, else what it should have been.
 * `ctx` carries the header's cpu count for cpu ids and rcache shapes.
 */
type Check = (v: unknown, ctx: { cpus: number }) => string | null;

const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < MAX_PFN;
const uint: Check = (v) => (isUint(v) ? null : "an integer in [0, 2^53)");
const pages: Check = (v) => (isUint(v) && v >= 1 ? null : "a page count: an integer in [1, 2^53)");
const bool: Check = (v) => (typeof v === "boolean" ? null : "true or false");
const cpu: Check = (v, c) => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < c.cpus ? null : `a CPU id in [0, ${c.cpus - 1}] (the header's cpus)`);
const order: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < codes().ORDERS ? null : `a size order in [0, ${codes().ORDERS - 1}]`);
const orNull = (c: Check, what: string): Check => (v, ctx) => (v === null || c(v, ctx) === null ? null : what);
const isRange = (v: unknown) => Array.isArray(v) && v.length === 2 && isUint(v[0]) && isUint(v[1]);
const range: Check = (v) => (isRange(v) ? null : "[pfn_lo, pfn_hi]");
const ranges: Check = (v) => (Array.isArray(v) && v.every(isRange) ? null : "a list of [pfn_lo, pfn_hi]");
const perCpuOrder = (v: unknown, cpus: number) =>
  Array.isArray(v) && v.length === cpus && v.every((row) => Array.isArray(row) && row.length === codes().ORDERS && row.every(isUint));
const rcache: Check = (v, c) => {
  const o = v as Record<string, unknown>;
  const ok = typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(o).sort().join() === "depot,loaded,prev" &&
    perCpuOrder(o.loaded, c.cpus) && perCpuOrder(o.prev, c.cpus) &&
    Array.isArray(o.depot) && o.depot.length === codes().ORDERS && o.depot.every(isUint);
  return ok ? null : `{"loaded": cpus x ${codes().ORDERS} counts, "prev": cpus x ${codes().ORDERS} counts, "depot": ${codes().ORDERS} counts}`;
};

/** Every op of FORMAT.md's table: its fields, each with its check. `expect` marks a checkpoint. */
const OPS: Record<TraceOp["op"], Record<string, Check>> = {
  alloc: { size: pages, limit: uint, aligned: bool, expect: orNull(uint, "a pfn or null") },
  free: { pfn: uint },
  reserve: { lo: uint, hi: uint },
  find: { pfn: uint, expect: orNull(range, "[pfn_lo, pfn_hi] or null") },
  alloc_fast: { cpu, size: pages, limit: uint, flush: bool, expect: uint },
  free_fast: { cpu, pfn: uint, size: pages },
  depot_work: { order },
  cpu_dead: { cpu },
  flush_all: {},
  tree: { expect: ranges },
  rcache: { expect: rcache },
};

const isPow2 = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 65536 && ((v as number) & ((v as number) - 1)) === 0;
const HEADER: Record<string, Check> = {
  kind: (v) => (v === "header" ? null : '"header"'),
  name: (v) => (typeof v === "string" ? null : "a string"),
  profile: (v) => (typeof v === "string" && v.length > 0 ? null : "a profile name"),
  granule: (v) => (isPow2(v) ? null : "a power of two from 1 to 65536"),
  // pfn 0 is the fast API's failure value, so domains here start at 1 or above.
  start_pfn: (v) => (isUint(v) && v >= 1 ? null : "an integer in [1, 2^53)"),
  cpus: (v) => (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 1024 ? null : "an integer in [1, 1024]"),
  mag_size: orNull((v) => (isUint(v) && v >= 1 && v <= 4096 ? null : "1..4096"), "null or an integer in [1, 4096]"),
  max_global_mags: orNull(uint, "null or an integer in [0, 2^53)"),
};

/** Checks one parsed line (source text `line`) against its field table; the reason, or null. */
function fieldProblem(o: Record<string, unknown>, line: string, fields: Record<string, Check>, ctx: { cpus: number }, skip: string): string | null {
  for (const k of Object.keys(o)) {
    if (k !== skip && !(k in fields)) return `unknown field "${k}"`;
  }
  for (const [k, check] of Object.entries(fields)) {
    if (!(k in o)) return k === "expect" ? "a checkpoint without \"expect\"" : `missing field "${k}"`;
    const want = check(o[k], ctx);
    if (want !== null) return `field "${k}" must be ${want}, got ${rawFields(line).get(k) ?? JSON.stringify(o[k])}`;
  }
  return null;
}

/**
 * What a line's fields, each valid alone, cannot be together: a reserve
 * whose lo is above its hi (the core, as reserve_iova, would insert that
 * inverted range into the tree, and a trace expecting it would pass).
 */
function crossProblem(o: Record<string, unknown>, line: string): string | null {
  if (o.op === "reserve" && (o.lo as number) > (o.hi as number)) {
    const raw = rawFields(line);
    return `lo ${raw.get("lo")} is above hi ${raw.get("hi")}: a range needs lo <= hi`;
  }
  return null;
}

export function readTrace(file: string): Trace {
  const text = readInputFile(file, MAX_TRACE_BYTES, "trace");
  // One trailing newline ends the last line; any other empty line is a line.
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const fail = (line: number, reason: string): never => { throw new TraceFormatError(file, line, reason); };
  if (lines.length === 0) fail(1, "empty file: no header");
  const parsed = lines.map((l, i) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      return fail(i + 1, `not JSON: ${(e as Error).message}`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(i + 1, "a line must be a JSON object");
    return v as Record<string, unknown>;
  });
  const h = parsed[0]!;
  if (h.kind !== "header") fail(1, "the first line must be the header");
  const hp = fieldProblem(h, lines[0]!, HEADER, { cpus: 1 }, "");
  if (hp) fail(1, `header: ${hp}`);
  const ctx = { cpus: h.cpus as number };
  if (parsed.length === 1) fail(1, "a header and no ops: nothing to compare");
  let checkpoints = 0;
  for (let i = 1; i < parsed.length; i++) {
    const o = parsed[i]!;
    if ("kind" in o) fail(i + 1, o.kind === "header" ? "a second header" : `unknown line kind ${JSON.stringify(o.kind)}`);
    if (typeof o.op !== "string") fail(i + 1, "line has no op");
    if (!Object.hasOwn(OPS, o.op as string)) fail(i + 1, `unknown op ${JSON.stringify(o.op)}`);
    const fields = OPS[o.op as TraceOp["op"]];
    const p = fieldProblem(o, lines[i]!, fields, ctx, "op") ?? crossProblem(o, lines[i]!);
    if (p) fail(i + 1, `${o.op}: ${p}`);
    if ("expect" in fields) checkpoints++;
  }
  return { file, header: h as unknown as TraceHeader, ops: parsed.slice(1) as unknown as TraceOp[], checkpoints };
}
