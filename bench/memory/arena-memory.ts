// What the allocator costs in memory: a SharedArena of `bytes` holding
// `live` blocks of `blockBytes`, allocated from one thread, measured as the
// bytes of the domain's WebAssembly.Memory (static data, scratch slots, the
// domain and its slab as grown) plus the arena's small counter buffer.
//   node dist/bench/memory/arena-memory.js
import { SharedArena } from '../../src/index.js';

export interface ArenaMemoryFigure {
  arenaBytes: number;
  live: number;
  blockBytes: number;
  /** Allocator bytes when the arena was made (no block yet). */
  createdBytes: number;
  /** Allocator bytes with `live` blocks allocated. */
  allocatorBytes: number;
  /** What the memory could grow to (every range and magazine the caps allow). */
  maxBytes: number;
  /** allocatorBytes / arenaBytes, in percent. */
  overheadPct: number;
  /** allocatorBytes / live. */
  bytesPerLive: number;
  /** Growth in allocator bytes per block allocated past the first (the slab's own cost per range). */
  marginalBytesPerLive: number;
}

/** The 64 MiB arena with 1,000 live blocks is the case: target at most 10%. */
export const MEMORY_CASES: [arenaBytes: number, live: number, blockBytes: number][] = [
  [64 * 2 ** 20, 1_000, 4096],
  [64 * 2 ** 20, 1_000, 64],
  [64 * 2 ** 20, 100_000, 256],
  [2 ** 30, 1_000, 4096],
  [2 ** 30, 1_000_000, 1024],
];

export function measureArenaMemory(arenaBytes: number, live: number, blockBytes: number, workers = 1): ArenaMemoryFigure {
  const arena = SharedArena.create({ bytes: arenaBytes, workers });
  try {
    const used = () => arena.domain.memory.buffer.byteLength + arena.handle.meta.byteLength;
    const createdBytes = used();
    for (let i = 0; i < live; i++) {
      if (arena.alloc(blockBytes) === null) throw new Error(`alloc ${i} of ${live} (${blockBytes} bytes) failed: ${arena.lastFailure}`);
    }
    const allocatorBytes = used();
    const maxBytes = arena.domain.stats().memoryMaxBytes + arena.handle.meta.byteLength;
    return {
      arenaBytes, live, blockBytes, createdBytes, allocatorBytes, maxBytes,
      overheadPct: (100 * allocatorBytes) / arenaBytes,
      bytesPerLive: allocatorBytes / live,
      marginalBytesPerLive: (allocatorBytes - createdBytes) / live,
    };
  } finally {
    arena.close();
  }
}

const MiB = 2 ** 20;
const mib = (b: number) => (b / MiB).toFixed(b < 10 * MiB ? 2 : 0);

export function formatArenaMemory(fs: ArenaMemoryFigure[]): string {
  const head = ['arena', 'live blocks', 'block', 'at create', 'with blocks', 'max (caps)', 'overhead', 'B per live', 'B per extra'];
  const rows = fs.map((f) => [
    `${mib(f.arenaBytes)} MiB`, f.live.toLocaleString('en-US'), `${f.blockBytes} B`, `${mib(f.createdBytes)} MiB`,
    `${mib(f.allocatorBytes)} MiB`, `${mib(f.maxBytes)} MiB`, `${f.overheadPct.toFixed(2)}%`,
    f.bytesPerLive.toFixed(0), f.marginalBytesPerLive.toFixed(1),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('allocator memory of a SharedArena (one worker, default unit 64 B and caps)');
  console.log(formatArenaMemory(MEMORY_CASES.map(([a, n, b]) => measureArenaMemory(a, n, b))));
}
