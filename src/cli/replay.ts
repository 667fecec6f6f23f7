// `iova replay FILE...`: one line per trace, then "N passed, N failed".
import { readTrace, TraceFormatError } from "../replay/trace.js";
import { describeResult, replayTrace } from "../replay/run.js";

export function replayCommand(files: string[]): number {
  if (files.length === 0) {
    process.stderr.write("usage: iova replay FILE.jsonl...\n");
    return 2;
  }
  let passed = 0;
  let failed = 0;
  let unsupported = 0;
  for (const f of files) {
    let line: string;
    try {
      const r = replayTrace(readTrace(f));
      line = describeResult(r);
      if (r.status === "passed") passed++;
      else if (r.status === "failed") failed++;
      else unsupported++;
    } catch (e) {
      // A malformed file names its own line: "FAIL file:line: reason".
      line = e instanceof TraceFormatError ? `FAIL ${e.file}:${e.line}: ${e.reason}` : `FAIL ${f}: ${(e as Error).message}`;
      failed++;
    }
    process.stdout.write(line + "\n");
  }
  if (unsupported) process.stdout.write(`${unsupported} unsupported (not counted as passed)\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 || unsupported > 0 ? 1 : 0;
}
