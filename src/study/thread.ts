// The linux-iommu thread "iommu/iova: Solve longterm IOVA issue" (2020-21):
// what it measured, and the machine and load it ran. The study's defaults
// come from here, and docs/aging.md prints the same rows with their sources.
// Where the thread does not say, the row is marked a guess.
import { mergeChanceFor, type RequestMerge } from "../load/merge.js";

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
  hisiMq: "John Garry, scsi: hisi_sas: Switch v3 hw to MQ (commit 8d98416a55eb, in v5.10: Martin K. Petersen applied a fix of it to 5.10/scsi-fixes, linux-scsi, 26 Oct 2020, Message-ID yq1lffs8ye1.fsf@ca-mkp.ca.oracle.com)",
  irqThread: "John Garry, Re: [PATCH 0/3] fix interrupt swamp in NVMe (LKML, 21 Aug 2019, Message-ID 1a647622-d9cf-9c70-f990-e5606e60842b@huawei.com): \"the cpu allowed mask for the threaded part of a threaded irq handler will be set to the effective affinity of the hard irq. Typically the effective affinity of the hard irq will be for a single cpu\"; drivers/irqchip/irq-gic-v3-its.c its_select_cpu: a managed LPI's effective affinity is the least-loaded CPU of its mask (cpumask_pick_least_loaded)",
  wakeAffine: "Linux v5.10 kernel/sched/fair.c wake_affine_idle: a task woken from another CPU goes back to its previous CPU when that CPU is idle (\"If the prev_cpu is idle and cache affine then avoid a migration\")",
  anchors: "../shared/anchors.md (the kernel's C measured on this machine kind)",
  kconfig: "Linux kernel/Kconfig.hz (HZ_250 is the default choice)",
  fio: "fio, eta.c check_str_update and HOWTO.rst (https://github.com/axboe/fio): 'R' is \"Running, doing sequential reads\", 'r' random reads",
  aio: "Linux v5.10 fs/aio.c: io_submit plugs the block layer (blk_start_plug) when it submits more than AIO_PLUG_THRESHOLD (2) iocbs, so sequential bios of one call merge into one request",
  mapSg: "Linux v5.10 drivers/iommu/dma-iommu.c iommu_dma_map_sg: the segments of a scatterlist are mapped into one contiguous IOVA allocation (one iommu_dma_alloc_iova per request, its length rounded up to a power of two below 32 pages)",
  scsiLimits: "Linux v5.10 hisi_sas_v3_hw.c sht_v3_hw: .max_sectors = SCSI_DEFAULT_MAX_SECTORS (1024 sectors of 512 B, include/scsi/scsi_host.h), .sg_tablesize = HISI_SAS_SGE_PAGE_CNT (124, hisi_sas.h)",
  garry2022: "John Garry, [PATCH v3 0/4] DMA mapping changes for SCSI core (Jun 2022), https://lkml.iu.edu/hypermail/linux/kernel/2206.0/10111.html: \"As reported in [0], DMA mappings whose size exceeds the IOMMU IOVA caching limit may see a big performance hit\" ([0] is leizhen's longterm IOVA post); the series caps a SCSI host's max_sectors at that limit",
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

/**
 * How the thread's 4 KiB reads reach dma-iommu. fio's jobs read sequentially
 * ('R'), so the block layer merges a job's consecutive reads into requests
 * of several pages, and each request is one dma_map_sg: one IOVA. The
 * thread's print_iova2 line counts those IOVAs: too_big=47036 of
 * iova_allocs=5000000 were above IOVA_RANGE_CACHE_MAX_SIZE (32 pages), so
 * 0.94% of requests held more than 32 reads of 4 KiB. No source gives the
 * rest of the distribution: the study draws 1 + a geometric number of
 * further reads per request (each joining with the same chance p), with p
 * set by that one figure, p^32 = 0.94% (a guess constrained by it), capped
 * at what one request can carry.
 */
export const THREAD_MERGE = {
  /** print_iova2: too_big / iova_allocs. */
  tooBigShare: 47_036 / 5_000_000,
  /** The largest cached IOVA: 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1) = 32 pages, 32 reads of 4 KiB. */
  cachedMaxIos: 32,
  /**
   * The most 4 KiB reads one request holds: max_sectors 1024 x 512 B = 128
   * pages, and sg_tablesize 124 segments (each read its own page of fio's
   * buffer): 124.
   */
  maxIos: Math.min((1024 * 512) / 4096, 124),
} as const;

