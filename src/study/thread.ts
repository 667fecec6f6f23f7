// The linux-iommu thread "iommu/iova: Solve longterm IOVA issue" (2020-21):
// what it measured, and the machine and load it ran. The study's defaults
// come from here, and docs/aging.md prints the same rows with their sources.
// Where the thread does not say, the row is marked a guess.

/** Where each figure comes from. */
export const SOURCES = {
  v1: "John Garry, iommu/iova: Flush CPU rcache for when a depot fills (Nov 2020), https://lkml.iu.edu/hypermail/linux/kernel/2011.0/02828.html",
  reply: "John Garry, reply to Robin Murphy on v1 (Nov 2020), https://lkml.iu.edu/hypermail/linux/kernel/2011.0/04013.html",
  v3: "John Garry, [PATCH v3 0/4] (Nov 2020), https://www.mail-archive.com/iommu@lists.linux-foundation.org/msg46544.html",
  v4: "John Garry, [PATCH v4 3/3] iommu/iova: Flush CPU rcache for when a depot fills (Dec 2020), https://lkml.iu.edu/hypermail/linux/kernel/2012.1/02206.html",
  issue: "issue 11 of this project, quoting the thread's print_iova2 line and John's reading of it",
  iova510: "Linux v5.10 drivers/iommu/iova.c",
  dma510: "Linux v5.10 drivers/iommu/dma-iommu.c",
  hisiSas510: "Linux v5.10 drivers/scsi/hisi_sas/hisi_sas_v3_hw.c",
  anchors: "../shared/anchors.md (the kernel's C measured on this machine kind)",
  kconfig: "Linux kernel/Kconfig.hz (HZ_250 is the default choice)",
} as const;

/**
 * What the thread observed, for the calibration table ("thread vs this run").
 * fio's status lines come from the v1/v4 messages; the dumps from v3's cover
 * letter.
 */
export const THREAD_OBSERVED = {
  /** The fio status lines before the fall: 1451K-1731K IOPS (the first, 1616K, is 6314 MB/s: 3.9 KB per I/O). */
  iopsBefore: { lo: 1_451_000, hi: 1_731_000 },
  /** The status lines after it: 330K-688K IOPS ("fall off a cliff"). */
  iopsAfter: { lo: 330_000, hi: 688_000 },
  /** print_iova1 totals at two times of one long run (seconds since boot). */
  dumps: [
    { t: 13_175, cpuTotal: 40_135, depotTotal: 3_866, total: 44_001 },
    { t: 83_483, cpuTotal: 62_532, depotTotal: 24_476, total: 87_008 },
  ],
  /**
   * The v5.10 depot holds 32 magazines of 128 IOVAs per order, 6 orders:
   * 24,576 IOVAs. 24,476 at 83,483 s is 99.6% of that, so every bin was full
   * (or one magazine short) by then; 3,866 at 13,175 s is 16%.
   */
  depotCapacityPfns: 6 * 32 * 128,
  /** The status lines are not timestamped: the fall came "as time goes by", after hours. */
  onset: "hours into the run (the status lines carry no time)",
} as const;

/** One row of the thread's system: the parameter, the value the study uses, and where it comes from. */
export interface ThreadParameter {
  parameter: string;
  value: string;
  source: string;
  /** True when the thread and the code do not give it and the value is our choice. */
  guess: boolean;
}

/**
 * The thread's machine and load. `value` is what `iova aging --faithful`
 * runs; the default run compresses some of it (see compression.ts).
 */
