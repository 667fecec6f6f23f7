// THE option table: every option of `iova fio` (both clocks) and of `iova
// aging`, one row each, in the manner of fio's fio_options[] (row.ts says
// what a row holds). Parsing, range checks, defaults, --help, --cmdhelp, the
// JSON's option text and docs/fio.md's option list all come from here.
//
// To add an option: add one row (and, when it lands in a new field, the
// field to the taker's record: JobOptions in src/fio/options.ts, the study's
// options in src/cli/aging.ts). Nothing else lists options.

import { ERAS, POLICY_ERA } from '../domain/era.js';
import { ADAPTIVE_RECLAIM_MS, POLICIES, type DepotPolicy } from '../domain/policy.js';
import { DEFAULT_COSTS, IOVA_FQ_SIZE, IOVA_FQ_TIMEOUT_MS } from '../sim/costs.js';
import { COMPLETION_MODES } from '../sim/options.js';
import { FIO_CLI_OPTION_NAMES, FIO_ENGINE_OPTION_NAMES, FIO_JOB_OPTION_NAMES, FIO_SWITCH_OPTION_NAMES } from './fio-names.js';
import type { OptionRow, Taker } from './row.js';

export const RW_MODES = ['read', 'write', 'randread', 'randwrite', 'rw', 'randrw', 'readwrite'] as const;

/** Simulated seconds per policy of `iova aging --quick`. */
export const STUDY_QUICK_SECONDS = 5;

const FIO: readonly Taker[] = ['fio'];
const BOTH_CLOCKS: readonly Taker[] = ['fio', 'model'];
const STUDY: readonly Taker[] = ['study'];

