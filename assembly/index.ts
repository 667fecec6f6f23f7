// The module's exports: one file per area under api/.
export * from "./api/tree";
export * from "./api/rcache";
export * from "./api/layout";
export { deadHolder, deadLockAddr, clearDeadHolder } from "./lock";
export { armFault, faultEventCount } from "./fault";
export * from "./api/iommu";
export * from "./api/sim";
export * from "./api/codes";
export * from "./api/stats";
export * from "./api/hot-candidates";
