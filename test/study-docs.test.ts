// docs/aging.md prints the thread's system and its cost model: the rows the
// study runs (src/study/thread.ts, src/study/costs.ts), so the two cannot drift.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { THREAD_COST_ROWS, THREAD_SYSTEM } from "../dist/src/study/index.js";

const doc = readFileSync(new URL("../docs/aging.md", import.meta.url), "utf8");
const cell = (s: string) => s.replace(/\|/g, "\\|");

describe("docs/aging.md", () => {
  it("has a row for every parameter of the thread's system, guesses marked", () => {
    for (const r of THREAD_SYSTEM) {
      expect(doc, r.parameter).toContain(`| ${cell(r.parameter)} | ${cell(r.value)} | ${cell(r.source)} | ${r.guess ? "**guess**" : "no"} |`);
    }
  });
  it("has a row for every cost the study charges, with its value and source", () => {
    for (const r of THREAD_COST_ROWS) {
      expect(doc, r.field).toContain(`| \`${r.field}\` | ${r.ns} | ${cell(r.source)} | ${r.guess ? "**guess**" : "no"} |`);
    }
  });
});
