// Echoed user input cannot drive the terminal: a file name, an option value,
// an argument or a job file line holding ESC sequences, a BEL, a newline, a
// C1 CSI or a bidi override is shown escaped (src/util/shown.ts) in every
// CLI message that quotes it. Before: `iova fio --name=a --bs=$'4\e[2Jk'`
// wrote the raw ESC [2J (the terminal cleared), and a trace named
// $'a\nFAIL ...' printed a fake result line.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { shown } from "../dist/src/util/shown.js";

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "iova-esc-"));
/** Clear screen, a fake line, a BEL-ended OSC (sets the window title), C1 CSI, a right-to-left override. */
const EVIL = "\x1b[2J\nFAIL fake\x1b]0;t\x07\u009b31m\u202e";
const ESCAPED = "\\x1b[2J\\nFAIL fake\\x1b]0;t\\x07\\x9b31m\\u202e";

function iova(args: string[]): { code: number | null; text: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, text: r.stdout + r.stderr };
}

/** No control character but the newline ending each line; none of the hostile characters left raw. */
function expectClean(text: string): void {
  // eslint-disable-next-line no-control-regex
  expect(text.replace(/\n/g, "")).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(text).not.toMatch(/^FAIL fake/m);
}

describe("shown()", () => {
  it("escapes C0, DEL, C1, separators and bidi controls; leaves other text, backslashes and non-ASCII alone", () => {
    expect(shown(EVIL)).toBe(ESCAPED);
    expect(shown("\r\t\x00\x7f\u2028\u2069")).toBe("\\r\\t\\x00\\x7f\\u2028\\u2069");
    expect(shown("C:\\dir\\ä漢 ok")).toBe("C:\\dir\\ä漢 ok");
    expect(shown(shown(EVIL))).toBe(ESCAPED);  // idempotent: a message escaped twice reads the same
  });
});

describe("CLI messages that echo input escape its control characters", () => {
  const jobDir = join(dir, "jobs");
  const cases: Array<[string, () => string[], number]> = [
    ["fio: a bad --bs value", () => ["fio", "--name=a", `--bs=4${EVIL}k`], 2],
    ["fio: an unknown option", () => ["fio", `--nam${EVIL}e=a`], 2],
    ["fio: a missing job file", () => ["fio", join(dir, `nope${EVIL}.fio`)], 2],
    ["fio: a job file line and its name", () => {
      const f = join(dir, `job${EVIL.replace(/\//g, "")}.fio`);
      writeFileSync(f, `[a]\nbs=4${EVIL}k\n`);
      return ["fio", f];
    }, 2],
    ["fio: an --output folder that does not exist", () => ["fio", "--name=a", "--runtime=1s", `--output=${join(jobDir, `x${EVIL}`, "out")}`], 2],
    ["replay: a missing trace", () => ["replay", join(dir, `t${EVIL}.jsonl`)], 1],
    ["replay: a malformed trace line", () => {
      const f = join(dir, `bad${EVIL.replace(/\//g, "")}.jsonl`);
      writeFileSync(f, `{"kind":"header","name":"m","profile":"linux-rbtree","granule":4096,"start_pfn":1,"cpus":1,"mag_size":null,"max_global_mags":null}\n{"op":"free","pfn":1,"${EVIL.replace(/\n/g, "\\n").replace(/[\x00-\x1f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}":1}\n`);
      return ["replay", f];
    }, 1],
    ["replay: an unknown option", () => ["replay", `--x${EVIL}`], 2],
    ["demo: an unexpected argument", () => ["demo", EVIL], 2],
    ["aging: a bad --hours", () => ["aging", `--hours=${EVIL}`], 2],
  ];
  for (const [what, args, code] of cases) {
    it(what, () => {
      const r = iova(args());
      expect(r.code, r.text).toBe(code);
      expectClean(r.text);
      expect(r.text).toContain("\\x1b[2J");
    });
  }
});
