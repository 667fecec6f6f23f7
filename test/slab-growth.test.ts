// The slab grows with use: memory.grow one group (3 wasm pages) at a time as
// nodes and magazines are first needed, instead of being sized for the caps
// up front. The caps still end allocation exactly as before (node-slab-full,
// magazine slot 0); growth from many workers at once keeps exact books; and
// every thread, host code included, sees the grown memory.
import { afterEach, describe, expect, it } from "vitest";
import { IovaDomain, SharedArena } from "../dist/src/index.js";
import { auditBooks, cachedPfns } from "../dist/src/workers/audit.js";
import { CpuPool, Mailboxes, type WorkloadSpec } from "../dist/src/workers/pool.js";
import { layoutOf } from "../dist/src/wasm/exports.js";
import { codes } from "../dist/src/wasm/codes.js";
import { MEMORY_CASES, formatArenaMemory, measureArenaMemory } from "../dist/bench/memory/arena-memory.js";

const LIMIT44 = 2 ** 32 - 1;
/** The slab's geometry, as the module lays it out: bytes of a group, cells of a group that hold nodes and magazines. */
const L = layoutOf(new IovaDomain(4096, 1, { maxRanges: 1 }).ex);
const GROUP = L.groupBytes;
const USABLE = L.usableCells;
const groups = (d: IovaDomain) => d.ex.domainStat(d.base, codes().Stat.groups);
const PROBE = new URL("./fixtures/slab-probe.mjs", import.meta.url).href;

let pool: CpuPool | null = null;
afterEach(async () => {
  await pool?.terminateAll();
  pool = null;
});

describe("slab growth, one thread", () => {
  it("starts with one group and grows a group at a time as ranges are allocated", () => {
    const d = new IovaDomain(4096, 1, { policy: "tree-only", maxRanges: 1 << 20 });
    const start = d.stats();
    expect(groups(d)).toBe(1);
    expect(start.memoryMaxBytes).toBeGreaterThan(48 * (1 << 20));   // the caps' worst case is only a limit
    expect(start.memoryBytes).toBeLessThan(1 << 20);
    const pfns: number[] = [];
    let lastBytes = start.memoryBytes;
    let steps = 0;
    for (let i = 0; i < 20_000; i++) {
      pfns.push(d.allocOrThrow(1 + (i % 7), LIMIT44));
      const now = d.memory.buffer.byteLength;
      if (now !== lastBytes) {
        expect(now - lastBytes).toBeLessThanOrEqual(GROUP + 65536);   // one group (page-rounded)
        lastBytes = now;
        steps++;
      }
    }
    // 20,000 nodes + the anchor and nil, USABLE cells per group.
    expect(groups(d)).toBe(Math.ceil(20_002 / USABLE));
    expect(steps).toBe(groups(d) - 1);
    d.check();
    expect(d.ranges().map((r) => r.lo)).toEqual([...pfns].sort((a, b) => a - b));
    // Freed nodes are reused: freeing and allocating again does not grow it.
    for (const p of pfns.slice(0, 10_000)) expect(d.free(p)).toBe(true);
    for (let i = 0; i < 10_000; i++) d.allocOrThrow(3, LIMIT44);
    expect(d.memory.buffer.byteLength).toBe(lastBytes);
    d.check();
  });

  it("ends at exactly maxRanges with node-slab-full, as when the slab was sized up front", () => {
    for (const maxRanges of [1, USABLE - 2, USABLE - 1, USABLE, 9000]) {
      const d = new IovaDomain(4096, 1, { policy: "tree-only", maxRanges });
      for (let i = 0; i < maxRanges; i++) d.allocOrThrow(1, LIMIT44);
      expect(d.alloc(1, LIMIT44)).toBeNull();
      expect(d.lastFailure).toBe("node-slab-full");
      expect(() => d.reserve(2 ** 31, 2 ** 31)).toThrow(/slab/i);
      const st = d.stats();
      expect(st.ranges).toBe(maxRanges);
      expect(st.slabFull).toBe(2);
      expect(st.growFailures).toBe(0);
      expect(st.memoryBytes).toBeLessThanOrEqual(st.memoryMaxBytes);
      d.check();
      d.free(d.ranges()[0].lo);
      expect(d.alloc(1, LIMIT44)).not.toBeNull();
    }
  });

  it("magazines grow the slab too, and maxMagazines still ends in an empty slot", () => {
    // Unbounded depot, 8-pfn magazines (72 bytes: 2 cells each): freeing 40,000 pfns on
    // one CPU pushes about 5,000 magazines, most of them in groups made after the nodes.
    const d = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4", magazineSize: 8, maxMagazines: 6000, maxRanges: 1 << 17 });
    const pfns: number[] = [];
    for (let i = 0; i < 40_000; i++) pfns.push(d.allocFast(1, LIMIT44, true, 0));
    const afterNodes = groups(d);
    for (const p of pfns) d.freeFast(p, 1, 0);
    const cs = d.cacheStats();
    expect(cs.total).toBe(40_000);
    expect(cs.magazines.used).toBeGreaterThan(4900);
    expect(groups(d)).toBeGreaterThan(afterNodes);
    auditBooks(d, []);
    // Now past maxMagazines: inserts that need a fresh magazine find none and free to the tree.
    const more: number[] = [];
    for (let i = 0; i < 20_000; i++) more.push(d.alloc(1, LIMIT44)!);
    for (const p of more) d.freeFast(p, 1, 1);
    const after = d.cacheStats();
    expect(after.magazines.used).toBe(6000);
    expect(after.magazines.allocFailures).toBeGreaterThan(0);
    expect(after.insertFails).toBeGreaterThan(0);
    auditBooks(d, []);
    d.flushAll();
    expect(d.stats().ranges).toBe(0);
    d.check();
  });
});

