// Public API of iova-wasm.
export {
  IovaDomain, MAX_BATCH, type DomainOptions, type DomainHandle, type Range, type TreeStats,
} from "./domain/iova-domain.js";
export { POLICIES, type DepotPolicy } from "./domain/policy.js";
export type { CacheStats } from "./domain/stats.js";
export * from "./errors.js";
export { MAX_PFN } from "./validate.js";