/** The thread's merged-request load, with its cap (the study's --no-merge and ablations change the cap). */
export function threadMerge(maxIos: number = THREAD_MERGE.maxIos): RequestMerge {
  return { p: mergeChanceFor(THREAD_MERGE.tooBigShare, THREAD_MERGE.cachedMaxIos), maxIos };
}

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
    source: `not in the thread: its mails give fio's status lines (${SOURCES.v1}: "Jobs: 12 (f=12)") and no job file or options (no cpus_allowed, numjobs or iodepth); we spread the 12 busy jobs over the 96 idle CPUs, the CPUs are our choice` },
  { parameter: "migration", value: "none (jobs stay on their CPU)", guess: true,
    source: `no source gives a rate: the thread does not say where its jobs ran; ${SOURCES.wakeAffine}, so a job that sleeps on I/O moves only when its CPU is busy as it wakes, and how often that was so on the thread's machine is not known. --migrate-ms N runs an experiment, not the thread's system (a job moved to any idle CPU, further than a wake-up's move within its cache domain)` },
  { parameter: "I/O", value: "4 KiB sequential reads: IOPS count these (6314 MB/s / 1616K IOPS = 3.9 KB)", guess: false,
    source: `${SOURCES.v1}: "Jobs: 12 (f=12): [RRRRRRRRRRRR]"; ${SOURCES.fio}` },
  { parameter: "requests", value: "a job's consecutive reads merged into one request, one IOVA per request (its length rounded up to a power of two below 32 pages)", guess: false,
    source: `${SOURCES.aio}; ${SOURCES.mapSg}` },
  { parameter: "reads per request", value: "1 + geometric: each further read joins with p = 0.94%^(1/32) = 0.864 (mean 7.37 reads, 29 KiB); 0.94% above 32 (too big to cache)", guess: true,
    source: `the share above 32 is the thread's: ${SOURCES.issue}: print_iova2 iova_allocs(=5000000 ... too_big=47036, which John explains as the IOVAs above IOVA_RANGE_CACHE_MAX_SIZE: 47,036 of 5,000,000 IOVA allocations (requests) = 0.94%; ${SOURCES.garry2022}. The shape is our guess: no source gives the sizes of the requests, the geometric is the run length of reads each joining with the same chance` },
  { parameter: "largest request", value: "124 reads (496 KiB)", guess: false,
    source: `${SOURCES.scsiLimits}: max_sectors 128 pages, 124 segments of one page` },
  { parameter: "I/Os in flight per job", value: "32 reads: 4 requests (32 / 7.37, rounded)", guess: true, source: "not in the thread; enough that the CPUs, not the queue depth, set the rate" },
  { parameter: "completion CPUs", value: "16 queues, each serving 6 CPUs; a request mapped on CPU c completes on CPU 6 floor(c/6), wherever its job runs by then (--completion replaces this)", guess: true,
    source: `${SOURCES.hisiSas510}: interrupt_preinit_v3_hw allocates 32 MSI vectors, 16 of them pre-vectors (BASE_VECTORS_V3_HW), with managed affinity (pci_alloc_irq_vectors_affinity, PCI_IRQ_AFFINITY), and sets shost->nr_hw_queues = cq_nvecs (16) with .host_tagset = 1 and .map_queues = blk_mq_pci_map_queues: each CPU's requests go to the hardware queue whose vector's mask holds that CPU (${SOURCES.hisiMq}); hisi_sas_task_prep takes the delivery queue from the request's hctx and maps it there (dma_map_sg); the queue's threaded handler cq_thread_v3_hw unmaps it (slot_complete_v3_hw, hisi_sas_slot_task_free, dma_unmap_sg) before the block layer completes it, so the IOVA is freed on the interrupt thread's CPU whatever blk-mq's QUEUE_FLAG_SAME_COMP does with the rest of the completion; ${SOURCES.irqThread}. Which CPU of the 6 is least loaded on the thread's machine is not known: the first is our guess` },
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
