// Input files and durations a hostile user gives the CLI: each once hung or
// crashed with a stack trace; now exit 2 (or a FAIL line) naming the value.
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "iova-hostile-inputs-"));
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 20_000 });
const fifo = join(dir, "fifo");
execFileSync("mkfifo", [fifo]);

describe("input files that are not regular files or expand without end", () => {
  it("iova replay /dev/zero and a FIFO: a FAIL line at once (was: read forever)", () => {
    for (const f of ["/dev/zero", fifo]) {
      const r = run(["replay", f]);
      expect(r.signal, f).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`FAIL ${f}: cannot read trace '${f}': not a regular file`);
    }
  });
  it("iova fio with a FIFO as job file: exit 2 naming it (was: blocked in open forever)", () => {
    const r = run(["fio", "--parse-only", fifo]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`'${fifo}': not a regular file`);
  });
  it("includes that fan out (20 per level, 8 levels) are refused (was: 20^8 lines, a hang)", () => {
    const inc = "include b.fio\n".repeat(20);
    writeFileSync(join(dir, "a.fio"), `[job]\nrw=read\nruntime=1\n${inc}`);
    const levels = "bcdefgh";
    for (let k = 0; k < levels.length; k++) {
      const next = levels[k + 1];
      writeFileSync(join(dir, `${levels[k]}.fio`), next ? `include ${next}.fio\n`.repeat(20) : "bs=4k\n");
    }
    const t0 = Date.now();
    const r = run(["fio", "--parse-only", join(dir, "a.fio")]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/more than 256 includes in all/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describe("iova aging durations too short for one sample", () => {
  for (const arg of ["--seconds=1e-300", "--hours=1e-300"]) {
    it(`${arg}: exit 2 naming the option (was: RangeError durationMs 0 with a stack trace from the worker)`, () => {
      const r = run(["aging", arg, "--policies=linux-5.10", "--cpus=4", "--jobs=2", "--parallel=1", `--out=${join(dir, "o")}`]);
      expect(r.status).toBe(2);
      const [option, value] = arg.split("=") as [string, string];
      expect(r.stderr).toContain(option);
      expect(r.stderr).toContain(value);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
