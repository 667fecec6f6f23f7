// Smoke tests for the benchmark peers: every peer replays the same tiny
// sequences, and an independent LiveSet checks what it handed out.
import { describe, expect, it } from 'vitest';
import { RangeAllocatorError } from '../dist/bench/peers/errors.js';
import { measure } from '../dist/bench/peers/measure.js';
import { NumberAllocatorPeer } from '../dist/bench/peers/number-allocator.js';
import { SortedFreeList } from '../dist/bench/peers/sorted-free-list.js';
import { ThingMalloc } from '../dist/bench/peers/thing-malloc.js';
import type { IdAllocator, RangeAllocator } from '../dist/bench/peers/types.js';
import { checkNoOverlap, LiveSet, verifyReplay, VerifyError, type Arena } from '../dist/bench/peers/verify.js';
import {
  allocationsOf,
  emptyPool,
  idChurn,
  mixedSizes,
  replay,
  suggestedArena,
  type OpSequence,
} from '../dist/bench/peers/workloads.js';

interface Peer {
  make: () => RangeAllocator | IdAllocator;
  arena: Arena;
  /** True once everything handed out has been returned. */
  empty: (a: never) => boolean;
  idsOnly?: boolean;
}

const ARENA = 1 << 16;
const PEERS: Record<string, Peer> = {
  'number-allocator': {
    make: () => new NumberAllocatorPeer(0, 255),
    arena: { start: 0, end: 256 },
    empty: (a: NumberAllocatorPeer) => a.intervalCount() === 1,
    idsOnly: true,
  },
  'sorted-free-list': {
    make: () => new SortedFreeList(ARENA, { align: 8 }),
    arena: { start: 0, end: ARENA },
    empty: (a: SortedFreeList) => a.liveCount === 0 && a.extents().length === 1,
  },
  '@thi.ng/malloc': {
    make: () => new ThingMalloc(ARENA),
    arena: { start: 40, end: ARENA },
    empty: (a: ThingMalloc) => {
      const s = a.pool.stats();
      return s.used.count === 0 && s.free.count === 0 && s.top === 32;
    },
  },
};

const WORKLOADS: Record<string, () => OpSequence> = {
  idChurn: () => idChurn(300, 7, 40),
  mixedSizes: () => mixedSizes(30, 400, 7, { min: 16, max: 512 }),
  emptyPool: () => emptyPool(50, 64),
};

describe.each(Object.entries(PEERS))('%s', (_name, peer) => {
  it.each(Object.entries(WORKLOADS))('replays %s validly', (_w, build) => {
    const seq = build();
    const a = peer.make();
    if (peer.idsOnly && seq.maxSize > 1) {
      expect(() => replay(a, seq)).toThrow(TypeError);
      return;
    }
    expect(suggestedArena(seq)).toBeLessThanOrEqual(ARENA); // capacity allows every alloc
    const state = replay(a, seq);
    const check = verifyReplay(seq, state, peer.arena);
    expect(check.failures).toBe(0);
    expect(check.allocs).toBe(seq.allocs);
    expect(check.peakLive).toBe(seq.peakLive);
    expect(peer.empty(a as never)).toBe(true); // every free was taken back
  });

  it('returns null when full, then recovers', () => {
    const a = peer.make() as RangeAllocator;
    const live = new LiveSet(peer.arena);
    const size = peer.idsOnly ? 1 : 1024;
    const got: number[] = [];
    for (let off = a.alloc(size); off !== null; off = a.alloc(size)) {
      live.add(off, size);
      got.push(off);
    }
    expect(got.length).toBeGreaterThan(0);
    a.free(got[0], size);
    expect(a.alloc(size)).toBe(got[0]);
  });
});

describe('sorted-free-list', () => {
  it('coalesces back to one extent whatever the free order', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const a = new SortedFreeList(1000);
      const seq = mixedSizes(15, 60, seed, { min: 1, max: 40 });
      const state = replay(a, seq);
      verifyReplay(seq, state, { start: 0, end: 1000 });
      expect(a.extents()).toEqual([[0, 1000]]);
    }
  });

  it('rounds sizes to the alignment', () => {
    const a = new SortedFreeList(64, { align: 8, base: 16 });
    expect([a.alloc(1), a.alloc(9), a.alloc(8)]).toEqual([16, 24, 40]);
    a.free(24, 9);
    expect(a.extents()).toEqual([
      [24, 40],
      [48, 80],
    ]);
  });

  const thrown = (f: () => unknown): RangeAllocatorError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(RangeAllocatorError);
      return e as RangeAllocatorError;
    }
    throw new Error('did not throw');
  };

  it('throws RangeAllocatorError naming the bad value', () => {
    const a = new SortedFreeList(100);
    const off = a.alloc(10)!;
    a.alloc(10);
    expect(thrown(() => a.free(1000, 10))).toMatchObject({ code: 'unknown-offset', value: 1000 });
    expect(thrown(() => a.free(5, 10))).toMatchObject({ code: 'unknown-offset', value: 5 });
    expect(thrown(() => a.free(off, 3))).toMatchObject({ code: 'size-mismatch', value: 3 });
    a.free(off, 10);
    const e = thrown(() => a.free(off, 10));
    expect(e).toMatchObject({ code: 'double-free', value: off });
    expect(e.message).toContain(String(off));
    expect(thrown(() => a.alloc(0))).toMatchObject({ code: 'bad-size', value: 0 });
    expect(thrown(() => a.alloc(-4))).toMatchObject({ code: 'bad-size', value: -4 });
    expect(thrown(() => a.alloc(1.5))).toMatchObject({ code: 'bad-size', value: 1.5 });
    expect(thrown(() => new SortedFreeList(0))).toMatchObject({ code: 'bad-arena', value: 0 });
    expect(a.alloc(101)).toBeNull();
  });
});

