// Public API of iova-wasm for Node: everything the browser entry has (in
// Node the module is read from build/iova.wasm on first use, no loadWasm()
// needed), plus CpuPool, which runs CPUs as worker_threads.
export * from "./browser.js";
export { CpuPool, WorkerExitedError, WorkerCommandError, type CpuPoolOptions, type CpuDeath } from "./workers/pool.js";
