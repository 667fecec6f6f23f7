// The setup of one simulated run: the domain (slabs, flush queue, PCI
// windows), the wasm event loop's geometry and parameters (every figure of
// the cost model), and the loop itself. Nothing runs yet.
import { IovaDomain } from "../domain/iova-domain.js";
import { DmaPath } from "../domain/dma.js";
import { instantiate, newMemoryFor, type WasmBuild } from "../wasm/module.js";
import { rangeSteps, type BlockSize } from "../load/block-size.js";
import type { RequestMerge } from "../load/merge.js";
import { largestRequestBytes, type LockClassName, type SimConfig } from "./options.js";
import { codes } from "../wasm/codes.js";
import { SIM_PARAMS, WasmSim, simBuild, simBytesFor, type SimGeometry, type SimParam } from "./wasm-sim.js";

/** The member of LockClass (assembly/sim/layout.ts: bits of SimParam.contendedLocks) of each lock class. */
const LOCK_CLASS_MEMBER: Record<LockClassName, "TREE" | "DEPOT" | "FQ"> = { tree: "TREE", depot: "DEPOT", fq: "FQ" };

/** Retry delay of an I/O that found no IOVA space. */
const RETRY_NS = 10_000;

/** A run set up: its domain, the DMA path over it, and the event loop. */
export interface SimRun {
  domain: IovaDomain;
  dma: DmaPath;
  sim: WasmSim;
  /** pfns below the 32-bit boundary the PCI windows reserve (the 32-bit space's free share leaves them out). */
  reservedBelow32: number;
}

function bsGeometry(bs: BlockSize, merge: RequestMerge | null): SimGeometry["bs"] {
  if (merge && merge.p > 0 && merge.maxIos > 1 && bs.kind === "fixed") return { kind: 3, bytes: bs.bytes, maxIos: merge.maxIos };
  switch (bs.kind) {
    case "fixed": return { kind: 0, bytes: bs.bytes };
    case "range": return { kind: 1, min: bs.min, steps: rangeSteps(bs.min, bs.max) };
    case "split": {
      let acc = 0;
      const entries = bs.entries.filter((e) => e.percent > 0).map((e) => {
        acc += e.percent;
        return { bytes: e.bytes, cum: acc / 100 };
      });
      return { kind: 2, entries };
    }
  }
}

/** Sets up `cfg` on `build`: by default the simulator's own single-threaded build (simBuild). */
export function setUpRun(cfg: SimConfig, build: WasmBuild = simBuild()): SimRun {
  const C = cfg.cpus;
  const shift = Math.log2(cfg.granule);
  const reserved = cfg.pciWindows.map((w) => ({ lo: Math.floor(w.start / cfg.granule), hi: Math.floor(w.end / cfg.granule) }));
  const g: SimGeometry = {
    cpus: C, jobs: cfg.jobs, iodepth: cfg.iodepth, segsMax: Math.ceil(largestRequestBytes(cfg) / cfg.maxSegment),
    bs: bsGeometry(cfg.bs, cfg.merge), reserved,
  };
  const hostBytes = simBytesFor(instantiate(newMemoryFor(build, 65536), build.module), g);
  const domain = new IovaDomain(cfg.granule, 1, {
    cpus: C, policy: cfg.policy, era: cfg.era, maxRanges: cfg.maxRanges, maxMagazines: cfg.maxMagazines, countKernelWalk: true,
    reclaimSlicePfns: cfg.reclaimSlicePfns, ...(Number.isFinite(cfg.depotMax) ? { depotMax: cfg.depotMax } : {}),
    flushQueue: { size: cfg.fqSize, timeoutMs: cfg.fqTimeoutMs, hz: cfg.hz }, hostBytes, build,
  });
  const dma = new DmaPath(domain);
  dma.reservePciWindows(cfg.pciWindows);
  const dma32 = domain.dma32Pfn;
  let reservedBelow32 = 0;
  for (const r of reserved) if (r.lo < dma32) reservedBelow32 += Math.min(r.hi, dma32 - 1) - Math.max(r.lo, domain.startPfn) + 1;

  const c = cfg.costs;
  const params: Record<SimParam, number> = {
    segBytes: cfg.maxSegment, dmaLimitPfn: 2 ** (cfg.addressBits - shift) - 1, durationNs: cfg.durationMs * 1e6,
    tickNs: cfg.tickMs * 1e6, reclaimMs: cfg.reclaimIntervalMs, migrateNs: cfg.migrateMs * 1e6,
    submitNs: c.submitNs, completeNs: c.completeNs, magazineNs: c.magazineNs, treeAllocNs: c.treeAllocNs,
    walkNodeNs: c.walkNodeNs, treeFreeNs: c.treeFreeNs, fastFailNs: c.fastFailNs, lockNs: c.lockNs,
    lockHandoffNs: c.lockHandoffNs, lockHandoffRemoteNs: c.lockHandoffRemoteNs, depotNs: c.depotNs,
    iotlbFlushNs: c.iotlbFlushNs, deviceBaseNs: c.deviceBaseNs, nsPerByte: 1e9 / c.deviceBytesPerSec,
    deviceJitter: c.deviceJitter, fqEntryNs: c.fqEntryNs, retryNs: RETRY_NS,
    mergeLogP: g.bs.kind === 3 ? Math.log(cfg.merge!.p) : 0,
    timerDrainAll: cfg.fqTimerDrain === "timer-cpu" ? 1 : 0,
    kblockdShare: cfg.kblockdShare,
    contendedLocks: cfg.contendedLocks.reduce((bits, k) => bits | codes().LockClass[LOCK_CLASS_MEMBER[k]], 0),
  };
  if (SIM_PARAMS.some((p) => !Number.isFinite(params[p]))) throw new RangeError("iova sim: a parameter is not finite");
  const perSocket = C / cfg.sockets;
  const sim = new WasmSim(domain, g, {
    params,
    socketOf: Array.from({ length: C }, (_, i) => Math.floor(i / perSocket)),
    irqCpuOf: cfg.completionCpus,
    jobCpu: cfg.jobCpus,
    strict: cfg.strict,
    pci: cfg.dma32First,
    serialTransfers: c.deviceSerialTransfers === 1,
    seed: cfg.seed,
  });
  return { domain, dma, sim, reservedBelow32 };
}
