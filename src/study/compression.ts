// What the default run compresses relative to the thread's system, and by
// how much, as data: each item says what it changes, the thread's (faithful)
// value and the run's, and the argument that chose the figure (stated from
// the thread's numbers and the faithful model's measured state, never from
// the result it produces). `iova aging --faithful` and `--hours` run the
// uncompressed model; the report prints every item.
import { formatNumber, formatSeconds } from "../report/format.js";
import { THREAD_OBSERVED, THREAD_PCI_WINDOWS } from "./thread.js";

/** Simulated seconds of the faithful run: up to the thread's last dump. */
export const FAITHFUL_SECONDS = THREAD_OBSERVED.dumps[THREAD_OBSERVED.dumps.length - 1]!.t;

/** The IOMMU granule the study runs (4 KiB pages) and the first pfn of the domain. */
const GRANULE = 4096;
const START_PFN = 1;
/** dma_32bit_pfn at 4 KiB pages: the 32-bit space is pfns below 2^20. */
export const DMA32_PFN = 2 ** 32 / GRANULE;

/** Pfns of the 32-bit space a run can allocate: below 4 GiB, less the domain's first pfn and the host bridge windows. */
export function usable32(windows: ReadonlyArray<{ start: number; end: number }>): number {
  let reserved = 0;
  for (const w of windows) {
    const lo = Math.max(START_PFN, Math.floor(w.start / GRANULE));
    const hi = Math.min(DMA32_PFN - 1, Math.floor(w.end / GRANULE));
    if (hi >= lo) reserved += hi - lo + 1;
  }
  return DMA32_PFN - START_PFN - reserved;
}

/** The 32-bit space of the thread's system, faithful: 983,039 pfns with the study's host bridge window. */
export const FAITHFUL_USABLE32 = usable32(THREAD_PCI_WINDOWS);

/**
 * The thread's pressure on its 32-bit space at its last dump, a lower bound.
 * The depot held 24,476 IOVAs of its 6 x 4,096 (THREAD_OBSERVED): more than
 * five orders can hold, so every order's depot was full but for 100 IOVAs,
 * which pin at least 4,096 x (1+2+4+8+16) + 3,996 x 32 = 254,848 pfns; the
 * CPU magazines' 62,532 IOVAs pin at least one pfn each. 317,380 pfns are
 * 32.3% of the faithful space: the caches alone held at least that share.
 */
export const THREAD_CACHED_PFNS_MIN = 4096 * (1 + 2 + 4 + 8 + 16) + (4096 - 100) * 32 + 62_532;

/**
 * The faithful model's caches on the same machine: the mean pfns cached over
 * the 20 samples of a 600 s run of linux-5.10 (`iova aging --faithful
 * --seconds 600 --policies linux-5.10 --interval-ms 5000`, measured for
 * docs/aging.md: 4,945, flat from 30 s to 600 s).
 */
export const MODEL_CACHED_PFNS = 4_945;

/**
 * The compressed 32-bit space: the model's caches take the thread's share of
 * it (MODEL_CACHED_PFNS / (THREAD_CACHED_PFNS_MIN / FAITHFUL_USABLE32) =
 * 15,317 pfns), rounded up to whole MiB: 15,360 pfns, 60 MiB.
 */
export const COMPRESSED_USABLE32 = Math.ceil((MODEL_CACHED_PFNS * FAITHFUL_USABLE32 / THREAD_CACHED_PFNS_MIN) / 256) * 256;

/**
 * Host bridge windows that leave `usable` pfns of the 32-bit space: the
 * thread's windows, plus what lies below the top `usable` pfns outside them
 * (split around them, so no two windows overlap). The space kept is the top
 * one, where the allocator starts.
 */
export function windowsLeaving(usable: number, base: ReadonlyArray<{ start: number; end: number }> = THREAD_PCI_WINDOWS): Array<{ start: number; end: number }> {
  const have = usable32(base);
  if (!Number.isInteger(usable) || usable < 1 || usable > have) {
    throw new RangeError(`dma32Pfns must be an integer in [1, ${have}], got ${String(usable)}`);
  }
  const out = base.map((w) => ({ ...w }));
  // Take pfns from START_PFN upwards, skipping the base windows, until `usable` remain.
  let toTake = have - usable;
  let lo = START_PFN;
  const sorted = [...base].sort((a, b) => a.start - b.start);
  for (const w of [...sorted, { start: 2 ** 32, end: 2 ** 32 }]) {
    if (toTake === 0) break;
    const wLo = Math.floor(w.start / GRANULE);
    const room = Math.max(0, Math.min(wLo, DMA32_PFN) - lo);
    const take = Math.min(room, toTake);
    if (take > 0) out.push({ start: lo * GRANULE, end: (lo + take) * GRANULE - 1 });
    toTake -= take;
    lo = Math.max(lo, Math.floor(w.end / GRANULE) + 1);
  }
  return out.sort((a, b) => a.start - b.start);
}

