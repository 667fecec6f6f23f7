// Runs examples/shared-arena-workers (as built into dist/examples) in a child
// process: workers allocate, write, verify and free in one SharedArena at
// once; the run must see no corruption and get every byte back.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLE = "dist/examples/shared-arena-workers.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  result: {
    ok: boolean; workers: number; opsPerWorker: number; ops: number; allocs: number; frees: number;
    nullAllocs: number; corruptions: number; workerErrors: string[]; handedOff: number; memoryReturned: boolean;
    stats: Record<string, unknown> & { allocs: number; frees: number; bytes: number };
  } | null;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [EXAMPLE, ...args], { cwd: ROOT, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      resolve({ code, stdout, stderr, result: line ? JSON.parse(line.slice(7)) : null });
    });
  });
}

function expectClean(r: Run, workers: number, ops: number) {
  expect(r.stderr).toBe("");
  expect(r.code, r.stdout).toBe(0);
  const res = r.result!;
  expect(res).not.toBeNull();
  expect(res.ok).toBe(true);
  expect(res.workers).toBe(workers);
  expect(res.ops).toBe(workers * ops);
  expect(res.corruptions).toBe(0);
  expect(res.workerErrors).toEqual([]);
  expect(res.memoryReturned).toBe(true);
  expect(res.handedOff).toBe(workers * 8);
  // Every allocation freed: by its worker, or by the main thread after the handoff.
  expect(res.stats.allocs).toBe(res.allocs);
  expect(res.stats.frees).toBe(res.frees + res.handedOff);
  expect(res.stats).toMatchObject({ liveAllocations: 0, liveBytes: 0, ranges: 0, cachedBytes: 0, attachedWorkers: [] });
  expect(res.stats.freeBytes).toBe(res.stats.bytes);
  expect(r.stdout).toContain("all memory returned: yes");
  for (let i = 0; i < workers; i++) expect(r.stdout).toMatch(new RegExp(`^worker ${i}: ${ops} ops .* 0 corruptions`, "m"));
}

describe("examples/shared-arena-workers", () => {
  it("default run: 64 MiB, 4 workers, 100000 ops each", async () => {
    const r = await run([]);
    expectClean(r, 4, 100_000);
    expect(r.stdout).toContain("SharedArena: 64.0 MiB, unit 64 B, 4 workers, policy adaptive, debug off");
    expect(r.result!.stats.bytes).toBe(64 * 2 ** 20);
  });

  it("a small arena under pressure, debug on: allocations fail (null) but nothing is corrupted or lost", async () => {
    const r = await run(["--mib", "1", "--workers", "3", "--ops", "20000", "--debug"]);
    expectClean(r, 3, 20_000);
    expect(r.result!.nullAllocs).toBeGreaterThan(0);
    expect(r.result!.stats.debug).toBe(true);
  });

  it("other policies and units", async () => {
    expectClean(await run(["--mib", "2", "--workers", "2", "--ops", "20000", "--policy", "linux-5.10", "--unit", "16"]), 2, 20_000);
    expectClean(await run(["--mib", "2", "--workers", "2", "--ops", "20000", "--policy", "tree-only"]), 2, 20_000);
  });

  it("an injected double free: debug mode stops it with DoubleFreeError and the run fails", async () => {
    const r = await run(["--mib", "2", "--workers", "2", "--ops", "10000", "--debug", "--inject-double-free"]);
    expect(r.code).toBe(1);
    expect(r.result!.ok).toBe(false);
    expect(r.result!.workerErrors).toHaveLength(1);
    expect(r.result!.workerErrors[0]).toMatch(/^worker 0: DoubleFreeError: offset was already freed/);
    expect(r.stdout).toContain("all memory returned: NO");
  });

  it("an injected double free without debug: the allocator hands the block out twice and the data check catches it", async () => {
    // A roomy arena: no flush empties the cache between the two hand-outs of the block.
    const r = await run(["--workers", "2", "--ops", "20000", "--inject-double-free"]);
    expect(r.code).toBe(1);
    expect(r.result!.ok).toBe(false);
    expect(r.result!.stats.liveAllocations).toBe(-1); // one free more than allocs
    expect(r.result!.corruptions).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/first corruption: worker 0: offset \d+/);
  });
});