export const THREAD_SYSTEM: readonly ThreadParameter[] = [
  { parameter: "CPUs, sockets", value: "96 CPUs, 2 sockets of 48", guess: false,
    source: `${SOURCES.anchors}: the thread's machine is a Kunpeng 920, 2 x 48 cores` },
  { parameter: "fio jobs", value: "12", guess: false, source: `${SOURCES.v1}: "Jobs: 12 (f=12): [RRRRRRRRRRRR]"` },
  { parameter: "job CPUs", value: "spread evenly: job j on CPU 8j (both sockets)", guess: true,
    source: "not in the thread, which does not say where fio's jobs ran: the scheduler spreads 12 busy threads over 96 idle CPUs" },
  { parameter: "migration", value: "none (jobs stay on their CPU)", guess: true,
    source: "not in the thread: a busy fio thread with iodepth > 1 rarely sleeps, and idle balancing does not move a lone running task; --migrate-ms turns it on" },
  { parameter: "I/O", value: "4 KiB reads (R in fio's status line; 6314 MB/s / 1616K IOPS = 3.9 KB)", guess: false, source: SOURCES.v1 },
  { parameter: "I/Os in flight per job", value: "32", guess: true, source: "not in the thread; enough that the CPUs, not the queue depth, set the rate" },
  { parameter: "sizes above the cached orders", value: "1% of I/Os map 64 pages (256 KiB)", guess: true,
    source: `${SOURCES.issue}: print_iova2 iova_allocs(=5000000 ... too_big=47036, which John explains as the IOVAs above IOVA_RANGE_CACHE_MAX_SIZE: 47,036 of 5,000,000 allocations = 0.94%, rounded to 1% (fio's bssplit takes whole percents). The size of those IOVAs is not given: 64 pages is our choice (any size over 32 pages is too big to cache)` },
  { parameter: "completion CPUs", value: "16 queues, each serving 6 CPUs; an I/O from CPU c completes on CPU 6 floor(c/6) (--completion replaces this)", guess: true,
    source: `${SOURCES.hisiSas510}: 32 MSI vectors, 16 of them pre-vectors (BASE_VECTORS_V3_HW), so 16 completion queues with managed affinity (PCI_IRQ_AFFINITY) spread over 96 CPUs, one threaded handler (cq_thread_v3_hw) each; which CPU of the 6 takes the interrupt is the GIC's choice, the first is a guess` },
  { parameter: "unmap", value: "non-strict: per-CPU flush queue of 256 entries (holds 255), 10 ms timer", guess: false,
    source: `${SOURCES.iova510}: IOVA_FQ_SIZE 256, IOVA_FQ_TIMEOUT 10; ${SOURCES.reply}: growth seen with the flush queue, the rcaches stay compact in strict mode` },
  { parameter: "timer in jiffies", value: "HZ 250: msecs_to_jiffies(10) = 3 jiffies, fires on a tick", guess: true,
    source: `${SOURCES.iova510}: mod_timer(jiffies + msecs_to_jiffies(IOVA_FQ_TIMEOUT)); the thread's arm64 config was not found, ${SOURCES.kconfig}` },
  { parameter: "32-bit first", value: "every map tries below 4 GiB without flushing, then the 48-bit limit", guess: false,
    source: `${SOURCES.dma510}: iommu_dma_alloc_iova tries DMA_BIT_MASK(32) first for PCI devices, then dma_limit with flush_rcache` },
  { parameter: "DMA limit", value: "48 bits", guess: true,
    source: "hisi_sas v3 sets a 64-bit DMA mask; the SMMUv3 input size of the Kunpeng 920 (48 bits) is our reading, not measured" },
  { parameter: "PCI windows", value: "one 32-bit host-bridge window reserved: [0xe000_0000, 0xefff_ffff]", guess: true,
    source: `${SOURCES.dma510}: iova_reserve_pci_windows reserves every host bridge MEM window; the windows of the thread's machine were not found, 256 MiB is our choice` },
  { parameter: "depot", value: "linux-5.10: 32 magazines of 128 pfns per order, 6 orders", guess: false,
    source: `${SOURCES.iova510}: MAX_GLOBAL_MAGS 32, IOVA_MAG_SIZE 128, IOVA_RANGE_CACHE_MAX_SIZE 6` },
];

/** The host bridge window the study reserves below 4 GiB (THREAD_SYSTEM's "PCI windows": a guess). */
export const THREAD_PCI_WINDOWS = [{ start: 0xe000_0000, end: 0xefff_ffff }] as const;

/** hisi_sas v3: HISI_SAS_MSI_COUNT_V3_HW (32) less BASE_VECTORS_V3_HW (16) completion queues. */
export const COMPLETION_QUEUES = 16;

/** HZ of the thread's arm64 kernel: not found, the Kconfig default (a guess). */
export const THREAD_HZ = 250;

/**
 * Where the thread's machine runs a load of `jobs` jobs on `cpus` CPUs:
 * jobs spread evenly over the CPUs, and each CPU's I/Os completing on the
 * first CPU of its completion queue's group (COMPLETION_QUEUES queues with
 * managed affinity, each serving cpus / 16 consecutive CPUs).
 */
export function threadLayout(cpus: number, jobs: number): { jobCpus: number[]; completionCpus: number[]; sockets: number } {
  const stride = Math.max(1, Math.floor(cpus / jobs));
  const jobCpus = Array.from({ length: jobs }, (_, j) => (j * stride) % cpus);
  const group = Math.max(1, Math.ceil(cpus / COMPLETION_QUEUES));
  const completionCpus = Array.from({ length: cpus }, (_, c) => Math.floor(c / group) * group);
  return { jobCpus, completionCpus, sockets: cpus % 2 === 0 && cpus >= 2 ? 2 : 1 };
}
