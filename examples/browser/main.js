// The page: loads the module, makes one SharedArena, and lets two Web Workers
// allocate, write, verify and free in it at the same time. It then reads
// every worker's blocks itself (shared memory: no copies), lets the workers
// re-verify and free them, and checks that the books balance. The outcome
// goes to the page and to globalThis.exampleResult (read by the test).
//
// With a bundler, import from "iova-wasm" (its "browser" condition picks this
// entry) and pass the .wasm URL your bundler gives for "iova-wasm/iova.wasm".
import { SharedArena, loadWasm } from "/iova-wasm/browser.js";
import { tagOf } from "./tags.js";

const WORKERS = 2;
const BLOCKS = 2000; // per worker
const log = (line) => { document.getElementById("log").textContent += `${line}\n`; };

function startWorker(handle, index) {
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const next = () => new Promise((resolve, reject) => {
    w.onmessage = (e) => (e.data.error ? reject(new Error(`worker ${index}: ${e.data.error}`)) : resolve(e.data));
    w.onerror = (e) => reject(new Error(`worker ${index}: ${e.message}`));
  });
  const first = next();
  w.postMessage({ handle, index, blocks: BLOCKS });
  return { first, next, post: (m) => w.postMessage(m), terminate: () => w.terminate() };
}

async function run() {
  if (!globalThis.crossOriginIsolated) throw new Error("not cross-origin isolated: serve with COOP/COEP headers");
  await loadWasm(new URL("/iova-wasm/iova.wasm", location.href));
  const arena = SharedArena.create({ bytes: 64 << 20, workers: WORKERS, debug: true });
  log(`arena: ${arena.bytes} bytes, unit ${arena.unit}`);

  // 1. Both workers allocate and fill their blocks concurrently.
  const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(arena.handle, i));
  const held = await Promise.all(workers.map((w) => w.first));

  // 2. While they hold them: no two blocks overlap, and every byte is its writer's tag.
  const blocks = held.flatMap((h) => h.blocks.map(([offset, bytes], j) => ({ w: h.index, j, offset, bytes })));
  blocks.sort((a, b) => a.offset - b.offset);
  let overlaps = 0;
  for (let k = 1; k < blocks.length; k++) if (blocks[k - 1].offset + blocks[k - 1].bytes > blocks[k].offset) overlaps++;
  let badBytes = 0;
  for (const b of blocks) {
    const tag = tagOf(b.w, b.j);
    for (const byte of arena.u8(b.offset, b.bytes)) if (byte !== tag) badBytes++;
  }
  const during = arena.stats();
  log(`held: ${blocks.length} blocks, ${during.liveAllocations} live, ${overlaps} overlaps, ${badBytes} bad bytes`);

  // 3. The workers verify again, free everything and close their views.
  const done = await Promise.all(workers.map((w) => { const p = w.next(); w.post("free"); return p; }));
  workers.forEach((w) => w.terminate());
  const cached = arena.stats().cachedBytes; // freed small blocks parked in the depot, ready for reuse
  arena.trim(); // hand them back to the tree, so that every byte counts as free
  const after = arena.stats();
  const result = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    workers: held.map((h, i) => ({ index: h.index, allocated: h.blocks.length, nulls: h.nulls, verified: done[i].verified, freed: done[i].freed, closed: done[i].closed })),
    blocks: blocks.length, overlaps, badBytes, liveWhileHeld: during.liveAllocations, cachedBeforeTrim: cached,
    stats: { bytes: after.bytes, freeBytes: after.freeBytes, liveAllocations: after.liveAllocations, allocs: after.allocs, frees: after.frees },
  };
  result.ok = overlaps === 0 && badBytes === 0 && after.liveAllocations === 0 && after.freeBytes === after.bytes &&
    after.allocs === after.frees && done.every((d) => d.verified === d.freed && d.closed);
  log(`after: ${after.liveAllocations} live, ${after.freeBytes} of ${after.bytes} bytes free, ${after.allocs} allocs, ${after.frees} frees`);
  log(result.ok ? "OK: the books balance" : "FAILED");
  return result;
}

run().then(
  (r) => { globalThis.exampleResult = r; },
  (e) => { log(`error: ${e.message}`); globalThis.exampleResult = { ok: false, error: String(e.stack ?? e) }; },
);
