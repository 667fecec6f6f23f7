// Writes the three report artefacts side by side in one directory.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderHtml } from "./html.js";
import { studyText } from "./text.js";
import type { StudyResult } from "./types.js";

export interface ReportPaths {
  json: string;
  html: string;
  summary: string;
}

/** Creates `dir` if needed and writes study.json, study.html, summary.txt. */
export async function writeReport(result: StudyResult, dir: string): Promise<ReportPaths> {
  await mkdir(dir, { recursive: true });
  const paths: ReportPaths = {
    json: join(dir, "study.json"),
    html: join(dir, "study.html"),
    summary: join(dir, "summary.txt"),
  };
  const text = studyText(result);
  // Compact JSON: pretty-printing puts every sample on its own line, which
  // multiplies the size of long runs for no reader's benefit.
  await Promise.all([
    writeFile(paths.json, JSON.stringify(result) + "\n"),
    writeFile(paths.html, renderHtml(result)),
    writeFile(paths.summary, text),
  ]);
  return paths;
}
