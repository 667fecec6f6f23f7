// Public API of iova-wasm.
export { IovaDomain, type DomainOptions, type Range, type TreeStats } from "./domain/iova-domain.js";
export * from "./errors.js";
export { MAX_PFN } from "./validate.js";
