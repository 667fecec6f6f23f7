// Public API without Node: the entry for browsers and bundlers ("iova-wasm/browser",
// and the "browser" condition of "iova-wasm"). Nothing in its import graph
// imports a Node built-in; supply the module with loadWasm() first. Web
// Workers attach to arenas and domains through their handles, as
// worker_threads do. The Node entry (index.ts) is this plus CpuPool.
export {
  IovaDomain, MAX_BATCH, type DomainOptions, type DomainHandle, type Range, type TreeStats,
} from "./domain/iova-domain.js";
export { POLICIES, type DepotPolicy } from "./domain/policy.js";
export { ERAS, POLICY_ERA, type KernelEra } from "./domain/era.js";
export type { CacheStats } from "./domain/stats.js";
export * from "./errors.js";
export { MAX_PFN } from "./validate.js";
export {
  SharedArena, DEFAULT_ARENA_UNIT, MAX_CACHED_UNITS, MAX_ARENA_BYTES, MAX_ARENA_WORKERS, DEFAULT_MAX_RANGES_CAP,
  type SharedArenaOptions, type SharedArenaHandle, type ArenaStats, type TypedArrayConstructorLike,
} from "./arena/shared-arena.js";
export { InvalidFreeError, DoubleFreeError, ArenaClosedError, ArenaOverlapError } from "./arena/errors.js";
export { LocalCache, type LocalCacheOptions } from "./domain/local-cache.js";
export { loadWasm, type WasmSource } from "./wasm/load.js";
export type { WasmMemory, WasmModule } from "./wasm/types.js";
