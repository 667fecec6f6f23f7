// SharedArena across worker_threads: the main thread makes a 64 MiB arena,
// starts workers that each allocate, write, verify and free many buffers of
// mixed sizes at once, frees what they hand back, and checks that every byte
// came back.
//
//   npm run build && node dist/examples/shared-arena-workers.js [options]
//
//   --workers N   worker threads (default 4)
//   --ops N       operations per worker (default 100000)
//   --mib N       arena size in MiB (default 64)
//   --unit N      allocation unit in bytes (default 64)
//   --policy P    depot policy (default adaptive)
//   --debug       track live ranges: double/invalid frees and overlaps throw
//   --seed N      PRNG seed (default 1)
//   --inject-double-free   worker 0 frees one small buffer twice (a bug on
//                 purpose: debug mode stops it with DoubleFreeError; without
//                 debug it goes unnoticed by the allocator and shows up, if at
//                 all, as corrupted buffers)
//
// The last line is `RESULT {json}`; the exit code is 0 only when no buffer was
// corrupted, no worker failed and all memory was returned.
//
// Outside this repository, import from "iova-wasm" instead of "../src/index.js".
import { Worker } from "node:worker_threads";
import { SharedArena, type ArenaStats, type DepotPolicy } from "../src/index.js";
import { checkTag, type WorkerJob, type WorkerReport } from "./shared-arena-worker.js";

interface Options {
  workers: number;
  ops: number;
  mib: number;
  unit: number;
  policy: DepotPolicy | "tree-only";
  debug: boolean;
  seed: number;
  injectDoubleFree: boolean;
}

/** The machine-readable summary printed after `RESULT `. */
export interface ExampleResult {
  ok: boolean;
  workers: number;
  opsPerWorker: number;
  ops: number;
  allocs: number;
  frees: number;
  nullAllocs: number;
  corruptions: number;
  workerErrors: string[];
  handedOff: number;
  seconds: number;
  memoryReturned: boolean;
  stats: ArenaStats;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { workers: 4, ops: 100_000, mib: 64, unit: 64, policy: "adaptive", debug: false, seed: 1, injectDoubleFree: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer, got ${argv[i]}`);
      return v;
    };
    if (a === "--workers") o.workers = num();
    else if (a === "--ops") o.ops = num();
    else if (a === "--mib") o.mib = num();
    else if (a === "--unit") o.unit = num();
    else if (a === "--seed") o.seed = num();
    else if (a === "--policy") o.policy = argv[++i] as DepotPolicy;
    else if (a === "--debug") o.debug = true;
    else if (a === "--inject-double-free") o.injectDoubleFree = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function runWorker(job: WorkerJob): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./shared-arena-worker.js", import.meta.url), { workerData: job });
    let report: WorkerReport | undefined;
    w.once("message", (m: WorkerReport) => { report = m; });
    w.once("error", reject);
    w.once("exit", (code) => {
      if (report) resolve(report);
      else reject(new Error(`worker ${job.index} exited with code ${code} before reporting`));
    });
  });
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const arena = SharedArena.create({
    bytes: o.mib * 2 ** 20, unit: o.unit, workers: o.workers, policy: o.policy, debug: o.debug,
  });
  console.log(`SharedArena: ${mib(arena.bytes)}, unit ${arena.unit} B, ${arena.workers} workers, ` +
    `policy ${arena.policy}, debug ${arena.debug ? "on" : "off"}, ${o.ops} ops per worker`);

  const t0 = performance.now();
  const jobs = Array.from({ length: o.workers }, (_, index): WorkerJob => ({
    handle: arena.handle, index, ops: o.ops, seed: o.seed * 7919 + index, maxLive: 512, handoff: 8,
    injectDoubleFree: o.injectDoubleFree && index === 0,
  }));
  const settled = await Promise.allSettled(jobs.map(runWorker));
  const seconds = (performance.now() - t0) / 1000;

  const reports: WorkerReport[] = [];
  const workerErrors: string[] = [];
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") reports.push(s.value);
    else {
      workerErrors.push(`worker ${i}: ${(s.reason as Error)?.stack ?? String(s.reason)}`);
      arena.reclaimWorker(i);
    }
  });

  for (const r of reports) {
    console.log(`worker ${r.index}: ${r.ops} ops (${r.allocs} allocs: ${r.smallAllocs} small, ${r.largeAllocs} large; ` +
      `${r.frees} frees; ${r.nullAllocs} null), ${mib(r.bytesVerified)} verified, ${r.corruptions} corruptions, ${r.ms.toFixed(0)} ms`);
    if (r.firstCorruption) console.log(`  first corruption: ${r.firstCorruption}`);
  }
  for (const e of workerErrors) console.log(`FAILED ${e}`);

  // Frees may come from any thread: the main thread checks and frees what the workers handed over.
  let handedOff = 0;
  let corruptions = reports.reduce((n, r) => n + r.corruptions, 0);
  for (const r of reports) {
    for (const h of r.handoff) {
      const bad = checkTag(arena, h);
      if (bad !== null) {
        corruptions++;
        console.log(`  handed-off buffer of worker ${r.index} corrupted: ${bad}`);
      }
      arena.free(h.offset, h.bytes);
      handedOff++;
    }
  }
  console.log(`main: verified and freed ${handedOff} buffers handed over by the workers`);

  const before = arena.stats();
  arena.trim(); // every worker's and depot's cached ranges back to the tree
  const stats = arena.stats();
  arena.domain.check(); // the allocator's tree invariants
  arena.close();

  const sum = (k: keyof WorkerReport) => reports.reduce((n, r) => n + (r[k] as number), 0);
  const memoryReturned = stats.liveAllocations === 0 && stats.liveBytes === 0 && stats.ranges === 0
    && stats.freeBytes === stats.bytes && stats.largestFreeBytes === stats.bytes;
  const ops = sum("ops");
  const result: ExampleResult = {
    ok: corruptions === 0 && workerErrors.length === 0 && memoryReturned,
    workers: o.workers, opsPerWorker: o.ops, ops, allocs: sum("allocs"), frees: sum("frees"),
    nullAllocs: sum("nullAllocs"), corruptions, workerErrors, handedOff, seconds, memoryReturned, stats,
  };
  console.log(`total: ${ops} ops in ${seconds.toFixed(2)} s (${Math.round(ops / seconds / 1000)}k ops/s across workers), ` +
    `${result.nullAllocs} failed (null) allocs, ${corruptions} corruptions, ${workerErrors.length} worker errors`);
  console.log(`before trim: ${before.liveAllocations} live, ${before.cachedBytes} B cached in per-worker caches and depots, ` +
    `${before.freeBytes} B free in the tree`);
  console.log(`final stats: allocs ${stats.allocs}, frees ${stats.frees}, live ${stats.liveAllocations}, ` +
    `ranges ${stats.ranges}, cached ${stats.cachedBytes} B, free ${stats.freeBytes} of ${stats.bytes} B, ` +
    `largest free ${stats.largestFreeBytes} B`);
  console.log(`all memory returned: ${memoryReturned ? "yes" : "NO"}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
  return result.ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(e);
  process.exitCode = 2;
});
