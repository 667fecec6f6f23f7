// CpuPool with several workers per CPU (cpuOf), as the fio runner uses it:
// workers of one CPU attach with shareCpu and share its caches; commands and
// kill take the worker's number; the CPU-dead path runs when the last worker
// of a CPU exits, not before (its caches still serve the others).
import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, IovaDomain } from "../dist/src/index.js";
import { spareLockArea } from "../dist/src/workers/lock-check.js";
import { CpuPool } from "../dist/src/workers/pool.js";

let pool: CpuPool | undefined;
let domain: IovaDomain | undefined;
afterEach(async () => {
  await pool?.terminateAll();
  pool = undefined;
  if (domain && !domain.isDestroyed) domain.destroy();
  domain = undefined;
});

const LIMIT = 2 ** 32 - 1;

describe("CpuPool cpuOf", () => {
  it("refuses a worker CPU outside the domain", async () => {
    domain = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4" });
    await expect(CpuPool.start(domain, { cpuOf: [0, 2] })).rejects.toThrow(/cpuOf\[1\] must be a CPU of the domain \(0-1\): got 2/);
    await expect(CpuPool.start(domain, { cpuOf: [] })).rejects.toThrow(/at least one/);
  });

  it("three workers on two CPUs: each runs as its CPU; the CPU goes offline with its last worker", async () => {
    domain = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4" });
    pool = await CpuPool.start(domain, { cpuOf: [0, 0, 1] });
    expect(pool.size).toBe(3);
    expect(pool.cpuOf).toEqual([0, 0, 1]);
    // Worker 1 (CPU 0) frees into CPU 0's magazine: the pfn is cached on CPU 0, not on CPU 1.
    const pfn = domain.allocFast(1, LIMIT, true, 0);
    expect(pfn).not.toBeNull();
    await pool.send(1, { kind: "freeRanges", ranges: [pfn!, 1] });
    const perCpu = (): number[] => {
      const cs = domain!.cacheStats();
      return cs.loaded.map((l, c) => l.reduce((a, n) => a + n, 0) + cs.prev[c]!.reduce((a, n) => a + n, 0));
    };
    expect(perCpu()).toEqual([1, 0]);
    // Worker 0 exits: worker 1 still runs as CPU 0, so CPU 0's caches stay.
    const first = await pool.kill(0);
    expect(first).toMatchObject({ cpu: 0, cpuDeadPath: false });
    expect(perCpu()).toEqual([1, 0]);
    expect(await pool.send(1, { kind: "ping" })).toEqual({ cpu: 0 });
    // The last worker of CPU 0 exits: now the CPU-dead path gives its pfns back to the tree.
    const last = await pool.kill(1);
    expect(last).toMatchObject({ cpu: 0, cpuDeadPath: true });
    expect(last.cpuDeadPathError).toBeUndefined();
    expect(perCpu()).toEqual([0, 0]);
    expect(pool.liveCpus).toEqual([2]);
    await pool.close();
    pool = undefined;
  });

  it("holderIdOf: each worker's id is the one its locks carry (holdLock), distinct per worker, readable after its exit", async () => {
    // Three CPUs, the last one spare: its scratch slot is the lock word the workers take in turn.
    domain = new IovaDomain(4096, 1, { cpus: 3, policy: "linux-6.4" });
    const area = spareLockArea(domain, 2);
    const i32 = new Int32Array(domain.memory.buffer);
    pool = await CpuPool.start(domain, { cpuOf: [0, 0, 1] });
    const ids = [0, 1, 2].map((w) => pool!.holderIdOf(w));
    // assembly/holder.ts: the sharers of CPU 0 are shared views (cpus + 1 + k, k >= 1); CPU 1's lone worker owns it (cpu + 1).
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toBeGreaterThan(domain.cpus + 1);
    expect(ids[1]).toBeGreaterThan(domain.cpus + 1);
    expect(ids[2]).toBe(2);
    for (const w of [0, 1, 2]) {
      const r = await pool.send(w, { kind: "holdLock", addr: area.lockAddr });
      expect(r.holder, `worker ${w}'s lock`).toBe(ids[w]);
      expect(Atomics.load(i32, area.lockAddr >>> 2)).toBe(ids[w]);
      Atomics.store(i32, area.lockAddr >>> 2, 0);
    }
    for (const bad of [-1, 3, 1.5, NaN]) expect(() => pool!.holderIdOf(bad)).toThrow(InvalidArgumentError);
    await pool.close();
    expect([0, 1, 2].map((w) => pool!.holderIdOf(w))).toEqual(ids);
    pool = undefined;
  });
});
