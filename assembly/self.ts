// What is private to this instance (this worker): its CPU identity, used as
// the holder id in every lock word it takes. Per-instance globals are the
// right home for it precisely because they are not shared.

/** Lock-holder id of this instance: its CPU + 1 (0 would mean "free"). */
export let selfId: u32 = 1;

export function setSelf(cpu: u32): void {
  selfId = cpu + 1;
}
