// One Web Worker of the browser example: attaches to the arena as worker
// `index`, allocates blocks of mixed sizes (small ones through its per-CPU
// cache, large ones through the tree), fills each with its tag and reports
// them; on "free" it verifies every byte again, frees them all, and its view
// closes at the end of the `using` scope (also if something throws).
import { SharedArena } from "/iova-wasm/browser.js";
import { tagOf } from "./tags.js";

/** A small seeded PRNG (mulberry32) so each worker's sizes are reproducible. */
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nextMessage = () => new Promise((resolve) => { onmessage = (e) => resolve(e.data); });

async function main() {
  const { handle, index, blocks: count } = await nextMessage();
  let view;
  let verified = 0;
  let freed = 0;
  {
    using arena = SharedArena.attach(handle, index);
    view = arena;
    const rand = mulberry32(index + 1);
    const blocks = [];
    let nulls = 0;
    for (let j = 0; j < count; j++) {
      const bytes = rand() < 0.9 ? 1 + Math.floor(rand() * 2048) : 4096 + Math.floor(rand() * 60000);
      const offset = arena.alloc(bytes);
      if (offset === null) { nulls++; continue; }
      arena.u8(offset, bytes).fill(tagOf(index, blocks.length));
      blocks.push([offset, bytes]);
    }
    postMessage({ index, blocks, nulls });

    await nextMessage(); // "free"
    blocks.forEach(([offset, bytes], j) => {
      if (arena.u8(offset, bytes).every((b) => b === tagOf(index, j))) verified++;
      arena.free(offset, bytes);
      freed++;
    });
  }
  postMessage({ verified, freed, closed: view.isClosed });
}

main().catch((e) => postMessage({ error: String(e?.stack ?? e) }));