/** The rows of `iova fio`: fio's names, fio's grammar. */
const FIO_ROWS: OptionRow[] = [
  // ---- job
  { name: 'name', type: 'str', category: 'job', takers: BOTH_CLOCKS, lands: 'name', def: '',
    help: 'Name of the job; on the command line each --name starts a new job (--name=global: the global section)' },
  { name: 'numjobs', type: 'int', category: 'job', takers: BOTH_CLOCKS, lands: 'numjobs', def: '1', min: 1, max: 1024,
    help: 'Number of clones of this job: each is a worker thread, and a CPU unless --cpus says otherwise' },
  { name: 'runtime', alias: ['timeout'], type: 'time', category: 'job', takers: BOTH_CLOCKS, lands: 'runtimeMs',
    def: '0', unit: 's', min: 0, max: 365 * 86_400_000, help: 'Stop the job after this long (0: no limit)' },
  { name: 'time_based', type: 'bool', category: 'job', takers: BOTH_CLOCKS, lands: 'timeBased', def: '0',
    help: 'Keep running until runtime expires, even when size/number_ios is done' },
  { name: 'ramp_time', type: 'time', category: 'job', takers: FIO, lands: 'rampTimeMs', def: '0', unit: 's', min: 0,
    max: 365 * 86_400_000, help: 'Run this long before measuring: I/Os that complete in the ramp are left out of the results' },
  { name: 'seed', alias: ['randseed'], type: 'int', category: 'job', takers: BOTH_CLOCKS, lands: 'seed', def: '1', min: 0,
    max: 2 ** 32 - 1, help: 'Random seed; clone k of job d draws from seed + 7919k + 104729d' },
  { name: 'stonewall', alias: ['wait_for_previous'], type: 'bool', category: 'job', takers: FIO, lands: 'stonewall', def: '0',
    help: 'Wait for the jobs before this one to finish, then start (a new phase and a new reporting group)' },
  { name: 'new_group', type: 'bool', category: 'job', takers: FIO, lands: 'newGroup', def: '0',
    help: 'Start a new reporting group with this job (without waiting, unlike stonewall)' },
  { name: 'cpus_allowed', type: 'cpulist', category: 'job', takers: FIO, lands: 'cpusAllowed', def: '', min: 0, max: 1023,
    defHelp: 'all CPUs', help: 'CPUs this job\'s clones run as: a list of CPUs and ranges (0-3,8)' },
  { name: 'cpus_allowed_policy', type: 'enum', category: 'job', takers: FIO, lands: 'cpusAllowedPolicy', def: 'shared',
    values: ['shared', 'split'],
    help: 'shared: the job runs where clone i (counting all jobs) falls in the set, i % its size; split: clone k of this job gets the k-th CPU of the set' },
  // ---- I/O
  { name: 'iodepth', type: 'int', category: 'io', takers: BOTH_CLOCKS, lands: 'iodepth', def: '1', min: 1, max: 65536,
    help: 'Number of I/Os (mappings) kept in flight per job' },
  { name: 'bs', alias: ['blocksize', 'bsrange', 'blocksize_range', 'bssplit'], type: 'bs', category: 'io', takers: BOTH_CLOCKS,
    lands: ['bs', 'bsWrite'], def: '4k', min: 1, max: 2 ** 30,
    help: 'I/O size: one size (4k), a range (4k-128k) or a split (4k/50:64k/40:256k/10); reads,writes apart: 4k,64k' },
  { name: 'size', alias: ['io_size', 'io_limit'], type: 'size', category: 'io', takers: BOTH_CLOCKS, lands: 'size', def: '0',
    help: 'Total bytes to map per job (0: no limit)' },
  { name: 'number_ios', type: 'int', category: 'io', takers: BOTH_CLOCKS, lands: 'numberIos', def: '0', min: 0,
    help: 'Stop after this many I/Os (0: no limit)' },
  { name: 'rw', alias: ['readwrite'], type: 'enum', category: 'io', takers: BOTH_CLOCKS, lands: 'rw', def: 'read',
    values: RW_MODES, help: 'I/O pattern: the direction each I/O is counted under (the allocator does the same work for both)' },
  { name: 'rwmixread', type: 'int', category: 'io', takers: BOTH_CLOCKS, lands: 'rwmixread', def: '50', min: 0, max: 100,
    help: 'Percentage of reads in a mixed workload' },
  { name: 'rwmixwrite', type: 'int', category: 'io', takers: BOTH_CLOCKS, def: '50', min: 0, max: 100,
    cb: (o, v) => { o.rwmixread = 100 - (v as number); },
    help: 'Percentage of writes in a mixed workload (sets rwmixread to 100 minus it)' },
  { name: 'rate', type: 'size', category: 'io', takers: FIO, lands: ['rateRead', 'rateWrite'], def: '0',
    help: 'Cap each clone\'s bandwidth, bytes/s (0: no cap); reads,writes apart: 100m,50m' },
  { name: 'rate_iops', type: 'int', category: 'io', takers: FIO, lands: ['rateIopsRead', 'rateIopsWrite'], def: '0', min: 0,
    help: 'Cap each clone\'s I/Os per second (0: no cap); reads,writes apart: 1000,500' },
  // ---- allocator (one domain per run)
  { name: 'policy', type: 'enum', category: 'allocator', takers: BOTH_CLOCKS, lands: 'policy', def: 'linux-6.4', scope: 'global',
    values: POLICIES, help: 'IOVA cache/depot policy' },
  { name: 'era', type: 'enum', category: 'allocator', takers: ['fio', 'model', 'study'], lands: 'era', scope: 'global', values: ERAS,
    derive: (o) => POLICY_ERA[o.policy as DepotPolicy], defHelp: "the policy's kernel",
    help: 'Kernel era of the tree and flush path (v5.10, v5.11, v6.x)' },
  { name: 'mode', type: 'enum', category: 'allocator', takers: BOTH_CLOCKS, lands: 'mode', def: 'non-strict', scope: 'global',
    values: ['strict', 'non-strict'], help: 'Unmap flushing: strict (at once) or non-strict (flush queue)' },
  { name: 'cpus', type: 'int', category: 'allocator', takers: BOTH_CLOCKS, lands: 'cpus', min: 1, max: 1024, scope: 'global',
    derive: (o) => o.numjobs, defHelp: 'one per job clone', help: 'CPUs of the domain (per-CPU caches); clone i, counting all jobs, runs as CPU i % cpus unless cpus_allowed says otherwise' },
  { name: 'completion', type: 'enum', category: 'allocator', takers: BOTH_CLOCKS, lands: 'completion', def: 'same',
    values: COMPLETION_MODES, help: 'CPU that completes (unmaps) a job\'s I/Os: its own CPU c, CPU (c+1) % cpus, or CPU 0' },
  { name: 'clock', type: 'enum', category: 'allocator', takers: BOTH_CLOCKS, lands: 'clock', def: 'real', scope: 'global',
    values: ['real', 'virtual'], help: 'Time source: worker threads on the wall clock, or the discrete-event model' },
  { name: 'fq_timeout', type: 'time', category: 'allocator', takers: BOTH_CLOCKS, lands: 'fqTimeoutMs', def: `${IOVA_FQ_TIMEOUT_MS}ms`, scope: 'global',
    unit: 'ms', min: 0, max: 3_600_000, help: 'Flush queue timeout (IOVA_FQ_TIMEOUT; bare number: ms)' },
  { name: 'fq_size', type: 'int', category: 'allocator', takers: BOTH_CLOCKS, lands: 'fqSize', def: String(IOVA_FQ_SIZE), scope: 'global',
    min: 2, max: 65536, help: 'Flush queue ring entries per CPU (IOVA_FQ_SIZE; the ring holds one fewer)' },
  { name: 'max_segment', type: 'size', category: 'allocator', takers: BOTH_CLOCKS, lands: 'maxSegment', def: '64k', min: 1,
    max: 2 ** 32, help: 'Largest single mapping; a bigger I/O maps as several segments' },
  { name: 'dma32_first', type: 'bool', category: 'allocator', takers: BOTH_CLOCKS, lands: 'dma32First', def: '0',
    help: 'Try below 4 GiB first without flushing the caches, then the 64-bit range (as iommu_dma_alloc_iova does for PCI devices)' },
  { name: 'granule', type: 'size', category: 'allocator', takers: BOTH_CLOCKS, lands: 'granule', def: '4k', scope: 'global',
    min: 1, max: 65536, pow2: true, help: 'IOVA granule (page) size, a power of two up to 64k' },
  // ---- device model (one per run)
  { name: 'device_lat', type: 'time', category: 'device', takers: BOTH_CLOCKS, lands: 'deviceLatMs', def: '20us', scope: 'global',
    unit: 'ms', min: 0, max: 3_600_000, help: 'Modelled device latency of each I/O, before its transfer time (bare number: ms)' },
  { name: 'device_bw', type: 'size', category: 'device', takers: BOTH_CLOCKS, lands: 'deviceBw', def: '2g', scope: 'global', min: 1,
    help: 'Modelled device transfer rate, bytes per second: an I/O completes device_lat + bytes / device_bw after it is mapped' },
  { name: 'iotlb_lat', type: 'time', category: 'device', takers: BOTH_CLOCKS, lands: 'iotlbLatMs', def: '2us', scope: 'global',
    unit: 'ms', min: 0, max: 3_600_000,
    help: 'Modelled IOTLB invalidation: one per unmap when strict, one per domain flush when not (bare number: ms)' },
  // ---- report
  { name: 'group_reporting', type: 'bool', category: 'report', takers: BOTH_CLOCKS, lands: 'groupReporting', def: '0',
    help: 'Report each group (jobs between stonewall/new_group) as one job' },
  { name: 'percentile_list', type: 'floatlist', category: 'report', takers: FIO, lands: 'percentileList',
    def: '1:5:10:20:30:40:50:60:70:80:90:95:99:99.5:99.9:99.95:99.99', min: 0, max: 100,
    help: 'Latency percentiles to report, colon-separated' },
  { name: 'clat_percentiles', type: 'bool', category: 'report', takers: BOTH_CLOCKS, lands: 'clatPercentiles', def: '1',
    help: 'Report completion latency percentiles' },
  { name: 'lat_percentiles', type: 'bool', category: 'report', takers: BOTH_CLOCKS, lands: 'latPercentiles', def: '0',
    help: 'Report total latency percentiles' },
  // ---- output and run control (command line only)
  { name: 'output-format', type: 'enum', category: 'output', takers: BOTH_CLOCKS, lands: 'outputFormat', def: 'normal',
    scope: 'cli', values: ['normal', 'json', 'json+'], help: 'Report format' },
  { name: 'output', type: 'str', category: 'output', takers: BOTH_CLOCKS, lands: 'output', def: '', scope: 'cli',
    defHelp: 'stdout', help: 'Write the report to this file instead of stdout (checked before the run)' },
  { name: 'status-interval', type: 'time', category: 'output', takers: BOTH_CLOCKS, lands: 'statusIntervalMs', def: '1s',
    scope: 'cli', unit: 's', min: 0, max: 86_400_000, help: 'Time between live status lines (0: none)' },
  { name: 'eta', type: 'enum', category: 'output', takers: BOTH_CLOCKS, lands: 'eta', def: 'auto', scope: 'cli',
    values: ['auto', 'always', 'never'],
    help: 'Live status line: auto (on a terminal only), always (into files and pipes too; with a JSON report on stdout, to stderr), never' },
  { name: 'help', alias: ['h'], type: 'flag', category: 'command', takers: BOTH_CLOCKS, lands: 'help', def: '0', scope: 'cli',
    help: 'This text' },
  { name: 'cmdhelp', type: 'str', category: 'command', takers: BOTH_CLOCKS, lands: 'cmdhelp', def: '', scope: 'cli',
    help: 'Details of one option (all: every option)' },
  { name: 'version', type: 'flag', category: 'command', takers: BOTH_CLOCKS, lands: 'version', def: '0', scope: 'cli',
    help: 'Print the version and exit' },
  { name: 'parse-only', type: 'flag', category: 'command', takers: BOTH_CLOCKS, lands: 'parseOnly', def: '0', scope: 'cli',
    help: 'Parse and check the options and job files, then exit' },
  { name: 'showcmd', type: 'flag', category: 'command', takers: BOTH_CLOCKS, lands: 'showcmd', def: '0', scope: 'cli',
    help: 'Print the job files as command-line options and exit' },
];

