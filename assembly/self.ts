// What is private to this instance (this worker): its CPU identity, used as
// the holder id in every lock word it takes. Per-instance globals are the
// right home for it precisely because they are not shared.

/**
 * Lock-holder id of this instance (0 would mean "free"): its CPU + 1; the
 * creating thread and the views that share a CPU have ids past the CPUs'
 * (assembly/holder.ts lists them).
 */
export let selfId: u32 = 1;

/** Takes holder id `n` + 1 (the host's attach(n): a CPU, cpus for the creating thread, cpus + k for shared view k). */
export function setSelf(n: u32): void {
  selfId = n + 1;
}
