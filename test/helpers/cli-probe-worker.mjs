// Runs command lines of `iova fio` and `iova aging` in-process, one after
// another, in a worker thread, so that the parent can bound each one (a
// worker can be terminated even inside a busy loop) without spawning a
// process per case. For each case: the exit code, what went to stderr, and
// whether the command threw (a crash: the CLI would print a stack, exit 1).
// Before each case it writes the case's index to `progress`: after a
// timeout the parent knows which command line hung.
import { parentPort, workerData } from "node:worker_threads";

const { entries, cases, progress } = workerData;
const at = new Int32Array(progress);
const { fioCommand } = await import(entries.fio);
const { agingPreflight } = await import(entries.aging);

const results = [];
for (let i = 0; i < cases.length; i++) {
  Atomics.store(at, 0, i);
  const { command, argv } = cases[i];
  let err = "";
  const sink = { write: () => true, isTTY: false };
  const io = { stdout: sink, stderr: { write: (s) => { err += String(s); return true; }, isTTY: false } };
  const t0 = performance.now();
  let code = null;
  let crash = null;
  try {
    if (command === "fio") code = await fioCommand(argv, io);
    else {
      const pre = agingPreflight(argv, io);
      code = "code" in pre ? pre.code : 0;
    }
  } catch (e) {
    crash = String((e && e.stack) || e);
  }
  results.push({ code, err, crash, ms: performance.now() - t0 });
}
Atomics.store(at, 0, cases.length);
parentPort.postMessage(results);
