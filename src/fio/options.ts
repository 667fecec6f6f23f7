// The option table of `iova fio`, and everything derived from it: command
// line parsing, defaults, range checks, --help and --cmdhelp. As in fio's
// options.c there is ONE table; adding an option means adding one row.

import { FioOptionError } from './errors.js';
import {
  type BlockSize,
  editDistance,
  formatBlockSize,
  formatSize,
  parseBlockSize,
  parseBool,
  parseInteger,
  parseSize,
  parseTime,
} from './values.js';

export type { BlockSize } from './values.js';
import { ERAS, POLICY_ERA, type KernelEra } from '../domain/era.js';

export const RW_MODES = ['read', 'write', 'randread', 'randwrite', 'rw', 'randrw', 'readwrite'] as const;
export const POLICIES = ['linux-5.10', 'cpu-flush', 'scaled-depot', 'linux-6.4', 'adaptive'] as const;
export type RwMode = (typeof RW_MODES)[number];
export type Policy = (typeof POLICIES)[number];

/** Fully resolved options of one job (or of the global section). Times are in ms. */
export interface JobOptions {
  name: string;
  numjobs: number;
  iodepth: number;
  bs: BlockSize;
  runtimeMs: number; // 0 = no time limit
  timeBased: boolean;
  size: number; // bytes per job; 0 = no size limit
  numberIos: number; // 0 = no count limit
  rw: RwMode;
  rwmixread: number;
  policy: Policy;
  era: KernelEra;
  mode: 'strict' | 'non-strict';
  cpus: number;
  completion: 'same' | 'other' | 'single';
  seed: number;
  clock: 'real' | 'virtual';
  fqTimeoutMs: number;
  fqSize: number;
  maxSegment: number;
  dma32First: boolean;
  granule: number;
  outputFormat: 'normal' | 'json' | 'json+';
  output: string; // '' = stdout
  statusIntervalMs: number;
  eta: 'auto' | 'always' | 'never';
}

export type OptionType = 'str' | 'int' | 'bool' | 'size' | 'time' | 'enum' | 'bs';

/**
 * Where an option may be set. 'job': anywhere. 'global': one value for the
 * whole run (there is one allocator), so a job file only takes it in
 * [global]. 'cli': run control, command line only (fio has these outside its
 * job option table too).
 */
export type OptionScope = 'job' | 'global' | 'cli';

