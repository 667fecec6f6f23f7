// The core's counters as the host reads them: one statsDump call writes all
// of them into a scratch slot (assembly/api/stats.ts draws the layout), and
// StatsDump copies them out at once, so later calls may reuse the slot.
// From it, the cache-state view: per CPU and order the loaded/prev magazine
// sizes, per order the depot, and the totals the kernel thread printed
// (cpu_total, depot_total, total).
import type { IovaExports } from "../wasm/exports.js";
import type { WasmMemory } from "../wasm/types.js";
import { codes, type MemberOf } from "../wasm/codes.js";
import { countArg } from "../validate.js";

/** Every counter of a domain at one moment. */
export class StatsDump {
  readonly cpus: number;
  private readonly f64: Float64Array;
  private readonly cells: Uint16Array;

  /** Dumps the domain at `base` into the scratch bytes at `out` and copies them. */
  constructor(ex: IovaExports, memory: WasmMemory, base: number, out: number) {
    const c = codes();
    const bytes = ex.statsDump(base, out);
    this.cpus = ex.domainStat(base, c.Stat.cpus);
    const cellsAt = c.StatsAt.CPUS + this.cpus * c.CpuStat.COUNT * 8;
    this.f64 = new Float64Array(memory.buffer, out, cellsAt / 8).slice();
    this.cells = new Uint16Array(memory.buffer, out + cellsAt, (bytes - cellsAt) / 2).slice();
  }

  /** One domain-wide Stat. */
  stat(k: Exclude<MemberOf<"Stat">, "COUNT">): number {
    return this.f64[codes().Stat[k]]!;
  }

  /** One DepotStat of an order's depot. */
  depot(order: number, k: Exclude<MemberOf<"DepotStat">, "COUNT">): number {
    const c = codes();
    return this.f64[c.StatsAt.DEPOTS / 8 + order * c.DepotStat.COUNT + c.DepotStat[k]]!;
  }

  /** One CpuStat of a CPU (summed over its orders). */
  cpu(cpu: number, k: Exclude<MemberOf<"CpuStat">, "COUNT">): number {
    const c = codes();
    return this.f64[c.StatsAt.CPUS / 8 + cpu * c.CpuStat.COUNT + c.CpuStat[k]]!;
  }

  /** pfns in a CPU's loaded or prev magazine of one order. */
  cell(cpu: number, order: number, k: Exclude<MemberOf<"CellStat">, "COUNT">): number {
    const c = codes();
    return this.cells[(cpu * c.ORDERS + order) * c.CellStat.COUNT + c.CellStat[k]]!;
  }
}

/** One CPU's flush-queue ring (FqStat): entries now, the deepest since the last reset, and its counts. */
export interface FlushQueueCpuStats {
  depth: number;
  maxDepth: number;
  queued: number;
  freed: number;
  fullFlushes: number;
  timerFirings: number;
}

/** Every counter of a flush queue at one moment (assembly/api/iommu.ts draws the layout). */
export class FqStatsDump {
  readonly cpus: number;
  private readonly f64: Float64Array;

  /** Dumps the flush queue at `fqBase` into the scratch bytes at `out` and copies them. */
  constructor(ex: IovaExports, memory: WasmMemory, fqBase: number, out: number) {
    const c = codes();
    const bytes = ex.fqStatsDump(fqBase, out);
    this.cpus = (bytes / 8 - c.FqGlobal.COUNT) / c.FqStat.COUNT;
    this.f64 = new Float64Array(memory.buffer, out, bytes / 8).slice();
  }

  /** One figure of the whole queue. */
  global(k: Exclude<MemberOf<"FqGlobal">, "COUNT">): number {
    return this.f64[codes().FqGlobal[k]]!;
  }

  /** One CPU's ring (a CPU the dump does not hold is refused, not read as NaN). */
  cpu(cpu: number): FlushQueueCpuStats {
    countArg("cpu", cpu, 0, this.cpus - 1);
    const { FqGlobal, FqStat } = codes();
    const at = FqGlobal.COUNT + cpu * FqStat.COUNT;
    const f = this.f64;
    return {
      depth: f[at + FqStat.depth]!, maxDepth: f[at + FqStat.maxDepth]!, queued: f[at + FqStat.queued]!,
      freed: f[at + FqStat.freed]!, fullFlushes: f[at + FqStat.fullFlushes]!, timerFirings: f[at + FqStat.timerFirings]!,
    };
  }
}

/**
 * pfns of order o in its depot: the full and part-filled magazines there
 * (adaptive's sweep pushes part-filled ones), and the one adaptive's reclaim
 * took out and is returning slice by slice. Not magazines x magazine size.
 */
export function depotPfns(dump: StatsDump, o: number): number {
  return dump.depot(o, "pfns") + dump.depot(o, "reclaimingPfns");
}

/** Every cached pfn of order o: on the CPUs (loaded and prev) and depotPfns. */
export function cachedPfnsOfOrder(dump: StatsDump, o: number): number {
  let n = depotPfns(dump, o);
  for (let c = 0; c < dump.cpus; c++) n += dump.cell(c, o, "loaded") + dump.cell(c, o, "prev");
  return n;
}

export interface CacheStats {
  /** loaded[cpu][order]: pfns in that CPU's loaded magazine. */
  loaded: number[][];
  prev: number[][];
  /** depot[order]: full magazines in that order's depot. */
  depot: number[];
  /** pfns held in CPU magazines. */
  cpuTotal: number;
  /** pfns held in depots (with those adaptive's reclaim took out and is returning slice by slice). */
  depotTotal: number;
  total: number;
  treeRanges: number;
  magazines: { used: number; capacity: number; allocFailures: number; size: number };
  hits: number;
  misses: number;
  inserts: number;
  insertFails: number;
  depotPushes: number;
  depotPops: number;
  depotFullEvents: number;
  magsFreedToTree: number;
}

export function readCacheStats(dump: StatsDump): CacheStats {
  const { ORDERS } = codes();
  const magSize = dump.stat("magazineSize");
  const s: CacheStats = {
    loaded: [], prev: [], depot: [], cpuTotal: 0, depotTotal: 0, total: 0,
    treeRanges: dump.stat("ranges"),
    magazines: { used: dump.stat("magsUsed"), capacity: dump.stat("magCap"), allocFailures: dump.stat("magAllocFailures"), size: magSize },
    hits: 0, misses: 0, inserts: 0, insertFails: 0, depotPushes: 0, depotPops: 0, depotFullEvents: 0, magsFreedToTree: 0,
  };
  for (let c = 0; c < dump.cpus; c++) {
    const l: number[] = [];
    const p: number[] = [];
    for (let o = 0; o < ORDERS; o++) {
      l.push(dump.cell(c, o, "loaded"));
      p.push(dump.cell(c, o, "prev"));
      s.cpuTotal += l[o] + p[o];
    }
    s.loaded.push(l);
    s.prev.push(p);
    s.hits += dump.cpu(c, "hits");
    s.misses += dump.cpu(c, "misses");
    s.inserts += dump.cpu(c, "inserts");
    s.insertFails += dump.cpu(c, "insertFails");
  }
  for (let o = 0; o < ORDERS; o++) {
    const mags = dump.depot(o, "magazines");
    s.depot.push(mags);
    s.depotTotal += depotPfns(dump, o);
    s.depotPushes += dump.depot(o, "pushes");
    s.depotPops += dump.depot(o, "pops");
    s.depotFullEvents += dump.depot(o, "fullEvents");
    s.magsFreedToTree += dump.depot(o, "magsToTree");
  }
  s.total = s.cpuTotal + s.depotTotal;
  return s;
}
