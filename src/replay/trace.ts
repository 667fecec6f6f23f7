// Conformance traces: JSON lines recorded from the kernel's own iova.c
// (format: ../shared/conformance/FORMAT.md, copied to test/fixtures/).
import { readFileSync } from "node:fs";

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
}

export class TraceFormatError extends Error {
  override name = "TraceFormatError";
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
  }
}

export function readTrace(file: string): Trace {
  const lines = readFileSync(file, "utf8").split("\n").filter((l, i, a) => l.length > 0 || i < a.length - 1);
  const parsed = lines.map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch (e) {
      throw new TraceFormatError(file, i + 1, `not JSON: ${(e as Error).message}`);
    }
  });
  const header = parsed[0];
  if (!header || header.kind !== "header") throw new TraceFormatError(file, 1, "the first line must be the header");
  for (let i = 1; i < parsed.length; i++) {
    if (typeof parsed[i].op !== "string") throw new TraceFormatError(file, i + 1, "line has no op");
  }
  return { file, header: header as unknown as TraceHeader, ops: parsed.slice(1) as unknown as TraceOp[] };
}
