// IdAllocator against what users of number-allocator expect: the lowest
// vacant id first, use/free/firstVacant/clear with the same answers, on
// random sequences. The reference is an exact model (a set of used ids);
// number-allocator itself is compared step by step too, except on the one
// free where number-allocator 1.0.14 loses ids (shown on its own below).
import { NumberAllocator } from "number-allocator";
import { describe, expect, it } from "vitest";
import { IdAllocator, InvalidArgumentError } from "../dist/src/index.js";
import { LiveSet } from "../dist/bench/peers/verify.js";
import { below, splitmix32, type Rng } from "../dist/bench/peers/prng.js";

/** The exact model: ids in use, lowest vacant by scanning. */
class Model {
  readonly used = new Set<number>();
  constructor(readonly min: number, readonly max: number) {}
  firstVacant(): number | null {
    for (let i = this.min; i <= this.max; i++) if (!this.used.has(i)) return i;
    return null;
  }
  alloc(): number | null {
    const v = this.firstVacant();
    if (v !== null) this.used.add(v);
    return v;
  }
  use(n: number): boolean {
    if (this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }
  free(n: number): boolean {
    return this.used.delete(n);
  }
  clear(): void {
    this.used.clear();
  }
  /**
   * number-allocator's free(n) reads the low end of its last vacant interval
   * as that interval's high end when n lies just above it, so it keeps only
   * [high, n] and loses the rest (lib/number-allocator.js, free(), the
   * `it.equals(this.ss.end())` branch).
   */
  trips(n: number): boolean {
    if (this.used.has(n - 1) || n - 1 < this.min) return false;
    for (let i = n + 1; i <= this.max; i++) if (!this.used.has(i)) return false;
    return n - 2 >= this.min && !this.used.has(n - 2);
  }
}

type Op = "alloc" | "use" | "free" | "firstVacant" | "clear";

function pick(rng: Rng): Op {
  const r = below(rng, 100);
  return r < 40 ? "alloc" : r < 55 ? "use" : r < 90 ? "free" : r < 99 ? "firstVacant" : "clear";
}

const SPACES: [number, number][] = [[0, 63], [-20, 40], [1000, 1299], [5, 5]];

describe("IdAllocator on random sequences", () => {
  for (const [min, max] of SPACES) {
    it(`[${min}, ${max}]: every answer equals the exact model's, and no id is handed out twice`, () => {
      for (let seed = 1; seed <= 12; seed++) {
        const rng = splitmix32(seed * 7919 + min);
        const ours = new IdAllocator(min, max);
        const model = new Model(min, max);
        let live = new LiveSet({ start: min, end: max + 1 });
        for (let step = 0; step < 1500; step++) {
          const op = pick(rng);
          const n = min + below(rng, max - min + 1);
          const where = `seed ${seed} step ${step} ${op}(${n})`;
          if (op === "alloc") {
            const got = ours.alloc();
            expect(got, where).toBe(model.alloc());
            if (got !== null) live.add(got, 1);
          } else if (op === "use") {
            const got = ours.use(n);
            expect(got, where).toBe(model.use(n));
            if (got) live.add(n, 1);
          } else if (op === "free") {
            const got = ours.free(n);
            expect(got, where).toBe(model.free(n));
            if (got) live.remove(n, 1);
          } else if (op === "firstVacant") {
            expect(ours.firstVacant(), where).toBe(model.firstVacant());
          } else {
            ours.clear();
            model.clear();
            live = new LiveSet({ start: min, end: max + 1 });
          }
          expect(ours.usedCount, where).toBe(model.used.size);
        }
      }
    });

    it(`[${min}, ${max}]: the same answers as number-allocator`, () => {
      let skipped = 0;
      for (let seed = 1; seed <= 12; seed++) {
        const rng = splitmix32(seed * 104729 + max);
        const ours = new IdAllocator(min, max);
        const na = new NumberAllocator(min, max);
        const model = new Model(min, max);
        for (let step = 0; step < 1500; step++) {
          const op = pick(rng);
          let n = min + below(rng, max - min + 1);
          const where = `seed ${seed} step ${step} ${op}(${n})`;
          if (op === "alloc") {
            const got = ours.alloc();
            expect(got, where).toBe(na.alloc());
            model.alloc();
          } else if (op === "use") {
            const got = ours.use(n);
            expect(got, where).toBe(na.use(n));
            model.use(n);
          } else if (op === "free") {
            // number-allocator needs a used id (a vacant one would be inserted twice).
            const used = [...model.used];
            if (used.length === 0) continue;
            n = used[below(rng, used.length)];
            if (model.trips(n)) { skipped++; continue; }
            expect(ours.free(n), where).toBe(true);
            na.free(n);
            model.free(n);
          } else if (op === "firstVacant") {
            expect(ours.firstVacant(), where).toBe(na.firstVacant());
          } else {
            ours.clear();
            na.clear();
            model.clear();
          }
        }
      }
      // The comparison ran on almost every free.
      expect(skipped).toBeLessThan(12 * 1500 * 0.1);
    });
  }
});

describe("IdAllocator", () => {
  it("reproduces number-allocator's README example", () => {
    const a = new IdAllocator(0, 10);
    expect(a.alloc()).toBe(0);
    expect(a.alloc()).toBe(1);
    expect(a.use(5)).toBe(true);
    expect(a.use(1)).toBe(false);
    a.free(1);
    expect(a.use(1)).toBe(true);
    expect(a.firstVacant()).toBe(2);
    a.clear();
    expect(a.firstVacant()).toBe(0);
    expect(a.usedCount).toBe(0);
  });

  it("keeps the ids number-allocator 1.0.14 loses when an id just above its last vacant run is freed", () => {
    const na = new NumberAllocator(0, 9);
    const ours = new IdAllocator(0, 9);
    for (let i = 0; i < 10; i++) { na.alloc(); ours.alloc(); }
    for (const n of [5, 6, 7]) { na.free(n); ours.free(n); }
    const drain = (a: { alloc(): number | null }) => { const out: number[] = []; let x; while ((x = a.alloc()) !== null) out.push(x); return out; };
    expect(drain(ours)).toEqual([5, 6, 7]);
    expect(drain(na)).toEqual([6, 7]);   // 5 is gone from its free set
  });

  it("fills the whole space, then alloc and firstVacant say null, and a free makes that id next", () => {
    const a = new IdAllocator(-3, 3);
    const got: number[] = [];
    for (let i = 0; i < 7; i++) got.push(a.alloc()!);
    expect(got).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(a.alloc()).toBeNull();
    expect(a.firstVacant()).toBeNull();
    expect(a.free(1)).toBe(true);
    expect(a.free(1)).toBe(false);
    expect(a.firstVacant()).toBe(1);
    expect(a.alloc()).toBe(1);
  });

  it("spans up to 2^53 - 2^32 ids, growing its memory only with the ids in use", () => {
    const a = new IdAllocator(0, 2 ** 40);
    expect(a.use(2 ** 40)).toBe(true);
    expect([a.alloc(), a.alloc(), a.alloc()]).toEqual([0, 1, 2]);
    expect(a.isUsed(2 ** 40)).toBe(true);
    expect(a.isUsed(3)).toBe(false);
    expect(a.firstVacant()).toBe(3);
  });

  it("refuses what is not an id of its space with InvalidArgumentError naming the value", () => {
    const a = new IdAllocator(10, 20);
    for (const bad of [9, 21, 1.5, NaN, "12"]) {
      for (const f of [() => a.use(bad as number), () => a.free(bad as number), () => a.isUsed(bad as number)]) {
        expect(f).toThrow(InvalidArgumentError);
      }
    }
    expect(() => new IdAllocator(5, 4)).toThrow(/min/);
    expect(() => new IdAllocator(0, 2 ** 53)).toThrow(InvalidArgumentError);
    expect(() => new IdAllocator(0.5, 4)).toThrow(/min/);
  });
});
