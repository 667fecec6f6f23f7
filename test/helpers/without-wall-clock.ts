// A simulator run's result without what it measured on the wall clock or the
// thread's CPU clock: two builds or two runs of one configuration must agree
// on everything else, field for field.
import type { SimResult } from "../../dist/src/sim/result.js";

/** The fields measured on a clock (the only ones allowed to differ between runs of one configuration). */
export type WallClockField = "wallSeconds" | "simIosPerWallSecond" | "simRequestsPerWallSecond" | "cpuSeconds" | "simIosPerCpuSecond";

/** r without its wall-clock and CPU-clock fields. */
export function withoutWallClock(r: SimResult): Omit<SimResult, WallClockField> {
  const { wallSeconds: _w, simIosPerWallSecond: _i, simRequestsPerWallSecond: _r, cpuSeconds: _c, simIosPerCpuSecond: _p, ...rest } = r;
  return rest;
}
