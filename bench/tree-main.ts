// `node dist/bench/tree-main.js [--quick] [--json]`: the tree benchmark alone.
import { formatTreeBench, runTreeBench } from "./tree/tree-bench.js";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const json = args.has("--json");
const result = runTreeBench({ quick, log: json ? undefined : (l) => process.stderr.write(l + "\n") });
process.stdout.write((json ? JSON.stringify(result, null, 2) : formatTreeBench(result)) + "\n");
