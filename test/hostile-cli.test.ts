// The hostile-input suite of the command line (issue 13): for every option
// row of the one option table (src/options/table.ts OPTION_ROWS), for each
// command that takes it (`iova fio` for fio and model rows, `iova aging`
// for study rows), generated hostile values: numbers out of range or
// beyond 2^53 and 2^64, NaN, Infinity, -0, fractions, bad suffixes, empty
// and blank text, NUL, huge digit strings, lists and ranges that do not
// parse, paths that cannot be written. Each command line either parses
// (exit 0 with --parse-only, or the study's plan) or exits 2 with a message
// naming the option as it was typed; never a crash (a stack trace, exit 1),
// never a hang. The command lines run in-process (fioCommand,
// agingPreflight) inside one worker thread per batch, each case bounded;
// a few are then run as real processes to show the in-process verdict is
// the CLI's.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { OPTION_ROWS, rowsOf } from "../dist/src/options/table.js";
import type { OptionRow } from "../dist/src/options/row.js";
import { HOSTILE_SEED } from "./helpers/hostile-values.js";

/** Generated values per option row and command; fio's ignored options (accepted as any text) get fewer. */
const PER_ROW = 24;
const PER_IGNORED_ROW = 3;
/** Real processes run to check the in-process verdicts. */
const SPAWNED = 6;
/** Bound of one in-process command line: a parse takes milliseconds; anything near this is a hang. */
const CASE_MS = 15_000;

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const ENTRIES = {
  fio: new URL("../dist/src/cli/fio.js", import.meta.url).href,
  aging: new URL("../dist/src/cli/aging.js", import.meta.url).href,
};
const dir = mkdtempSync(join(tmpdir(), "iova-hostile-cli-"));
const aFile = join(dir, "a-file");
writeFileSync(aFile, "x");
mkdirSync(join(dir, "study"), { recursive: true });

const TEXTS = [
  "NaN", "Infinity", "-Infinity", "-0", "0", "1.5", "-1", "-1.5", "9007199254740992", "9007199254740993", "18446744073709551616",
  "1e308", "1e400", "-1e400", "1n", "0x10", "0b1", "1_000", "abc", "", " ", "\t", "1 2", "1,2,3,4", ",", ":", "=", "-", "%s",
  "__proto__", "constructor", "toString", "\u0000", "é", "\u{1F600}", "9".repeat(400), "1p", "1e", "4k-", "4k/", "4k/50:",
  "0-99999999", "1024-0", "1t", "99999999999999999999p", "-4k", "1s5", "1ms1", "true", "yes", "off", "null", "undefined", "65537",
  "1025", "4097", "2147483648", "4294967296", "1g", "1023", "1:2:3", "101", "a=1", "bogus=1", "tree-cost=1e999",
];
const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TEXTS) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt().map(String) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(10 ** 7), fc.constantFrom("k", "m", "g", "t", "p", "e", "ms", "us", "s", "h", "d", "%", "kib"))
    .map(([n, u]) => `${n}${u}`) },
);
/** Where an output path belongs: ones that can be written and ones that cannot. */
const hostilePath: fc.Arbitrary<string> = fc.constantFrom(
  join(dir, "ok.json"), dir, "/proc/x", "/dev/null", join(dir, "no", "such", "f"), join(aFile, "sub"), "", " ", "\u0000", aFile,
  join(dir, "study", "ok"),
);
const PATH_ROWS = new Set(["output", "out"]);

interface Case {
  command: "fio" | "study";
  row: string;
  /** The option names as typed: the one under test, and a second hostile one for a third of the cases. */
  typed: string[];
  argv: string[];
}

/** One hostile option on the command line: the name (or an alias), its value, and how it is written. */
function optionArb(row: OptionRow): fc.Arbitrary<{ name: string; opt: string[] }> {
  return fc.record({
    value: PATH_ROWS.has(row.name) ? hostilePath : hostileText,
    name: fc.constantFrom(row.name, ...(row.alias ?? [])),
    form: fc.constantFrom("eq", "space", "bare"),
  }).map(({ value, name, form }) => {
    // A boolean takes its value only after '=' (a bare --time_based means 1; a word after it is a job file, as in fio).
    const separate = form === "space" && !value.startsWith("-") && row.type !== "bool" && row.type !== "flag";
    return { name, opt: form === "bare" ? [`--${name}`] : separate ? [`--${name}`, value] : [`--${name}=${value}`] };
  });
}

function casesFor(command: "fio" | "study", row: OptionRow, n: number, seed: number): Case[] {
  // The second option comes from the command's own rows (not fio's ignored ones, and never a path or a command switch).
  const others = rowsOf(command).filter((r) => r.category !== "fio-ignored" && r.category !== "command" && !PATH_ROWS.has(r.name));
  const arb = fc.tuple(optionArb(row), fc.option(fc.constantFrom(...others).chain(optionArb), { freq: 2 }));
  return fc.sample(arb, { seed, numRuns: n }).map(([first, second]) => {
    const opt = [...first.opt, ...(second?.opt ?? [])];
    const typed = [first.name, ...(second ? [second.name] : [])];
    // fio: a runtime for every job first (an option may override it), the option, one job; --parse-only
    // stops after every check that does not need the run (the output path is checked only for a run: that row runs, virtual and short).
    const argv = command === "fio"
      ? ["--runtime=1ms", ...opt, "--name=j", ...(row.name === "output" ? ["--clock=virtual", "--output-format=json"] : ["--parse-only"])]
      : ["--out", join(dir, "study", "base"), ...opt];
    return { command, row: row.name, typed, argv };
  });
}