describe("slab growth, many workers", () => {
  it("4 workers growing the slab at once keep exact books", async () => {
    const workers = 4;
    const domain = new IovaDomain(4096, 1, { cpus: workers, policy: "linux-6.4", magazineSize: 16, maxRanges: 1 << 18 });
    const before = domain.memory.buffer.byteLength;
    pool = await CpuPool.start(domain);
    const RING = 256;
    const ring = Mailboxes.create(workers, RING);
    const spec = (cpu: number): WorkloadSpec => ({
      seed: 0x61ab + cpu, ops: 60_000, sizes: [1, 48], limits: [2 ** 20 - 1, LIMIT44], maxLive: 6000,
      allocBias: 0.8, phase: 9000, mailbox: Mailboxes.spec(ring, workers, RING, cpu, 0.2),
    });
    const rs = await pool.all((cpu) => ({ kind: "workload", spec: spec(cpu) }), { gate: true });
    const live = [...rs.flatMap((r) => r.live), ...Mailboxes.pending(ring, workers, RING)];
    const st = domain.stats();
    expect(groups(domain)).toBeGreaterThan(4);
    expect(st.memoryBytes).toBeGreaterThan(before);
    expect(st.growFailures).toBe(0);
    expect(st.slabFull).toBe(0);
    const books = auditBooks(domain, live);
    expect(books.treeRanges).toBe(books.live + books.cached);
    expect(books.live).toBeGreaterThan(10_000);
    const perCpu = rs.map((r) => [...r.live]);
    Mailboxes.drainAll(ring, workers, RING).forEach((x, k) => perCpu[(k + 1) % workers].push(...x));
    await pool.all((cpu) => ({ kind: "freeRanges", ranges: perCpu[cpu] }));
    domain.flushAll();
    expect(domain.stats().ranges).toBe(0);
    domain.check();
  }, 120_000);

  it("a worker's host code reads magazines beyond the memory it attached to; a view kept from before is short", async () => {
    const domain = new IovaDomain(4096, 1, { cpus: 2, policy: "linux-6.4", magazineSize: 8, maxRanges: 1 << 17, maxMagazines: 8000 });
    pool = await CpuPool.start(domain, { workers: 1 });   // CPU 0; this thread acts as CPU 1
    const [{ bytes: attached }] = await pool.all(() => ({ kind: "run", module: PROBE, fn: "keepView", args: {} }));
    const pfns: number[] = [];
    for (let i = 0; i < 30_000; i++) pfns.push(domain.allocFast(1, LIMIT44, true, 1));
    for (const p of pfns) domain.freeFast(p, 1, 1);
    const grown = domain.memory.buffer.byteLength;
    expect(grown).toBeGreaterThan(attached + 5 * GROUP);
    const mine = cachedPfns(domain);
    const [theirs] = await pool.all(() => ({ kind: "run", module: PROBE, fn: "readGrown", args: {} }));
    expect(theirs.keptBytes).toBe(attached);
    expect(theirs.bufferBytes).toBe(grown);
    expect(theirs.magazines).toBe(mine.magazines);
    expect(theirs.pfns).toEqual(mine.pfns.map((p) => p.pfn));
    expect(theirs.pfns.length).toBe(30_000);
  }, 60_000);
});

describe("allocator memory of a SharedArena", () => {
  it("a 64 MiB arena holding 1,000 blocks costs at most 10% of it; figures printed", () => {
    const figures = MEMORY_CASES.map(([a, n, b]) => measureArenaMemory(a, n, b));
    console.log(`allocator memory of a SharedArena (one worker)\n${formatArenaMemory(figures)}`);
    const target = figures.find((f) => f.arenaBytes === 64 * 2 ** 20 && f.live === 1000)!;
    expect(target.overheadPct).toBeLessThanOrEqual(10);
    for (const f of figures) {
      expect(f.allocatorBytes).toBeLessThanOrEqual(f.maxBytes);
      // Each range past the first group costs its node (one cell) and 4-byte count, and nothing else.
      if (f.live >= 100_000) expect(f.marginalBytesPerLive).toBeLessThan((L.cellBytes + 4) * 1.08);
    }
  });

  it("an arena's memory grows when workers allocate, and their blocks never overlap", async () => {
    const arena = SharedArena.create({ bytes: 64 * 2 ** 20, workers: 1 });
    const start = arena.domain.memory.buffer.byteLength;
    const offs: number[] = [];
    for (let i = 0; i < 50_000; i++) offs.push(arena.alloc(100 + (i % 900))!);
    expect(arena.domain.memory.buffer.byteLength).toBeGreaterThan(start);
    const sorted = offs.map((o, i) => [o, 100 + (i % 900)]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][0] + sorted[i - 1][1]);
    arena.domain.check();
    arena.close();
  });
});
