// The on-CPU time of the calling thread, for the simulator's speed per core:
// a run is one thread, and the wall clock also counts the time other
// threads (the study's other runs, other tenants of the machine) hold its
// core. Linux keeps each thread's figure in /proc/thread-self/schedstat
// (its first field: ns on a CPU); elsewhere there is none.
import { readFileSync } from "node:fs";

/** Seconds the calling thread has run on a CPU; NaN where the system does not say. */
export function threadCpuSeconds(): number {
  let text: string;
  try {
    text = readFileSync("/proc/thread-self/schedstat", "utf8");
  } catch {
    return NaN;
  }
  const ns = Number(text.slice(0, text.indexOf(" ")));
  return Number.isFinite(ns) ? ns / 1e9 : NaN;
}