export interface OptionSpec {
  name: string;
  key: keyof JobOptions;
  type: OptionType;
  help: string;
  category: 'job' | 'io' | 'allocator' | 'output';
  scope: OptionScope;
  /** Default value, or a function of the other resolved options. */
  def: unknown | ((o: JobOptions) => unknown);
  /** How the default reads in help, when it is not a plain value. */
  defText?: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  unit?: 'ms' | 's'; // unit of a bare number, for 'time'
  pow2?: boolean;
  alias?: string[];
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'name', key: 'name', type: 'str', category: 'job', scope: 'job', def: '',
    help: 'Name of the job; on the command line each --name starts a new job (--name=global: the global section)' },
  { name: 'numjobs', key: 'numjobs', type: 'int', category: 'job', scope: 'job', def: 1, min: 1,
    help: 'Number of clones (worker threads) of this job' },
  { name: 'iodepth', key: 'iodepth', type: 'int', category: 'io', scope: 'job', def: 1, min: 1,
    help: 'Number of I/Os (mappings) kept in flight per job' },
  { name: 'bs', key: 'bs', type: 'bs', category: 'io', scope: 'job', def: { kind: 'fixed', bytes: 4096 },
    alias: ['blocksize', 'bssplit'],
    help: 'I/O size: one size (4k), a range (4k-128k) or a split (4k/50:64k/40:256k/10)' },
  { name: 'runtime', key: 'runtimeMs', type: 'time', category: 'job', scope: 'job', def: 0, unit: 's', min: 0,
    alias: ['timeout'], help: 'Stop the job after this long (0: no limit)' },
  { name: 'time_based', key: 'timeBased', type: 'bool', category: 'job', scope: 'job', def: false,
    help: 'Keep running until runtime expires, even when size/number_ios is done' },
  { name: 'size', key: 'size', type: 'size', category: 'io', scope: 'job', def: 0,
    help: 'Total bytes to map per job (0: no limit)' },
  { name: 'number_ios', key: 'numberIos', type: 'int', category: 'io', scope: 'job', def: 0, min: 0,
    help: 'Stop after this many I/Os (0: no limit)' },
  { name: 'rw', key: 'rw', type: 'enum', category: 'io', scope: 'job', def: 'read', values: RW_MODES,
    alias: ['readwrite'], help: 'I/O pattern (direction and sequential/random)' },
  { name: 'rwmixread', key: 'rwmixread', type: 'int', category: 'io', scope: 'job', def: 50, min: 0, max: 100,
    help: 'Percentage of reads in a mixed workload' },
  { name: 'policy', key: 'policy', type: 'enum', category: 'allocator', scope: 'global', def: 'linux-6.4',
    values: POLICIES, help: 'IOVA cache/depot policy' },
  { name: 'era', key: 'era', type: 'enum', category: 'allocator', scope: 'global', values: ERAS,
    def: (o: JobOptions) => POLICY_ERA[o.policy], defText: "the policy's kernel",
    help: 'Kernel era of the tree and flush path (v5.10, v5.11, v6.x)' },
  { name: 'mode', key: 'mode', type: 'enum', category: 'allocator', scope: 'global', def: 'non-strict',
    values: ['strict', 'non-strict'], help: 'Unmap flushing: strict (at once) or non-strict (flush queue)' },
  { name: 'cpus', key: 'cpus', type: 'int', category: 'allocator', scope: 'global', min: 1,
    def: (o: JobOptions) => o.numjobs, defText: 'numjobs', help: 'Number of simulated CPUs (per-CPU caches)' },
  { name: 'completion', key: 'completion', type: 'enum', category: 'allocator', scope: 'job', def: 'same',
    values: ['same', 'other', 'single'],
    help: 'CPU that unmaps: the mapping one, another one, or always one CPU' },
  { name: 'seed', key: 'seed', type: 'int', category: 'job', scope: 'job', def: 1, min: 0,
    help: 'Random seed' },
  { name: 'clock', key: 'clock', type: 'enum', category: 'allocator', scope: 'global', def: 'real',
    values: ['real', 'virtual'], help: 'Time source for latencies and flush timeouts' },
  { name: 'fq_timeout', key: 'fqTimeoutMs', type: 'time', category: 'allocator', scope: 'global', def: 10,
    unit: 'ms', min: 0, help: 'Flush queue timeout (bare number: ms)' },
  { name: 'fq_size', key: 'fqSize', type: 'int', category: 'allocator', scope: 'global', def: 256, min: 1,
    help: 'Flush queue entries per CPU' },
  { name: 'max_segment', key: 'maxSegment', type: 'size', category: 'allocator', scope: 'job', def: 65536, min: 1,
    help: 'Largest single mapping; a bigger I/O maps as several segments' },
  { name: 'dma32_first', key: 'dma32First', type: 'bool', category: 'allocator', scope: 'job', def: false,
    help: 'Try below 4 GiB first, then the full 64-bit range (as dma-iommu)' },
  { name: 'granule', key: 'granule', type: 'size', category: 'allocator', scope: 'global', def: 4096, min: 1,
    pow2: true, help: 'IOVA granule (page) size, a power of two' },
  { name: 'output-format', key: 'outputFormat', type: 'enum', category: 'output', scope: 'cli', def: 'normal',
    values: ['normal', 'json', 'json+'], help: 'Report format' },
  { name: 'output', key: 'output', type: 'str', category: 'output', scope: 'cli', def: '',
    help: 'Write the report to this file instead of stdout' },
  { name: 'status-interval', key: 'statusIntervalMs', type: 'time', category: 'output', scope: 'cli', def: 1000,
    unit: 's', min: 0, help: 'Seconds between live status lines (0: none)' },
  { name: 'eta', key: 'eta', type: 'enum', category: 'output', scope: 'cli', def: 'auto',
    values: ['auto', 'always', 'never'], help: 'When to print the live status line' },
];

// '-' and '_' are interchangeable in names: fio mixes both styles.
const norm = (name: string): string => name.toLowerCase().replace(/-/g, '_');
const BY_NAME = new Map<string, OptionSpec>();
for (const o of OPTIONS) for (const n of [o.name, ...(o.alias ?? [])]) BY_NAME.set(norm(n), o);

export function findOption(name: string): OptionSpec | undefined {
  return BY_NAME.get(norm(name));
}

/** The nearest option name, if near enough to be a plausible typo (fio's string_distance_ok). */
export function nearestOption(name: string): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const o of OPTIONS) {
    for (const n of [o.name, ...(o.alias ?? [])]) {
      const d = editDistance(norm(name), norm(n));
      if (d < bestDist) [best, bestDist] = [o.name, d];
    }
  }
  return bestDist <= Math.floor((name.length + 1) / 2) ? best : undefined;
}

