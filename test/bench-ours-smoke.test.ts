// Our allocator on the peers' benchmark sequences, tiny sizes: the same
// independent checker (a LiveSet) verifies every range it hands out.
import { describe, expect, it } from 'vitest';
import { IovaDirectIdAllocator, IovaDirectRangeAllocator, IovaIdAllocator, IovaRangeAllocator } from '../dist/bench/ours/adapters.js';
import { verifyReplay } from '../dist/bench/peers/verify.js';
import { emptyPool, idChurn, mixedSizes, replay, suggestedArena } from '../dist/bench/peers/workloads.js';

describe('iova-wasm on the peers\' sequences', () => {
  for (const local of [true, false]) {
    const tag = local ? 'with LocalCache' : 'direct calls';
    it(`idChurn, ${tag}: ids are unique among live ones and inside the id space`, () => {
      const seq = idChurn(5_000, 3, 200);
      const a = local ? new IovaIdAllocator(4096) : new IovaDirectIdAllocator(4096);
      const check = verifyReplay(seq, replay(a, seq), { start: 1, end: 4097 });
      expect(check.failures).toBe(0);
      expect(check.allocs).toBe(seq.allocs);
    });
    for (const [name, seq] of [
      ['emptyPool', emptyPool(5_000, 64)],
      ['mixedSizes', mixedSizes(300, 6_000, 5)],
    ] as const) {
      it(`${name}, ${tag}: byte ranges never overlap a live one and stay in the arena`, () => {
        const bytes = suggestedArena(seq, 4);
        const a = local ? new IovaRangeAllocator(bytes) : new IovaDirectRangeAllocator(bytes);
        const check = verifyReplay(seq, replay(a, seq), { start: 0, end: bytes });
        expect(check.failures).toBe(0);
        expect(check.allocs).toBe(seq.allocs);
      });
    }
  }
});
