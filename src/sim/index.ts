// The virtual-clock load simulator (see docs/cost-model.md).
export { simulate, booksMessage, type SimResult, type SimCounters, type BooksCheck } from "./engine.js";
export {
  resolveSimOptions, configJson, COMPLETION_MODES,
  type SimOptions, type SimConfig, type SimProgress, type CompletionMode,
} from "./options.js";
export { DEFAULT_COSTS, resolveCosts, IOVA_FQ_SIZE, IOVA_FQ_TIMEOUT_MS, type CostModel } from "./costs.js";
export { Rng } from "../load/rng.js";
export { EventHeap } from "../load/heap.js";
export { BlockSizeSampler, blockSizeArg } from "../load/block-size.js";
export { simulateInWorker, simulateAll } from "./parallel.js";