describe('peer quirks pinned from reading their code', () => {
  it('@thi.ng/malloc: 8-byte headers, 8-aligned addresses, unknown free rejected', () => {
    const a = new ThingMalloc(1024);
    expect([a.alloc(1), a.alloc(9), a.alloc(16)]).toEqual([40, 56, 80]);
    expect(a.alloc(0)).toBeNull();
    expect(() => a.free(1000, 8)).toThrow(RangeAllocatorError);
    a.free(56, 9);
    expect(() => a.free(56, 9)).toThrow(RangeAllocatorError);
  });

  it('number-allocator 1.0.14: freeing one past the last free interval leaks that interval', () => {
    const a = new NumberAllocatorPeer(0, 10);
    for (let i = 0; i <= 10; i++) a.alloc();
    a.free(5);
    a.free(6);
    a.free(7); // [5,6] + 7 becomes [6,7]: id 5 is lost
    const back = [a.alloc(), a.alloc(), a.alloc()];
    expect(back).toEqual([6, 7, null]);
  });
});

describe('checkers', () => {
  it('checkNoOverlap accepts touching ranges and rejects overlap / escape', () => {
    expect(() => checkNoOverlap([{ offset: 8, size: 8 }, { offset: 0, size: 8 }], { start: 0, end: 16 })).not.toThrow();
    expect(() => checkNoOverlap([{ offset: 0, size: 9 }, { offset: 8, size: 8 }])).toThrow(VerifyError);
    expect(() => checkNoOverlap([{ offset: 12, size: 8 }], { start: 0, end: 16 })).toThrow(/out-of-arena/);
    expect(() => checkNoOverlap([{ offset: 0, size: 0 }])).toThrow(/bad-range/);
  });

  it('LiveSet and verifyReplay catch an allocator that hands out a live range', () => {
    const broken: RangeAllocator = { name: 'broken', alloc: (_size: number) => 0, free: () => {}, reset: () => {} };
    const seq = mixedSizes(5, 10, 1, { min: 4, max: 8 });
    expect(() => verifyReplay(seq, replay(broken, seq), { start: 0, end: 100 })).toThrow(/overlap/);
    const live = new LiveSet({ start: 0, end: 100 });
    live.add(0, 10);
    expect(() => live.add(95, 10)).toThrow(/out-of-arena/);
    expect(() => live.remove(0, 9)).toThrow(/not-live/);
    live.remove(0, 10);
    expect(live.count).toBe(0);
  });

  it('allocationsOf lists what a replay handed out, live ones disjoint', () => {
    const seq = emptyPool(3, 16);
    const allocs = allocationsOf(seq, replay(new SortedFreeList(64), seq));
    expect(allocs).toEqual([
      { offset: 0, size: 16 },
      { offset: 0, size: 16 },
      { offset: 0, size: 16 },
    ]);
  });
});

describe('workloads and measure', () => {
  it('are deterministic and keep the live set near its target', () => {
    expect(mixedSizes(100, 2000, 3).ops).toEqual(mixedSizes(100, 2000, 3).ops);
    expect(mixedSizes(100, 2000, 3).ops).not.toEqual(mixedSizes(100, 2000, 4).ops);
    const seq = mixedSizes(100, 2000, 3);
    expect(seq.peakLive).toBeGreaterThanOrEqual(100);
    expect(seq.peakLive).toBeLessThan(150);
    expect(seq.steadyAllocs).toBeGreaterThan(800);
    expect(seq.maxSize).toBeLessThanOrEqual(4096);
    const churn = idChurn(100, 1, 10);
    expect([churn.steadyFrom, churn.steadyTo, churn.steadyAllocs, churn.count]).toEqual([10, 210, 100, 220]);
    expect(churn.peakLive).toBe(10);
  });

  it('measure reports finite ns per pair', () => {
    const seq = idChurn(2000, 1, 50);
    const m = measure(() => new SortedFreeList(256), seq, { reps: 3, warmup: 1 });
    expect(m).toMatchObject({ peer: 'sorted-free-list', pairs: 2000, reps: 3, failures: 0 });
    expect(m.medianNs).toBeGreaterThan(0);
    expect(m.minNs).toBeLessThanOrEqual(m.maxNs);
  });
});