/** `shown` is the name as it appeared ("--iodeth" on the command line, "iodeth" in a job file). */
export function unknownOption(name: string, raw: string, shown: string = `--${name}`): FioOptionError {
  const near = nearestOption(name);
  const hint = near ? `; did you mean '--${near}'?` : '';
  return new FioOptionError('unknown-option', name, raw, `unknown option '${shown}'${hint}`);
}

/** Parse and range-check one value for `spec`. `typed` is the name as the user wrote it. */
export function parseOptionValue(spec: OptionSpec, text: string, typed: string = spec.name): unknown {
  const range = (n: number): number => {
    const lo = spec.min;
    const hi = spec.max;
    if ((lo !== undefined && n < lo) || (hi !== undefined && n > hi)) {
      const want = hi === undefined ? `>= ${lo}` : `between ${lo} and ${hi}`;
      throw new FioOptionError('out-of-range', typed, text, `--${typed} must be ${want} (got '${text}')`);
    }
    return n;
  };
  switch (spec.type) {
    case 'str':
      return text;
    case 'bool':
      return parseBool(text, typed);
    case 'int':
      return range(parseInteger(text, typed));
    case 'time':
      return range(parseTime(text, typed, spec.unit ?? 's'));
    case 'bs':
      return parseBlockSize(text, typed);
    case 'size': {
      const n = range(parseSize(text, typed));
      if (spec.pow2 && !Number.isInteger(Math.log2(n))) {
        throw new FioOptionError('out-of-range', typed, text, `--${typed} must be a power of two (got '${text}')`);
      }
      return n;
    }
    case 'enum': {
      const v = spec.values!.find((x) => x === text.trim().toLowerCase());
      if (v === undefined) {
        throw new FioOptionError('bad-enum', typed, text,
          `--${typed}: '${text}' is not one of: ${spec.values!.join(', ')}`);
      }
      return v;
    }
  }
}

/** Set one option in a layer of explicitly given values. */
export function setOption(layer: Partial<JobOptions>, spec: OptionSpec, text: string, typed?: string): void {
  (layer as Record<string, unknown>)[spec.key] = parseOptionValue(spec, text, typed);
}

/** Defaults, then each layer in order (later wins), then derived defaults. */
export function resolveOptions(...layers: Array<Partial<JobOptions>>): JobOptions {
  const merged: Record<string, unknown> = Object.assign({}, ...layers);
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS) if (typeof o.def !== 'function') out[o.key] = merged[o.key] ?? o.def;
  for (const o of OPTIONS) {
    if (typeof o.def === 'function') out[o.key] = merged[o.key] ?? (o.def as (j: JobOptions) => unknown)(out as unknown as JobOptions);
  }
  return out as unknown as JobOptions;
}

/** The run-wide part of a layer (options of 'global' or 'cli' scope). */
export function runWide(layer: Partial<JobOptions>): Partial<JobOptions> {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS) if (o.scope !== 'job' && o.key in layer) out[o.key] = layer[o.key];
  return out as Partial<JobOptions>;
}

export interface ParsedArgs {
  /** Resolved global options (defaults + command-line globals). */
  global: JobOptions;
  /** Jobs defined on the command line with --name, each resolved over the globals. */
  jobs: JobOptions[];
  /** Non-option arguments: job files. */
  positional: string[];
  /** Only the options given as globals, to lay under a job file (see jobfile.ts). */
  globalSet: Partial<JobOptions>;
  /** --help / -h was given. */
  help: boolean;
  /** --cmdhelp[=name] was given ('all' when bare). */
  cmdhelp?: string;
}

/**
 * fio's command line: options before the first --name are global, each
 * --name starts a job that takes the options after it. Run-wide options
 * ('global'/'cli' scope) always land in the globals. Accepts --opt=value,
 * --opt value, and bare --flag for booleans; `--` ends option parsing.
 */
export function parseArgs(argv: string[]): ParsedArgs {
  const globalSet: Partial<JobOptions> = {};
  const jobLayers: Array<Partial<JobOptions>> = [];
  let current = globalSet;
  const positional: string[] = [];
  let help = false;
  let cmdhelp: string | undefined;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const typed = (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--?/, '');
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (norm(typed) === 'cmdhelp') {
      if (value === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) value = argv[++i];
      cmdhelp = value || 'all';
      continue;
    }
    const spec = arg.startsWith('--') ? findOption(typed) : undefined;
    if (!spec) throw unknownOption(typed, arg, eq < 0 ? arg : arg.slice(0, eq));
    if (value === undefined) {
      if (spec.type === 'bool') value = '1';
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
    }
    if (value === undefined || (value === '' && spec.type !== 'bool')) {
      throw new FioOptionError('missing-value', typed, '', `--${typed} requires a value`);
    }
    if (spec.key === 'name') {
      if (value === 'global') current = globalSet;
      else jobLayers.push((current = { name: value }));
      continue;
    }
    setOption(spec.scope === 'job' ? current : globalSet, spec, value, typed);
  }

  return {
    global: resolveOptions(globalSet),
    jobs: jobLayers.map((layer) => resolveOptions(globalSet, layer)),
    positional,
    globalSet,
    help,
    ...(cmdhelp !== undefined ? { cmdhelp } : {}),
  };
}