function allCases(): Case[] {
  const out: Case[] = [];
  let seed = HOSTILE_SEED;
  for (const command of ["fio", "study"] as const) {
    for (const row of rowsOf(command)) {
      const n = row.category === "fio-ignored" ? PER_IGNORED_ROW : row.name === "output" ? 4 : PER_ROW;
      out.push(...casesFor(command, row, n, seed++));
    }
  }
  return out;
}

interface Result { code: number | null; err: string; crash: string | null; ms: number }

/** Runs the cases in one worker thread; a case that runs past CASE_MS ends the worker and is reported as a hang. */
function runBatch(cases: Case[]): Promise<Result[]> {
  const progress = new SharedArrayBuffer(4);
  const at = new Int32Array(progress);
  const w = new Worker(new URL("./helpers/cli-probe-worker.mjs", import.meta.url), { workerData: { entries: ENTRIES, cases, progress } });
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = Date.now();
    const watch = setInterval(() => {
      const i = Atomics.load(at, 0);
      if (i !== last) {
        last = i;
        since = Date.now();
      } else if (Date.now() - since > CASE_MS) {
        clearInterval(watch);
        void w.terminate();
        reject(new Error(`hang: no answer in ${CASE_MS} ms from ${cases[i]!.command} ${cases[i]!.argv.join(" ")}`));
      }
    }, 100);
    w.once("message", (r: Result[]) => { clearInterval(watch); void w.terminate(); resolve(r); });
    w.once("error", (e) => { clearInterval(watch); reject(e); });
  });
}

const cases = allCases();
const counts = {
  fio: cases.filter((c) => c.command === "fio").length,
  study: cases.filter((c) => c.command === "study").length,
  rows: new Set(cases.map((c) => `${c.command}:${c.row}`)).size,
};
console.log(`hostile-cli: fast-check seed ${HOSTILE_SEED}: ${cases.length} generated command lines over ${counts.rows} (command, option) pairs ` +
  `(${PER_ROW} per option, ${PER_IGNORED_ROW} per ignored fio option, a third with a second hostile option; fio ${counts.fio}, aging ${counts.study}), ${SPAWNED} also as processes`);

describe(`every option of the option table under hostile values (${cases.length} generated command lines, seed ${HOSTILE_SEED})`, () => {
  let results: Result[] = [];
  beforeAll(async () => {
    // Two batches, one per core.
    const half = Math.ceil(cases.length / 2);
    const [a, b] = await Promise.all([runBatch(cases.slice(0, half)), runBatch(cases.slice(half))]);
    results = [...a, ...b];
  }, 300_000);

  it("covers every row of OPTION_ROWS for each command that takes it", () => {
    for (const row of OPTION_ROWS) {
      for (const command of ["fio", "study"] as const) {
        if (!rowsOf(command).includes(row)) continue;
        expect(cases.some((c) => c.command === command && c.row === row.name), `${command} --${row.name}`).toBe(true);
      }
    }
  });

  for (const command of ["fio", "study"] as const) {
    it(`${command === "fio" ? "iova fio" : "iova aging"}: exit 0 or exit 2 naming the option; no crash, no stack trace, no hang`, () => {
      const bad: string[] = [];
      results.forEach((r, i) => {
        const c = cases[i]!;
        if (c.command !== command) return;
        const line = `${command} ${c.argv.map((a) => JSON.stringify(a)).join(" ")}`;
        if (r.crash !== null) bad.push(`${line}: crashed: ${r.crash.split("\n").slice(0, 2).join(" ")}`);
        else if (r.code !== 0 && r.code !== 2) bad.push(`${line}: exit ${r.code}: ${r.err.slice(0, 200)}`);
        else if (r.code === 2 && !c.typed.some((t) => r.err.includes(`--${t}`))) {
          bad.push(`${line}: exit 2 without naming --${c.typed.join(" or --")}: ${r.err.split("\n")[0]}`);
        }
        else if (/\n\s+at /.test(r.err)) bad.push(`${line}: stack trace on stderr`);
      });
      if (process.env.HOSTILE_CLI_DUMP) {
        writeFileSync(`${process.env.HOSTILE_CLI_DUMP}.${command}`, results.map((r, i) => (cases[i]!.command === command
          ? `${r.code} ${cases[i]!.typed.join(",")} ${JSON.stringify(cases[i]!.argv)} ${r.err.split("\n")[0]}` : "")).filter(Boolean).join("\n"));
        writeFileSync(process.env.HOSTILE_CLI_DUMP, bad.join("\n"));
      }
      expect(bad.slice(0, 20), `${bad.length} bad command lines`).toEqual([]);
      const refused = results.filter((r, i) => cases[i]!.command === command && r.code === 2).length;
      // The generator must really be hostile: most values are refused.
      expect(refused).toBeGreaterThan(0);
    });
  }

  it(`${SPAWNED} refused command lines give the same exit code and message as real processes`, () => {
    const refusedIdx = results.map((r, i) => (r.code === 2 && cases[i]!.row !== "output" ? i : -1)).filter((i) => i >= 0);
    const pick = fc.sample(fc.constantFrom(...refusedIdx), { seed: HOSTILE_SEED, numRuns: SPAWNED });
    for (const i of pick) {
      const c = cases[i]!;
      const r = spawnSync(process.execPath, [CLI, c.command === "fio" ? "fio" : "aging", ...c.argv], { encoding: "utf8", timeout: 30_000 });
      expect(r.status, c.argv.join(" ")).toBe(2);
      // The process's stderr starts with what the in-process run wrote (aging adds no more; fio may add nothing).
      expect(r.stderr.startsWith(results[i]!.err.split("\n")[0]!), `${r.stderr.slice(0, 200)} vs ${results[i]!.err.slice(0, 200)}`).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 240_000);
});