/**
 * Every other fio option: accepted and ignored (engine, device, file and
 * logging options mean nothing for an allocator). They land in the job's
 * `ignored` map and are listed once on stderr.
 */
function ignoredRows(known: readonly OptionRow[]): OptionRow[] {
  const taken = new Set(known.flatMap((r) => [r.name, ...(r.alias ?? [])]).map(normName));
  const out: OptionRow[] = [];
  const add = (name: string, cli: boolean): void => {
    if (taken.has(normName(name))) return;
    taken.add(normName(name));
    out.push({
      // A switch parses as a boolean (so a bare --direct takes no argument); the rest as any text.
      name, type: FIO_SWITCH_OPTION_NAMES.has(name) ? 'bool' : 'ignored', category: 'fio-ignored', takers: BOTH_CLOCKS,
      scope: cli ? 'cli' : 'job',
      cb: (o, _v, text) => { o.ignored = { ...(o.ignored as Record<string, string> | undefined), [name]: text }; },
      help: `fio's ${name}: accepted, no meaning for an IOVA allocator (ignored)`,
    });
  };
  for (const n of [...FIO_JOB_OPTION_NAMES, ...FIO_ENGINE_OPTION_NAMES]) add(n, false);
  for (const n of FIO_CLI_OPTION_NAMES) add(n, true);
  return out;
}

