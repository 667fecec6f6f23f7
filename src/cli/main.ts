#!/usr/bin/env node
// The `iova` command: subcommands dispatch to src/cli/<name>.ts.
import { replayCommand } from "./replay.js";
import { demoCommand } from "./demo.js";
import { agingCommand } from "./aging.js";

const USAGE = `usage: iova <command> [args]

commands:
  aging [options]  the long-term study: the same storage load under every depot policy
                   on a virtual clock, with an HTML/JSON report (npm start runs it)
  fio [options]    fio-style load runs: jobs as worker CPUs mapping and unmapping I/O
                   (iova fio --help lists the options)
  replay FILE...   replay kernel conformance traces (JSON lines) and compare every result
  demo             allocate, fragment and print tree statistics
  --version        print the version
`;

function main(argv: string[]): number | Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "replay": return replayCommand(rest);
    case "demo": return demoCommand(rest);
    case "fio": return import("./fio.js").then((m) => m.fioCommand(rest));
    case "aging": return agingCommand(rest);
    case "--version":
    case "version":
      return import("../fio/runner/report.js").then((m) => { process.stdout.write(`${m.VERSION}\n`); return 0; });
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`iova: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      return 2;
  }
}

Promise.resolve()
  .then(() => main(process.argv.slice(2)))
  .then((code) => { process.exitCode = code; })
  .catch((e: unknown) => {
    process.stderr.write(`iova: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
