// Conformance replays: every recorded kernel trace in test/fixtures, through
// the exported replay functions and through the `iova replay` CLI.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { describeResult, replayTrace, SUPPORTED_PROFILES } from "../dist/src/replay/run.js";
import { readTrace, TraceFormatError } from "../dist/src/replay/trace.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));

const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".jsonl")).sort().map((f) => join(FIXTURES, f));
/** Profile of each fixture, read from its header line (not from the replay code). */
const profileOf = new Map(files.map((f) => [f, JSON.parse(readFileSync(f, "utf8").split("\n", 1)[0]).profile as string]));
const rbtreeFiles = files.filter((f) => profileOf.get(f) === "linux-rbtree");

const tmp = mkdtempSync(join(tmpdir(), "iova-replay-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
  const lines = r.stdout.split("\n").filter((l) => l.length > 0);
  return { status: r.status, lines, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Writes a copy of `src` whose line `lineNo` (1-based) has its `expect`
 * replaced by `mutate(expect)`. Returns the path and both values.
 */
function corrupt(src: string, lineNo: number, mutate: (v: unknown) => unknown, name: string) {
  const lines = readFileSync(src, "utf8").split("\n");
  const obj = JSON.parse(lines[lineNo - 1]);
  const original = obj.expect;
  obj.expect = mutate(original);
  lines[lineNo - 1] = JSON.stringify(obj);
  const path = join(tmp, name);
  writeFileSync(path, lines.join("\n"));
  return { path, original, corrupted: obj.expect };
}

/** 1-based line of the first op matching `pred` at or after line `from`. */
function findLine(src: string, from: number, pred: (o: Record<string, unknown>) => boolean): number {
  const lines = readFileSync(src, "utf8").split("\n");
  for (let i = from - 1; i < lines.length; i++) {
    if (lines[i] && i > 0 && pred(JSON.parse(lines[i]))) return i + 1;
  }
  throw new Error(`no matching op in ${src} from line ${from}`);
}

describe("fixture set", () => {
  it("has linux-rbtree traces and linux-rbtree is a supported profile", () => {
    expect(rbtreeFiles.length).toBeGreaterThanOrEqual(5);
    expect(SUPPORTED_PROFILES.has("linux-rbtree")).toBe(true);
  });

  it("readTrace keeps every line: ops.length + 1 equals the file's line count", () => {
    for (const f of files) {
      const n = readFileSync(f, "utf8").split("\n").filter((l) => l.length > 0).length;
      const t = readTrace(f);
      expect(t.ops.length + 1, basename(f)).toBe(n);
      expect(t.header.profile, basename(f)).toBe(profileOf.get(f));
    }
  });
});

describe("replayTrace on every fixture", () => {
  for (const f of files) {
    const profile = profileOf.get(f)!;
    it(`${basename(f)} (${profile})`, () => {
      const r = replayTrace(readTrace(f));
      expect(r.profile).toBe(profile);
      if (SUPPORTED_PROFILES.has(r.profile)) {
        // A failure shows where and what, not just "failed".
        expect(r.status, describeResult(r)).toBe("passed");
        expect(r.line).toBeUndefined();
      } else {
        expect(r.status, describeResult(r)).toBe("unsupported");
        expect(r.status).not.toBe("passed");
        expect(r.reason).toContain(profile);
        expect(describeResult(r)).toMatch(/^UNSUPPORTED /);
      }
    });
  }
});

describe("a corrupted trace fails at the corrupted line", () => {
  it("alloc expect changed by one: names line, expected and actual", () => {
    const src = rbtreeFiles.find((f) => basename(f) === "rbtree-random-1.jsonl") ?? rbtreeFiles[0];
    const line = findLine(src, 2000, (o) => o.op === "alloc" && typeof o.expect === "number");
    const c = corrupt(src, line, (v) => (v as number) + 1, "alloc-off-by-one.jsonl");
    const r = replayTrace(readTrace(c.path));
    expect(r.status).toBe("failed");
    expect(r.line).toBe(line);
    expect(r.op).toBe("alloc");
    expect(r.expected).toBe(c.corrupted);
    expect(r.actual).toBe(c.original);
    const msg = describeResult(r);
    expect(msg).toContain(`${c.path}:${line}:`);
    expect(msg).toContain(`expected ${c.corrupted}`);
    expect(msg).toContain(`actual ${c.original}`);
  });

  it("a success recorded as a failure (expect null) fails at that line", () => {
    const src = rbtreeFiles.find((f) => basename(f) === "rbtree-random-2.jsonl") ?? rbtreeFiles[0];
    const line = findLine(src, 500, (o) => o.op === "alloc" && typeof o.expect === "number");
    const c = corrupt(src, line, () => null, "alloc-null.jsonl");
    const r = replayTrace(readTrace(c.path));
    expect(r.status).toBe("failed");
    expect(r.line).toBe(line);
    expect(r.expected).toBeNull();
    expect(r.actual).toBe(c.original);
  });

  it("a find expect with a wrong hi fails at that line", () => {
    const src = rbtreeFiles.find((f) => basename(f) === "rbtree-basic.jsonl") ?? rbtreeFiles[0];
    const line = findLine(src, 2, (o) => o.op === "find" && Array.isArray(o.expect));
    const c = corrupt(src, line, (v) => [(v as number[])[0], (v as number[])[1] + 7], "find-wrong.jsonl");
    const r = replayTrace(readTrace(c.path));
    expect(r.status).toBe("failed");
    expect(r.line).toBe(line);
    expect(r.op).toBe("find");
    expect(r.expected).toEqual(c.corrupted);
    expect(r.actual).toEqual(c.original);
  });

  it("only the first difference is reported, and later lines are not needed", () => {
    const src = rbtreeFiles.find((f) => basename(f) === "rbtree-random-1.jsonl") ?? rbtreeFiles[0];
    const first = findLine(src, 300, (o) => o.op === "alloc" && typeof o.expect === "number");
    const second = findLine(src, first + 1, (o) => o.op === "alloc" && typeof o.expect === "number");
    const lines = readFileSync(src, "utf8").split("\n");
    for (const l of [first, second]) {
      const o = JSON.parse(lines[l - 1]);
      o.expect += 3;
      lines[l - 1] = JSON.stringify(o);
    }
    const path = join(tmp, "two-errors.jsonl");
    writeFileSync(path, lines.join("\n"));
    const r = replayTrace(readTrace(path));
    expect(r.status).toBe("failed");
    expect(r.line).toBe(first);
  });
});

describe("every supported profile catches a corrupted expect", () => {
  // One fixture per profile; the first numeric expect from line 100 on is bumped.
  const byProfile = new Map<string, string>();
  for (const f of files) if (!byProfile.has(profileOf.get(f)!)) byProfile.set(profileOf.get(f)!, f);
  for (const [profile, src] of byProfile) {
    it(`${profile}: ${basename(src)}`, () => {
      if (!SUPPORTED_PROFILES.has(profile as never)) {
        expect(replayTrace(readTrace(src)).status).toBe("unsupported");
        return;
      }
      const line = findLine(src, 100, (o) => typeof o.expect === "number" && (o.expect as number) > 0);
      const c = corrupt(src, line, (v) => (v as number) + 4, `corrupt-${profile}.jsonl`);
      const r = replayTrace(readTrace(c.path));
      expect(r.status).toBe("failed");
      expect(r.line).toBe(line);
      expect(r.expected).toBe(c.corrupted);
      expect(r.actual).toBe(c.original);
    });
  }
});

describe("a profile this build does not know", () => {
  const header = { kind: "header", name: "future", profile: "linux-9.99", granule: 4096, start_pfn: 1, cpus: 1, mag_size: null, max_global_mags: null };
  const ops = [{ op: "alloc", size: 1, limit: 1000, aligned: false, expect: 1000 }];
  const path = join(tmp, "future-profile.jsonl");
  writeFileSync(path, [header, ...ops].map((o) => JSON.stringify(o)).join("\n") + "\n");

  it("is reported unsupported, never passed", () => {
    expect(SUPPORTED_PROFILES.has("linux-9.99" as never)).toBe(false);
    const r = replayTrace(readTrace(path));
    expect(r.status).toBe("unsupported");
    expect(r.reason).toContain("linux-9.99");
    expect(describeResult(r)).toBe(`UNSUPPORTED future-profile.jsonl: ${r.reason}`);
  });

  it("the CLI does not count it as passed and exits non-zero", () => {
    const out = cli(["replay", rbtreeFiles[0], path]);
    expect(out.lines[1]).toMatch(/^UNSUPPORTED future-profile\.jsonl/);
    expect(out.lines.at(-1)).toBe("1 passed, 0 failed");
    expect(out.status).not.toBe(0);
  });
});

describe("iova replay CLI", () => {
  it("all linux-rbtree traces: one line per file, last line 'N passed, 0 failed', exit 0", () => {
    const out = cli(["replay", ...rbtreeFiles]);
    expect(out.stderr).toBe("");
    expect(out.lines.length).toBe(rbtreeFiles.length + 1);
    rbtreeFiles.forEach((f, i) => {
      const t = readTrace(f);
      // The counts are the file's own: every op run, every expect compared.
      const checkpoints = readFileSync(f, "utf8").split("\n").filter((l) => l.includes('"expect"')).length;
      expect(out.lines[i]).toBe(`PASS ${basename(f)} (linux-rbtree, ${t.ops.length + 1} lines: ${t.ops.length} ops, ${checkpoints} checkpoints compared)`);
    });
    expect(out.lines.at(-1)).toBe(`${rbtreeFiles.length} passed, 0 failed`);
    expect(out.status).toBe(0);
  });

  it("a mismatch: FAIL line naming file, line, expected and actual; non-zero exit", () => {
    const src = rbtreeFiles.find((f) => basename(f) === "rbtree-random-2.jsonl") ?? rbtreeFiles[0];
    const line = findLine(src, 4000, (o) => o.op === "alloc" && typeof o.expect === "number");
    const c = corrupt(src, line, (v) => (v as number) - 2, "cli-mismatch.jsonl");
    const good = rbtreeFiles.filter((f) => f !== src);
    const out = cli(["replay", ...good, c.path]);
    expect(out.lines.length).toBe(good.length + 2);
    expect(out.lines[good.length]).toBe(`FAIL ${c.path}:${line}: alloc: expected ${c.corrupted}, actual ${c.original}`);
    expect(out.lines.at(-1)).toBe(`${good.length} passed, 1 failed`);
    expect(out.status).not.toBe(0);
  });

  it("an unreadable trace counts as failed", () => {
    const path = join(tmp, "not-json.jsonl");
    writeFileSync(path, '{"kind":"header","name":"x","profile":"linux-rbtree","granule":4096,"start_pfn":1}\n{oops\n');
    const out = cli(["replay", rbtreeFiles[0], path]);
    expect(out.lines[1]).toMatch(new RegExp(`^FAIL ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    expect(out.lines.at(-1)).toBe("1 passed, 1 failed");
    expect(out.status).not.toBe(0);
  });

  it("unsupported profiles are never counted as passed", () => {
    const others = files.filter((f) => !SUPPORTED_PROFILES.has(profileOf.get(f) as never));
    const supported = files.filter((f) => SUPPORTED_PROFILES.has(profileOf.get(f) as never));
    const out = cli(["replay", ...files]);
    expect(out.lines.at(-1)).toBe(`${supported.length} passed, 0 failed`);
    for (const f of others) expect(out.lines.some((l) => l.startsWith(`UNSUPPORTED ${basename(f)}`))).toBe(true);
    if (others.length > 0) expect(out.status).not.toBe(0);
    else expect(out.status).toBe(0);
  });
});

describe("a malformed trace is a FAIL naming file and line, never a pass", () => {
  const header = { kind: "header", name: "m", profile: "linux-rbtree", granule: 4096, start_pfn: 1, cpus: 1, mag_size: null, max_global_mags: null };
  const alloc = { op: "alloc", size: 1, limit: 1000, aligned: false, expect: 1000 };
  const write = (name: string, lines: unknown[]) => {
    const path = join(tmp, `${name}.jsonl`);
    writeFileSync(path, lines.map((o) => (typeof o === "string" ? o : JSON.stringify(o))).join("\n") + "\n");
    return path;
  };
  const cases: Array<[string, unknown[], number, RegExp]> = [
    ["unknown op", [header, alloc, { op: "alloc_iova", size: 1, limit: 9, aligned: false, expect: 9 }], 3, /unknown op "alloc_iova"/],
    ["checkpoint without expect", [header, alloc, { op: "tree" }], 3, /checkpoint without "expect"/],
    ["alloc without expect", [header, { op: "alloc", size: 1, limit: 1000, aligned: false }], 2, /checkpoint without "expect"/],
    ["header and no ops", [header], 1, /a header and no ops/],
    ["duplicate header", [header, alloc, header, alloc], 3, /a second header/],
    ["size as a string", [header, { ...alloc, size: "1" }], 2, /field "size" must be a page count.*got "1"/],
    ["aligned as a number", [header, { ...alloc, aligned: 0 }], 2, /field "aligned" must be true or false, got 0/],
    ["fractional limit", [header, { ...alloc, limit: 10.5 }], 2, /field "limit" must be an integer/],
    ["pfn beyond 2^53", [header, alloc, { op: "free", pfn: 2 ** 60 }], 3, /field "pfn" must be an integer in \[0, 2\^53\)/],
    ["find expect not a range", [header, { op: "find", pfn: 3, expect: [3] }], 2, /field "expect" must be \[pfn_lo, pfn_hi\] or null/],
    ["tree expect not ranges", [header, { op: "tree", expect: [[1, 2], [3]] }], 2, /field "expect" must be a list/],
    ["extra field", [header, { ...alloc, cpu: 0 }], 2, /unknown field "cpu"/],
    ["missing field", [header, { op: "reserve", lo: 1 }], 2, /missing field "hi"/],
    ["cpu beyond the header's cpus", [header, { op: "cpu_dead", cpu: 1 }], 2, /CPU id in \[0, 0\]/],
    ["depot_work order 6", [header, { op: "depot_work", order: 6 }], 2, /size order in \[0, 5\]/],
    ["rcache of the wrong shape", [{ ...header, cpus: 2 }, { op: "rcache", expect: { loaded: [[0, 0, 0, 0, 0, 0]], prev: [[0, 0, 0, 0, 0, 0]], depot: [0, 0, 0, 0, 0, 0] } }], 2, /"loaded": cpus x 6/],
    ["header field of the wrong type", [{ ...header, granule: "4k" }, alloc], 1, /header: field "granule"/],
    ["header without cpus", [(({ cpus: _c, ...h }) => h)(header), alloc], 1, /header: missing field "cpus"/],
    ["an empty line between ops", [header, alloc, "", alloc], 3, /not JSON/],
    ["a line that is not an object", [header, alloc, "[1, 2]"], 3, /must be a JSON object/],
    // Before: the core inserted the inverted range [10, 5] and a trace expecting it passed.
    ["reserve with lo above hi", [header, { op: "reserve", lo: 10, hi: 5 }, { op: "tree", expect: [[10, 5]] }], 2,
      /reserve: lo 10 is above hi 5: a range needs lo <= hi/],
    // Values as the file wrote them, not as JSON.parse read them (1e400 was shown "null", -0 "0", 2^53 + 1 rounded).
    ["reserve with lo above hi -0", [header, '{"op":"reserve","lo":5,"hi":-0}', { op: "tree", expect: [] }], 2, /lo 5 is above hi -0:/],
    ["a pfn of 1e400", [header, '{"op":"reserve","lo":1e400,"hi":5}'], 2, /field "lo" must be an integer in \[0, 2\^53\), got 1e400$/],
    ["a size of -1e400", [header, '{"op":"alloc","size":-1e400,"limit":1000,"aligned":false,"expect":1000}'], 2, /field "size" must be a page count.*got -1e400$/],
    ["a pfn of 2^53 + 1", [header, '{"op":"free", "pfn" : 9007199254740993 }'], 2, /got 9007199254740993$/],
    ["a header granule of 1e400", ['{"kind":"header","name":"m","profile":"linux-rbtree","granule":1e400,"start_pfn":1,"cpus":1,"mag_size":null,"max_global_mags":null}', alloc], 1,
      /header: field "granule" must be a power of two from 1 to 65536, got 1e400$/],
    ["a header name holding an escaped quote, a brace and a field", ['{"kind":"header","name":"m\\",\\"granule\\":7}{","profile":"linux-rbtree","granule":1e400,"start_pfn":1,"cpus":1,"mag_size":null,"max_global_mags":null}', alloc], 1,
      /field "granule" must be a power of two from 1 to 65536, got 1e400$/],
  ];
  for (const [name, lines, line, why] of cases) {
    it(`${name}: line ${line}`, () => {
      const path = write(name.replace(/\W+/g, "-"), lines);
      let err: unknown;
      try {
        readTrace(path);
      } catch (e) {
        err = e;
      }
      expect(err, "readTrace must refuse it").toBeInstanceOf(TraceFormatError);
      const e = err as InstanceType<typeof TraceFormatError>;
      expect([e.file, e.line]).toEqual([path, line]);
      expect(e.reason).toMatch(why);
    });
  }

  it("the CLI prints each as FAIL file:line: reason, counts it failed and exits non-zero", () => {
    const paths = cases.map(([name, lines]) => write(`cli-${name.replace(/\W+/g, "-")}`, lines));
    const out = cli(["replay", rbtreeFiles[0], ...paths]);
    paths.forEach((p, i) => expect(out.lines[i + 1]).toMatch(new RegExp(`^FAIL ${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${cases[i]![2]}: `)));
    expect(out.lines.at(-1)).toBe(`1 passed, ${cases.length} failed`);
    expect(out.status).not.toBe(0);
  });

  it("a well-formed file of the same ops passes, and says what it compared", () => {
    const path = write("well-formed", [header, alloc, { op: "find", pfn: 1000, expect: [1000, 1000] }, { op: "free", pfn: 1000 }, { op: "tree", expect: [] }]);
    const r = replayTrace(readTrace(path));
    expect(describeResult(r)).toBe("PASS well-formed.jsonl (linux-rbtree, 5 lines: 4 ops, 3 checkpoints compared)");
  });
});