/** The rows of `iova aging`. Its names are its own (it is not fio); the grammar is the same. */
const STUDY_ROWS: OptionRow[] = [
  { name: 'quick', type: 'flag', category: 'study', takers: STUDY, lands: 'quick',
    help: `short run: ${STUDY_QUICK_SECONDS} simulated seconds per policy` },
  { name: 'faithful', type: 'flag', category: 'study', takers: STUDY, lands: 'faithful',
    help: "the thread's system uncompressed, up to the thread's last dump (83,483 s; --hours/--seconds shorten it)" },
  { name: 'hours', type: 'float', category: 'study', takers: STUDY, min: 1e-6, max: 1e6,
    cb: (o, v) => { o.seconds = (v as number) * 3600; o.faithful = true; },
    help: 'simulated hours per policy (fractions allowed), uncompressed as with --faithful' },
  // At least 1 ms (the smallest --interval-ms): the simulator rounds a shorter run to 0 ms and its worker then crashed.
  { name: 'seconds', type: 'float', category: 'study', takers: STUDY, lands: 'seconds', def: '300', min: 0.001, max: 3.6e9,
    help: 'simulated seconds per policy' },
  { name: 'policies', type: 'list', category: 'study', takers: STUDY, lands: 'policies', def: POLICIES.join(','),
    values: POLICIES, help: 'policies to run, in this order' },
  { name: 'seed', type: 'int', category: 'study', takers: STUDY, lands: 'seed', def: '1', min: 0, max: 2 ** 32 - 1,
    help: 'seed of every random draw' },
  { name: 'out', type: 'str', category: 'study', takers: STUDY, lands: 'out', defHelp: 'reports/aging-<date>',
    help: 'report directory (checked before the run)' },
  { name: 'cpus', type: 'int', category: 'study', takers: STUDY, lands: 'cpus', def: '96', min: 1, max: 1024, help: 'CPUs' },
  { name: 'jobs', type: 'int', category: 'study', takers: STUDY, lands: 'jobs', def: '12', min: 1, max: 4096, help: 'fio jobs' },
  { name: 'iodepth', type: 'int', category: 'study', takers: STUDY, lands: 'iodepth', def: '32', min: 1, max: 65536,
    help: 'I/Os in flight per job (merged: that many I/Os in requests)' },
  { name: 'bs', type: 'bs', category: 'study', takers: STUDY, def: '4k', max: 2 ** 30,
    cb: (o, _v, text) => { o.bs = text.trim(); }, help: 'block sizes, fio syntax (a fixed size merges into requests)' },
  { name: 'no-merge', type: 'flag', category: 'study', takers: STUDY, cb: (o) => { o.merge = false; },
    help: "map each I/O as its own request (no block-layer merging of the sequential reads)" },
  { name: 'completion', type: 'enum', category: 'study', takers: STUDY, lands: 'completion', def: 'other',
    values: COMPLETION_MODES, help: 'completion CPU' },
  { name: 'strict', type: 'flag', category: 'study', takers: STUDY, lands: 'strict', def: '0',
    help: 'strict unmap (free at once) instead of the flush queue' },
  { name: 'migrate-ms', type: 'float', category: 'study', takers: STUDY, lands: 'migrateMs', def: '0', min: 0, max: 1e12,
    help: 'experiment: mean time between migrations of a job to another idle CPU, ms (no source gives the thread\'s rate); 0 pins jobs' },
  { name: 'kblockd-share', type: 'float', category: 'study', takers: STUDY, lands: 'kblockdShare', def: '0', min: 0, max: 1,
    help: 'experiment: share of requests mapped by a kblockd worker on their hardware queue\'s CPUs in turn (blk-mq\'s async run; no source gives a rate); 0 maps on the job\'s CPU' },
  { name: 'interval-ms', type: 'float', category: 'study', takers: STUDY, lands: 'intervalMs', def: '1000', min: 1, max: 3.6e6,
    help: 'sampling interval, ms' },
  { name: 'reclaim-ms', type: 'float', category: 'study', takers: STUDY, lands: 'reclaimIntervalMs', def: String(ADAPTIVE_RECLAIM_MS), min: 1, max: 1e9,
    help: "adaptive's reclaim interval, ms (ADAPTIVE_RECLAIM_MS, docs/adaptive-policy.md)" },
  { name: 'dma32-pfns', type: 'int', category: 'study', takers: STUDY, lands: 'dma32Pfns', min: 1, max: 983_039,
    defHelp: "the compression's (580,608; --faithful: 983,039)",
    help: 'pfns of the 32-bit space left to allocate, the rest reserved (an experiment; src/study/compression.ts)' },
  { name: 'no-dma32', type: 'flag', category: 'study', takers: STUDY, cb: (o) => { o.dma32First = false; },
    help: 'allocate in the 64-bit space only (no 32-bit first try)' },
  { name: 'cost', type: 'kv', category: 'study', takers: STUDY, values: Object.keys(DEFAULT_COSTS),
    cb: (o, v) => { const [k, n] = v as [string, number]; o.costs = { ...(o.costs as object | undefined), [k]: n }; },
    help: 'override a cost-model figure (src/sim/costs.ts); repeatable' },
  { name: 'ablations', type: 'flag', category: 'study', takers: STUDY, lands: 'ablations',
    help: 'also run each ablation (one mechanism changed at a time) for linux-5.10 and adaptive, or --policies; writes ablations.txt' },
  { name: 'parallel', type: 'int', category: 'study', takers: STUDY, lands: 'parallel', min: 1, max: 1024,
    defHelp: "the machine's cores", help: 'policies simulated at once, in worker threads' },
  { name: 'help', type: 'flag', category: 'command', takers: STUDY, lands: 'help', help: 'this text' },
];

/** '-' and '_' are interchangeable in names and case does not matter: fio mixes both styles. */
export function normName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/** Every row. Export for suites that go over every option. */
export const OPTION_ROWS: readonly OptionRow[] = [...FIO_ROWS, ...ignoredRows(FIO_ROWS), ...STUDY_ROWS];

/** A command's rows: `iova fio` takes fio and model rows, `iova aging` study rows. */
export type Command = 'fio' | 'study';

export function rowsOf(command: Command): readonly OptionRow[] {
  return command === 'fio' ? FIO_COMMAND_ROWS : STUDY_COMMAND_ROWS;
}

const FIO_COMMAND_ROWS = OPTION_ROWS.filter((r) => r.takers.includes('fio') || r.takers.includes('model'));
const STUDY_COMMAND_ROWS = OPTION_ROWS.filter((r) => r.takers.includes('study'));

const INDEX: Record<Command, Map<string, OptionRow>> = { fio: new Map(), study: new Map() };
for (const c of ['fio', 'study'] as const) {
  for (const r of rowsOf(c)) for (const n of [r.name, ...(r.alias ?? [])]) INDEX[c].set(normName(n), r);
}

export function findRow(command: Command, name: string): OptionRow | undefined {
  return INDEX[command].get(normName(name));
}
