// Many workers, one domain: random allocFast/freeFast on every policy, with
// 2 workers and with 6 (more workers than this machine's 2 cores). Some
// frees happen on another CPU than the alloc: a worker hands the range to
// the next one through a mailbox ring and that one frees it on its own CPU.
// At the end, with the workers idle, every pfn is accounted for exactly once.
import { afterEach, describe, expect, it } from "vitest";
import { IovaDomain, POLICIES, type DomainOptions } from "../dist/src/index.js";
import { assertDisjoint, auditBooks } from "../dist/src/workers/audit.js";
import { CpuPool, Mailboxes, type WorkloadResult, type WorkloadSpec } from "../dist/src/workers/pool.js";

/** limitPfn of a 32-bit and a 44-bit DMA mask, 4 KiB pages. */
const LIMIT32 = 2 ** 20 - 1;
const LIMIT44 = 2 ** 32 - 1;
const OPS = 100_000;
const RING = 256;

let pool: CpuPool | null = null;
afterEach(async () => {
  await pool?.terminateAll();
  pool = null;
});

interface Geometry {
  name: string;
  startPfn: number;
  options: Partial<DomainOptions>;
  spec: Partial<WorkloadSpec>;
}

const GEOMETRIES: Geometry[] = [
  // The policy's own magazine size and depot bound.
  { name: "default geometry", startPfn: 1, options: {}, spec: { maxLive: 600, phase: 4000, allocBias: 0.7 } },
  // 4-pfn magazines, 2 per depot: depots fill, v5.10 retires magazines, cpu-flush flushes.
  { name: "tiny magazines", startPfn: 1, options: { magazineSize: 4, depotMax: 2 }, spec: { maxLive: 300, phase: 500, allocBias: 0.8 } },
  // Only 4096 pfns below the 32-bit limit: 32-bit allocs fail, flush and retry, max32_alloc_size kicks in.
  { name: "32-bit space nearly full", startPfn: LIMIT32 - 4095, options: { magazineSize: 16, depotMax: 4 }, spec: { maxLive: 400, phase: 1000, allocBias: 0.8 } },
];

const sum = (rs: WorkloadResult[], k: keyof WorkloadResult) => rs.reduce((a, r) => a + (r[k] as number), 0);

async function stress(policy: (typeof POLICIES)[number], workers: number, g: Geometry) {
  const domain = new IovaDomain(4096, g.startPfn, { cpus: workers, policy, maxRanges: 1 << 18, ...g.options });
  pool = await CpuPool.start(domain);
  const ring = Mailboxes.create(workers, RING);
  const specs: WorkloadSpec[] = [];
  for (let cpu = 0; cpu < workers; cpu++) {
    specs.push({
      seed: 0x5eed + 97 * cpu + workers, ops: OPS, sizes: [1, 64], limits: [LIMIT32, LIMIT44],
      mailbox: Mailboxes.spec(ring, workers, RING, cpu, 0.25), ...g.spec,
    });
  }
  // The clock-driven policies also get their depot work run from the host while the workers run.
  let running = true;
  let ticks = 0;
  const ticker = (async () => {
    let now = 0;
    while (running) {
      now += 50;
      domain.tick(now, 200);
      ticks++;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const results = await pool.all((cpu) => ({ kind: "workload", spec: specs[cpu] }), { gate: true });
  running = false;
  await ticker;

  // Exact counts: every op of every worker is either an allocFast, a freeFast or a hand-off.
  for (const r of results) {
    expect(r.stopped).toBe(false);
    expect(r.ops + r.sent).toBe(OPS);
    expect(r.ops).toBe(r.allocs + r.allocFails + r.frees);
  }
  const inFlight = Mailboxes.pending(ring, workers, RING);
  expect(sum(results, "sent")).toBe(sum(results, "received") + inFlight.length / 2);
  expect(sum(results, "sent")).toBeGreaterThan(0);
  const cs = domain.cacheStats();
  const st = domain.stats();
  expect(cs.hits + cs.misses).toBe(sum(results, "cachedAllocCalls"));
  expect(cs.inserts + cs.insertFails).toBe(sum(results, "cachedFreeCalls"));
  // Every successful allocFast came from a magazine or from the tree (no one else allocates here).
  expect(sum(results, "allocs")).toBe(cs.hits + st.allocs);
  expect(st.allocs - st.frees).toBe(st.ranges);

  // Every pfn handed out is in exactly one place: live (held or in flight) or cached.
  const live = [...results.flatMap((r) => r.live), ...inFlight];
  assertDisjoint(live);
  const books = auditBooks(domain, live);
  expect(st.ranges).toBe(live.length / 2 + cs.total);
  expect(books.treeRanges).toBe(books.live + books.cached);

  // Free everything: each worker frees what it holds, the in-flight ones are
  // freed by the CPU they were sent to (completion on another CPU).
  const perCpu: number[][] = results.map((r) => [...r.live]);
  Mailboxes.drainAll(ring, workers, RING).forEach((rs, k) => perCpu[(k + 1) % workers].push(...rs));
  await pool.all((cpu) => ({ kind: "freeRanges", ranges: perCpu[cpu] }));
  const after = domain.cacheStats();
  expect(domain.stats().ranges).toBe(after.total);
  auditBooks(domain, []);
  domain.flushAll();
  expect(domain.stats().ranges).toBe(0);
  expect(domain.ranges()).toEqual([]);
  expect(domain.cacheStats().total).toBe(0);
  const end = domain.stats();
  expect(end.allocs).toBe(end.frees);
  expect(end.freeMisses).toBe(0);
  domain.check();

  const deaths = await pool.close();
  expect(deaths.map((d) => [d.exitCode, d.cpuDeadPathError])).toEqual(deaths.map(() => [0, undefined]));
  pool = null;
  return { results, cs, ticks };
}

describe.each(GEOMETRIES)("workers stress: $name", (g) => {
  for (const policy of POLICIES) {
    for (const workers of [2, 6]) {
      it(`${policy}, ${workers} workers`, async () => {
        const { results, cs } = await stress(policy, workers, g);
        expect(sum(results, "allocs")).toBeGreaterThan(0);
        if (g.name === "tiny magazines") {
          expect(cs.depotPushes).toBeGreaterThan(0);
          if (policy === "linux-5.10" || policy === "cpu-flush" || policy === "scaled-depot") expect(cs.depotFullEvents).toBeGreaterThan(0);
        }
        if (g.name === "32-bit space nearly full") expect(sum(results, "allocFails")).toBeGreaterThan(0);
      });
    }
  }
});