export interface CompressionItem {
  /** What is compressed. */
  what: string;
  /** The thread's (faithful) value and this run's, as text. */
  faithful: string;
  run: string;
  /** faithful / run, when both are numbers (how many times shorter or smaller). */
  factor: number | null;
  /** Why this figure: the argument, from the thread and the faithful model. */
  why: string;
}

/** What a compressed run changes in the plan: the items to print and the values they set. */
export interface Compression {
  items: CompressionItem[];
  /** Host bridge windows to reserve (the thread's, or more when the 32-bit space is compressed). */
  pciWindows: Array<{ start: number; end: number }>;
  /** How many of the thread's seconds one simulated second stands for (1: not compressed). */
  timeScale: number;
}

/**
 * The compression of a run of `seconds` simulated seconds. None when
 * `faithful`. `dma32Pfns` (the caller's own choice of the 32-bit space, an
 * experiment) replaces the compressed space and is reported as such.
 */
export function compressionOf(seconds: number, faithful: boolean, dma32Pfns?: number,
  windows: ReadonlyArray<{ start: number; end: number }> = THREAD_PCI_WINDOWS): Compression {
  const items: CompressionItem[] = [];
  // Faithful: the whole space less `windows` (the thread's host bridge window, or none in the ablation).
  const whole = usable32(windows);
  const usable = dma32Pfns ?? (faithful ? whole : COMPRESSED_USABLE32);
  const pciWindows = usable === whole ? windows.map((w) => ({ ...w })) : windowsLeaving(usable, windows);
  const timeScale = faithful || seconds >= FAITHFUL_SECONDS ? 1 : FAITHFUL_SECONDS / seconds;
  if (timeScale !== 1) {
    items.push({
      what: "run length",
      faithful: `${formatSeconds(FAITHFUL_SECONDS)} (${formatNumber(FAITHFUL_SECONDS)} s, the thread's last dump)`,
      run: formatSeconds(seconds),
      factor: timeScale,
      why: `time maps linearly: the run's end stands for the thread's last dump, so its dumps at 13,175 s and ` +
        `83,483 s are read at ${formatSeconds(THREAD_OBSERVED.dumps[0]!.t / timeScale)} and ${formatSeconds(seconds)}`,
    });
  }
  if (usable !== whole) {
    const mib = (p: number) => `${formatNumber((p * GRANULE) / 2 ** 20)} MiB`;
    items.push({
      what: "32-bit IOVA space",
      faithful: `${formatNumber(whole)} pfns (${mib(whole)}, below 4 GiB ${windows.length ? "less the host bridge window" : "with no host bridge window reserved"})`,
      run: `${formatNumber(usable)} pfns (${mib(usable)}, the top of it; the rest reserved)`,
      factor: whole / usable,
      why: dma32Pfns !== undefined
        ? "chosen on the command line (--dma32-pfns): an experiment, not the thread's system"
        : `the thread's caches held at least ${formatNumber(THREAD_CACHED_PFNS_MIN)} pfns at its last dump ` +
          `(${(100 * THREAD_CACHED_PFNS_MIN / FAITHFUL_USABLE32).toFixed(1)}% of the space: its depot full in all six orders); ` +
          `the faithful model's hold ${formatNumber(MODEL_CACHED_PFNS)}, flat from 30 s to 600 s, so the space is cut until ` +
          `they take the same share`,
    });
  }
  return { items, pciWindows, timeScale };
}

/** The items as sentences for the report. */
export function compressionLines(items: readonly CompressionItem[]): string[] {
  return items.map((c) =>
    `${c.what}: ${c.run} instead of ${c.faithful}` +
    (c.factor !== null ? `, ${formatNumber(c.factor)}x ${c.what === "run length" ? "shorter" : "smaller"}` : "") +
    `. Why: ${c.why}.`);
}
