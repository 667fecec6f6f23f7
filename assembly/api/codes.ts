// The code sets the host reads by name. Each is declared once, in the file
// that uses it, as an `export enum` (or a constant); re-exported here, each
// member becomes a wasm global named "Set.MEMBER" (for example "Err.NO_SPACE")
// and the host builds its tables from those exports (src/wasm/codes.ts).
// test/interface.test.ts fails when the host and this list disagree.

export { ORDERS, Err, Policy } from "../layout";
export { Era } from "../era";
export { Bad } from "../tree/check";
export { Books } from "../iommu/books";
export { Timer, Queued } from "../iommu/flush-queue";
export { SimParam, SimTotal, LockClass } from "../sim/layout";
export { Stream } from "../sim/random";
export { SimAt, SimLockStat, SimLock } from "./sim";
export { VIEW_CPU_BITS, VIEW_DEAD } from "../holder";
export { HANDOFF_TAKE_BACK_MS } from "../lock";
