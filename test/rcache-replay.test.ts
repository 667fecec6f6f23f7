// Every recorded trace of test/fixtures, every profile (tree-only and the
// range-cache profiles: linux-5.10, seed-v4 = cpu-flush, linux-6.4), replays
// exactly through replayTrace.
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeResult, replayTrace } from "../dist/src/replay/run.js";
import { readTrace } from "../dist/src/replay/trace.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".jsonl")).sort().map((f) => join(FIXTURES, f));
const profileOf = (f: string) => JSON.parse(readFileSync(f, "utf8").split("\n", 1)[0]).profile as string;

describe("rcache replay: every fixture", () => {
  it("covers the range-cache profiles, not only the tree", () => {
    const profiles = new Set(files.map(profileOf));
    for (const p of ["linux-rbtree", "linux-5.10", "seed-v4", "linux-6.4"]) expect(profiles, p).toContain(p);
  });

  for (const f of files) {
    it(`${basename(f)} (${profileOf(f)})`, () => {
      const r = replayTrace(readTrace(f));
      expect(r.status, describeResult(r)).toBe("passed");
      expect(r.profile).toBe(profileOf(f));
    });
  }
});
