// `iova demo`: a short tour of the tree allocator for a first `npm start`.
import { IovaDomain } from "../domain/iova-domain.js";
import { shown } from "../util/shown.js";

export const DEMO_USAGE = `usage: iova demo

Allocates 100,000 ranges of mixed sizes in one domain, frees every other
one, places large aligned ranges in the fragmented tree, and prints what
it took and what the tree holds.

  --help  this text
`;

export function demoCommand(args: string[]): number {
  if (args.length > 0) {
    if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
      process.stdout.write(DEMO_USAGE);
      return 0;
    }
    process.stderr.write(`iova demo: unexpected argument '${shown(args.find((a) => a !== "--help" && a !== "-h") ?? args[0]!)}'\n\n${DEMO_USAGE}`);
    return 2;
  }
  const d = new IovaDomain(4096, 1, { maxRanges: 200_000 });
  const limit = d.dma32Pfn - 1;
  const out = (s: string) => process.stdout.write(s + "\n");
  out(`IOVA domain: granule 4096, start pfn 1, 32-bit limit pfn ${limit}`);
  // Allocate 100k ranges of mixed sizes, as a driver mapping buffers would.
  const live: number[] = [];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let t0 = performance.now();
  for (let i = 0; i < 100_000; i++) {
    const size = 1 << Math.floor(rnd() * rnd() * 6);
    const pfn = d.alloc(size, limit, true);
    if (pfn !== null) live.push(pfn);
  }
  let t1 = performance.now();
  out(`allocated ${live.length} ranges in ${(t1 - t0).toFixed(1)} ms; tree holds ${d.stats().ranges}`);
  // Free every other one: the tree fragments into many small holes.
  t0 = performance.now();
  for (let i = 0; i < live.length; i += 2) d.free(live[i]);
  t1 = performance.now();
  out(`freed every other range in ${(t1 - t0).toFixed(1)} ms; tree holds ${d.stats().ranges}`);
  // Large requests now must skip every small hole: the augmented search does it in O(log n).
  t0 = performance.now();
  const steps0 = d.ex.walkSteps();
  let big = 0;
  for (let i = 0; i < 1000; i++) if (d.alloc(64, limit, true) !== null) big++;
  t1 = performance.now();
  const kernelSteps = (d.ex.walkSteps() - steps0) / 1000;
  out(`1000 aligned 64-page allocs in a fragmented tree: ${big} placed, ${(t1 - t0).toFixed(2)} us each`);
  out(`  (the kernel's node-by-node walk would visit ${Math.round(kernelSteps)} nodes per alloc; the augmented search descends instead)`);
  d.check();
  const s = d.stats();
  out(`tree: ${s.ranges} ranges, ${s.allocs} allocs, ${s.frees} frees, ${s.allocFailures} failures; check() passed`);
  let lowest = Infinity;
  for (const r of d.iterRanges()) { lowest = r.lo; break; }
  out(`lowest range starts at pfn ${lowest}; cached node at pfn ${s.cached32Pfn ?? "~0 (the anchor)"}`);
  d.destroy();
  return 0;
}