function defaultText(o: OptionSpec): string {
  if (o.defText) return o.defText;
  const d = o.def;
  if (o.type === 'bs') return formatBlockSize(d as BlockSize);
  if (o.type === 'size') return formatSize(d as number);
  if (o.type === 'time') return `${o.unit === 'ms' ? (d as number) : (d as number) / 1000}${o.unit ?? 's'}`;
  if (o.type === 'bool') return d ? '1' : '0';
  return d === '' ? 'none' : String(d);
}

const TYPE_HINT: Record<OptionType, string> = {
  str: 'str', int: 'int', bool: '', size: 'size', time: 'time', enum: '', bs: 'bs',
};

const TYPE_HELP: Record<OptionType, string> = {
  str: 'string (opt=bla)',
  int: 'integer value with optional k/m/g postfix (opt=100)',
  bool: 'empty or boolean value ([0|1])',
  size: 'size with optional k/m/g/t/p postfix, base 1024 (opt=4k)',
  time: 'time with optional us/ms/s/m/h/d postfix (opt=10s)',
  enum: 'one of a list of words (opt=bla)',
  bs: 'size, size range (4k-64k) or split (4k/50:64k/50)',
};

const CATEGORY_TITLE: Record<OptionSpec['category'], string> = {
  job: 'Job options', io: 'I/O options', allocator: 'Allocator options', output: 'Output options (command line only)',
};

/** `iova fio --help`, generated from the table. */
export function helpText(): string {
  const lines = ['Usage: iova fio [options] [jobfile]...', '',
    'A fio-like load generator whose I/Os are IOVA map/unmap calls.',
    'Options before the first --name are global; each --name starts a job.'];
  for (const cat of Object.keys(CATEGORY_TITLE) as Array<OptionSpec['category']>) {
    lines.push('', `${CATEGORY_TITLE[cat]}:`);
    for (const o of OPTIONS.filter((x) => x.category === cat)) {
      const hint = o.type === 'enum' ? o.values!.join('|') : TYPE_HINT[o.type];
      const left = `  --${o.name}${hint ? `=${hint}` : ''}`;
      const details = [`default: ${defaultText(o)}`];
      if (o.min !== undefined && o.max !== undefined) details.push(`range: ${o.min}-${o.max}`);
      else if (o.min !== undefined && o.min > 0) details.push(`min: ${o.min}`);
      const text = `${o.help} (${details.join(', ')})`;
      // Long enum lists push the text to its own line rather than out of the column.
      lines.push(left.length < 40 ? `${left.padEnd(40)} ${text}` : `${left}\n${' '.repeat(41)}${text}`);
    }
  }
  lines.push('', '  --help                                   This text',
    '  --cmdhelp=option                         Details of one option (all: every option)');
  return lines.join('\n') + '\n';
}

/** fio's --cmdhelp: one option in detail ("all": all of them); suggests a near name when unknown. */
export function cmdHelp(name: string = 'all'): string {
  const one = (o: OptionSpec): string => {
    const out = [`${o.name.padStart(20)}: ${o.help}`];
    if (o.alias) out.push(`${'alias'.padStart(20)}: ${o.alias.join(', ')}`);
    out.push(`${'type'.padStart(20)}: ${TYPE_HELP[o.type]}`);
    out.push(`${'default'.padStart(20)}: ${defaultText(o)}`);
    if (o.min !== undefined || o.max !== undefined) {
      out.push(`${'range'.padStart(20)}: min=${o.min ?? 0}${o.max !== undefined ? `, max=${o.max}` : ''}`);
    }
    if (o.pow2) out.push(`${'valid'.padStart(20)}: power of two`);
    if (o.scope !== 'job') out.push(`${'scope'.padStart(20)}: ${o.scope === 'cli' ? 'command line only' : 'whole run ([global] only in job files)'}`);
    o.values?.forEach((v, i) => out.push(`${(i === 0 ? 'valid values' : '').padStart(20)}: ${v}`));
    return out.join('\n') + '\n';
  };
  if (name === 'all') return OPTIONS.map(one).join('\n');
  const o = findOption(name);
  if (o) return one(o);
  const near = nearestOption(name);
  return `No such command: ${name}` + (near ? ` - showing closest match\n${one(findOption(near)!)}` : '\n');
}
