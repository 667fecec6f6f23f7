// A binary min-heap of (time, id) pairs in typed arrays: the simulator's
// event queue. No allocation per event; ties pop in an order fixed by the
// sequence of pushes, so a run is deterministic.

export class EventHeap {
  private times: Float64Array;
  private ids: Int32Array;
  private n = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(Math.max(1, capacity));
    this.ids = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event (the heap must not be empty). */
  get topTime(): number {
    return this.times[0]!;
  }

  /** Id of the earliest event (the heap must not be empty). */
  get topId(): number {
    return this.ids[0]!;
  }

  push(time: number, id: number): void {
    if (this.n === this.times.length) this.grow();
    const times = this.times;
    const ids = this.ids;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt <= time) break;
      times[i] = pt;
      ids[i] = ids[p]!;
      i = p;
    }
    times[i] = time;
    ids[i] = id;
  }

  /** Removes the earliest event; read topTime/topId first. */
  pop(): void {
    const n = --this.n;
    if (n === 0) return;
    const times = this.times;
    const ids = this.ids;
    const time = times[n]!;
    const id = ids[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && times[r]! < times[c]!) c = r;
      if (times[c]! >= time) break;
      times[i] = times[c]!;
      ids[i] = ids[c]!;
      i = c;
    }
    times[i] = time;
    ids[i] = id;
  }

  private grow(): void {
    const t = new Float64Array(this.times.length * 2);
    const d = new Int32Array(this.ids.length * 2);
    t.set(this.times);
    d.set(this.ids);
    this.times = t;
    this.ids = d;
  }
}
