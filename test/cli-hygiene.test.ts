// What every `iova` subcommand owes its terminal: a closed pipe ends it
// quietly, --help describes it and unknown flags are refused, and live
// lines fit the terminal (and 80 columns).
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fitToWidth, terminalColumns } from "../dist/src/cli/terminal.js";
import { Progress } from "../dist/src/cli/aging.js";

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const TRACES = ["rbtree-basic", "rbtree-random-1", "rbtree-random-2", "kunit-scenarios", "linux510-random", "linux64-random"]
  .map((f) => `${FIXTURES}${f}.jsonl`);

function iova(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
}

/** Runs `iova args`, closes its stdout after the first chunk (as `| head -1` does), and reports how it ended. */
function closedAfterFirstChunk(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string; first: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let first = "";
    child.stderr.on("data", (b: Buffer) => { stderr += b.toString(); });
    child.stdout.once("data", (b: Buffer) => {
      first = b.toString();
      child.stdout.destroy();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stderr, first }));
  });
}

describe("a closed pipe ends the command quietly", () => {
  for (const args of [["demo"], ["replay", ...TRACES, ...TRACES, ...TRACES], ["fio", "--name=p", "--runtime=1500ms", "--time_based", "--status-interval=0.2"]]) {
    it(`iova ${args[0]} | head -1`, async () => {
      const r = await closedAfterFirstChunk(args);
      expect(r.first.length).toBeGreaterThan(0);
      expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
    }, 60_000);
  }
});

describe("--help and unknown flags", () => {
  for (const cmd of ["replay", "demo", "aging", "fio"]) {
    it(`iova ${cmd} --help prints its usage; an unknown flag exits 2 naming it`, () => {
      const help = iova([cmd, "--help"]);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`usage: (iova )?${cmd}|${cmd}`));
      expect(help.stdout.length).toBeGreaterThan(80);
      const bad = iova([cmd, "--no-such-flag"]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain("no-such-flag");
    }, 60_000);
  }

  it("iova replay --help is not read as a file; -- makes later arguments files", () => {
    const r = iova(["replay", "--help"]);
    expect(r.stdout).not.toMatch(/FAIL|ENOENT/);
    const dashed = iova(["replay", "--", "--help"]);
    expect(dashed.status).toBe(1);
    expect(dashed.stdout).toMatch(/FAIL --help/);
  });

  it("iova --help lists the commands and says how to get help on one", () => {
    const r = iova(["--help"]);
    expect(r.status).toBe(0);
    for (const c of ["aging", "fio", "replay", "demo"]) expect(r.stdout).toContain(c);
    expect(r.stdout).toContain("--help");
  });
});

describe("live lines fit the terminal", () => {
  it("fitToWidth leaves the last column free and marks a cut", () => {
    expect(fitToWidth("abc", 80)).toBe("abc");
    expect(fitToWidth("x".repeat(79), 80)).toBe("x".repeat(79));
    const cut = fitToWidth("x".repeat(200), 80);
    expect(cut).toHaveLength(79);
    expect(cut.endsWith("…")).toBe(true);
    expect(fitToWidth("abcdef", 1)).toHaveLength(1);
  });

  it("terminalColumns is the terminal's width, else 80", () => {
    expect(terminalColumns({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalColumns({ isTTY: false, columns: 132 })).toBe(80);
    expect(terminalColumns({})).toBe(80);
  });

  for (const columns of [80, 40]) {
    it(`aging's progress block on a ${columns}-column terminal: every line fits`, () => {
      let out = "";
      const stream = { isTTY: true, columns, write(s: string) { out += s; return true; } };
      const names = ["linux-5.10", "cpu-flush", "scaled-depot", "linux-6.4", "adaptive"];
      const p = new Progress(stream as unknown as NodeJS.WriteStream, names);
      const durationMs = 7200_000;
      names.forEach((n, i) => p.update(n, i, { simMs: 7199_900, durationMs, iops: 219_876, cached: 83_456, tree: 84_234 } as never));
      p.done("scaled-depot", 2, {
        counters: { ios: 1.58e9 }, simulatedSeconds: 7200, wallSeconds: 3725.5, simIosPerWallSecond: 424_123,
        books: { ok: false, problems: ["a long problem description ".repeat(5)] },
      } as never);
      // Strip the control sequences: what remains of each line is what the terminal shows.
      const shown = out.replace(/\x1b\[\d*[AK]/g, "").split(/[\r\n]+/).filter((l) => l.length > 0);
      expect(shown.length).toBeGreaterThan(0);
      for (const l of shown) expect(l.length, l).toBeLessThan(columns);
      if (columns === 80) for (const l of shown) expect(l.endsWith("…"), `cut at 80: ${l}`).toBe(false);
    });
  }
});
