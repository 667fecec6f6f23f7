// `iova aging` under hostile input: output paths are checked before the run
// starts (exit 2 at once, never a study lost at the end or a hang), an
// impossible block size is refused up front, and SIGINT stops the study,
// writes the report of what ran, says so and exits 130.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OutputPathError, checkOutputFile, prepareOutputDir } from "../dist/src/cli/output-path.js";

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "iova-aging-hostile-"));

function aging(args: string[]): { code: number | null; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, "aging", ...args], { encoding: "utf8", timeout: 20_000 });
  return { code: r.status, err: r.stderr, ms: Date.now() - t0 };
}

describe("iova aging: bad output paths exit 2 before the run", () => {
  const file = join(dir, "a-file");
  writeFileSync(file, "x");
  const cases: [string, string, RegExp][] = [
    ["/proc/x (mkdir -p never returned there)", "/proc/x", /--out: cannot write to '\/proc\/x'/],
    ["/dev/null (lost the study with a stack trace)", "/dev/null", /'\/dev\/null': it exists and is not a directory/],
    ["a folder under a file", join(file, "sub"), /exists and is not a directory/],
    // The option table refuses an empty value before the path check sees it.
    ["an empty path", "", /--out requires a value/],
  ];
  for (const [what, out, re] of cases) {
    it(what, () => {
      const r = aging(["--quick", "--out", out]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err).not.toMatch(/\n\s+at /);  // no stack trace
      expect(r.ms).toBeLessThan(15_000);
    });
  }

  it("--bs 1p is refused with a message, not a crash after the header", () => {
    const r = aging(["--bs", "1p", "--seconds", "1", "--out", join(dir, "bs")]);
    expect(r.code).toBe(2);
    // The bs row's range (src/options/table.ts) refuses it while parsing.
    expect(r.err).toMatch(/^iova aging: --bs: a block size must be at most 1g \(got '1p'\)/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe("output-path checks (shared by aging --out and fio --output)", () => {
  it("prepareOutputDir makes missing levels and proves the folder writable", () => {
    const d = join(dir, "x", "y", "z");
    expect(prepareOutputDir("out", d)).toBe(d);
    expect(existsSync(d)).toBe(true);
  });
  it("checkOutputFile takes a new file in a folder, a device, and refuses a directory or a missing folder", () => {
    checkOutputFile("output", join(dir, "new.json"));
    expect(existsSync(join(dir, "new.json"))).toBe(false);  // nothing created
    checkOutputFile("output", "/dev/null");
    expect(() => checkOutputFile("output", dir)).toThrow(OutputPathError);
    expect(() => checkOutputFile("output", "/proc/x")).toThrow(/--output: cannot write to '\/proc\/x'/);
    expect(() => checkOutputFile("output", join(dir, "no", "such", "f"))).toThrow(/does not exist/);
  });
});

describe("iova aging: SIGINT", () => {
  it("stops, writes the report of what ran, says so and exits 130", async () => {
    const out = join(dir, "interrupted");
    const child = spawn(process.execPath, [CLI, "aging", "--quick", "--policies", "linux-6.4,adaptive", "--parallel", "1", "--out", out]);
    let err = "";
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    child.stdout.resume();
    // Interrupt while the first policy runs: at its first progress line, not after a fixed time (on an
    // idle machine the simulator finishes a 5 s --quick policy in under 2 s, and a timed SIGINT can land
    // in the second one).
    await new Promise<void>((r, reject) => {
      const seen = (): void => {
        if (!/\[1\/2\] linux-6\.4 +\d+%/.test(err)) return;
        child.stderr.off("data", seen);
        r();
      };
      child.stderr.on("data", seen);
      child.on("exit", () => reject(new Error(`iova aging exited before its first progress line: ${err}`)));
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    expect(err).toMatch(/iova aging: interrupted: stopping/);
    expect(err).toMatch(/the report holds what ran \(1 of 2 policies/);
    const study = JSON.parse(readFileSync(join(out, "study.json"), "utf8")) as { meta: { interrupted?: boolean; simulatedSeconds: number }; policies: { policy: string }[] };
    expect(study.meta.interrupted).toBe(true);
    expect(study.policies.map((p) => p.policy)).toEqual(["linux-6.4"]);
    expect(study.meta.simulatedSeconds).toBeLessThan(60);
  }, 30_000);
});
