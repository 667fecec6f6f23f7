// `iova replay FILE...`: one line per trace, then "N passed, N failed".
import { readTrace, TraceFormatError } from "../replay/trace.js";
import { describeResult, replayTrace } from "../replay/run.js";
import { shown } from "../util/shown.js";

export const REPLAY_USAGE = `usage: iova replay FILE.jsonl...

Replays kernel conformance traces (JSON lines, test/fixtures/FORMAT.md)
against the wasm core and compares every result. One line per trace, then
"N passed, N failed". Exit status 0 when every trace passed, 1 otherwise.

  --help  this text
  --      every later argument is a file, even one starting with -
`;

export function replayCommand(argv: string[]): number {
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") { files.push(...argv.slice(i + 1)); break; }
    if (a === "--help" || a === "-h") { process.stdout.write(REPLAY_USAGE); return 0; }
    if (a.startsWith("-") && a !== "-") { process.stderr.write(`iova replay: unknown option '${shown(a)}'\n\n${REPLAY_USAGE}`); return 2; }
    files.push(a);
  }
  if (files.length === 0) {
    process.stderr.write(`iova replay: no trace files given\n\n${REPLAY_USAGE}`);
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
    process.stdout.write(shown(line) + "\n");  // the file name and reasons echo input: escaped (util/shown.ts)
  }
  if (unsupported) process.stdout.write(`${unsupported} unsupported (not counted as passed)\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 || unsupported > 0 ? 1 : 0;
}
