// The options of `iova fio` as one job sees them (JobOptions: where the
// table's fio rows land, fio's struct thread_options), and fio's command
// line: globals, then one section per --name. Every option is a row of
// src/options/table.ts; this file adds no option of its own.

import type { BlockSize } from '../load/values.js';
import { readOption, setRow, unknownOption as unknownIn } from '../options/argv.js';
import { FioOptionError } from '../load/option-error.js';
import { cmdHelp as cmdHelpOf, commandHelp, nearestName } from '../options/help.js';
import { defaultsOf } from '../options/defaults.js';
import { type OptionRow, valueText } from '../options/row.js';
import { RW_MODES, findRow, rowsOf } from '../options/table.js';
import type { DepotPolicy } from '../domain/policy.js';
import type { KernelEra } from '../domain/era.js';

export type { BlockSize } from '../load/values.js';
export { RW_MODES } from '../options/table.js';
export type RwMode = (typeof RW_MODES)[number];
export type Policy = DepotPolicy;

/** Fully resolved options of one job (or of the global section). Times are in ms, rates per second. */
export interface JobOptions {
  name: string;
  numjobs: number;
  iodepth: number;
  /** Block size of reads, and of writes (bs=r,w sets them apart). */
  bs: BlockSize;
  bsWrite: BlockSize;
  runtimeMs: number; // 0 = no time limit
  timeBased: boolean;
  rampTimeMs: number;
  size: number; // bytes per job; 0 = no size limit
  numberIos: number; // 0 = no count limit
  rw: RwMode;
  rwmixread: number;
  /** Caps per clone; 0 = none. */
  rateRead: number;
  rateWrite: number;
  rateIopsRead: number;
  rateIopsWrite: number;
  stonewall: boolean;
  newGroup: boolean;
  /** CPUs the job's clones may run as; [] = every CPU of the domain. */
  cpusAllowed: number[];
  cpusAllowedPolicy: 'shared' | 'split';
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
  deviceLatMs: number;
  deviceBw: number;
  iotlbLatMs: number;
  groupReporting: boolean;
  percentileList: number[];
  clatPercentiles: boolean;
  latPercentiles: boolean;
  outputFormat: 'normal' | 'json' | 'json+';
  output: string; // '' = stdout
  statusIntervalMs: number;
  eta: 'auto' | 'always' | 'never';
  help: boolean;
  cmdhelp: string;
  version: boolean;
  parseOnly: boolean;
  showcmd: boolean;
  /** fio options accepted with no meaning here: name -> value as given. */
  ignored: Record<string, string>;
}

/** The device model of a run: the part of the options the device and IOTLB costs come from. */
export type ModelOptions = Pick<JobOptions, 'deviceLatMs' | 'deviceBw' | 'iotlbLatMs'>;

/** The fio command's rows (both clocks), fio's accepted-and-ignored names included. */
export const FIO_OPTIONS: readonly OptionRow[] = rowsOf('fio');

export function findOption(name: string): OptionRow | undefined {
  return findRow('fio', name);
}

export function nearestOption(name: string): string | undefined {
  return nearestName('fio', name);
}

export function unknownOption(name: string, raw: string, shown?: string): FioOptionError {
  return unknownIn('fio', name, raw, shown);
}

/** Parses `text` with the row's grammar and lands it in a layer of explicitly given values. */
export function setOption(layer: Partial<JobOptions>, row: OptionRow, text: string, typed?: string): void {
  setRow(layer as Record<string, unknown>, row, text, typed);
}

/** Every fio row's default, landed: the defaults of JobOptions (cpus is derived, see resolveOptions). */
const DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({ ...defaultsOf(FIO_OPTIONS), ignored: {} });

export function modelDefaults(): ModelOptions {
  return { deviceLatMs: DEFAULTS.deviceLatMs as number, deviceBw: DEFAULTS.deviceBw as number, iotlbLatMs: DEFAULTS.iotlbLatMs as number };
}

export function modelOf(o: ModelOptions): ModelOptions {
  return { deviceLatMs: o.deviceLatMs, deviceBw: o.deviceBw, iotlbLatMs: o.iotlbLatMs };
}

/** Defaults, then each layer in order (later wins), then the derived defaults (row.derive); ignored names accumulate. */
export function resolveOptions(...layers: Array<Partial<JobOptions>>): JobOptions {
  const out: Record<string, unknown> = { ...DEFAULTS, ...Object.assign({}, ...layers) };
  out.ignored = Object.assign({}, ...layers.map((l) => l.ignored ?? {}));
  // Defaults that follow other options (cpus: one per clone; era: the policy's kernel).
  for (const r of FIO_OPTIONS) if (r.derive && typeof r.lands === 'string' && out[r.lands] === undefined) out[r.lands] = r.derive(out);
  return out as unknown as JobOptions;
}

/** The fields a row writes (its lands, or what its cb writes for the rows that have one). */
function fieldsOf(r: OptionRow): string[] {
  if (typeof r.lands === 'string') return [r.lands];
  if (Array.isArray(r.lands)) return [...r.lands];
  return [];
}

const RUN_WIDE_FIELDS = new Set(FIO_OPTIONS.filter((r) => r.scope === 'global' || r.scope === 'cli').flatMap(fieldsOf));

/** The run-wide part of a layer (options of 'global' or 'cli' scope). */
export function runWide(layer: Partial<JobOptions>): Partial<JobOptions> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(layer)) if (RUN_WIDE_FIELDS.has(k)) out[k] = v;
  return out as Partial<JobOptions>;
}

export interface ParsedArgs {
  /** Resolved global options (defaults + command-line globals). */
  global: JobOptions;
  /** Jobs defined on the command line with --name, each resolved over the globals. */
  jobs: JobOptions[];
  /** Non-option arguments: job files. */
  positional: string[];
  /** Only the options given as globals; they win over job files (see jobfile.ts). */
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

  for (let i = 0; i < argv.length;) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      i++;
      continue;
    }
    const { row, typed, value, next } = readOption('fio', argv, i);
    i = next;
    if (row.name === 'name') {
      if (value === 'global') current = globalSet;
      else jobLayers.push((current = { name: value }));
      continue;
    }
    setOption(row.scope === 'global' || row.scope === 'cli' ? globalSet : current, row, value, typed);
  }

  const global = resolveOptions(globalSet);
  return {
    global,
    jobs: jobLayers.map((layer) => resolveOptions(globalSet, layer)),
    positional,
    globalSet,
    help: global.help,
    ...(global.cmdhelp !== '' ? { cmdhelp: global.cmdhelp } : {}),
  };
}

/** `iova fio --help`, generated from the table. */
export function helpText(): string {
  return commandHelp('fio', [
    'Usage: iova fio [options] [jobfile]...', '',
    'A fio-like load generator whose I/Os are IOVA map/unmap calls.',
    'Options before the first --name are global; each --name starts a job.',
    'Every other fio option is accepted and ignored (--cmdhelp=all lists them).',
  ]);
}

/** fio's --cmdhelp: one option in detail ("all": all of them). */
export function cmdHelp(name: string = 'all'): string {
  return cmdHelpOf('fio', name);
}

/** The rows of a taker's record that `o` sets to something else than their default (by their text). */
export function changedRows(o: JobOptions, rows: readonly OptionRow[] = FIO_OPTIONS): Array<{ row: OptionRow; text: string }> {
  const rec = o as unknown as Record<string, unknown>;
  const out: Array<{ row: OptionRow; text: string }> = [];
  for (const r of rows) {
    if (r.lands === undefined || r.def === undefined) continue;
    const fields = typeof r.lands === 'string' ? [r.lands] : [...r.lands];
    const text = fields.map((f) => valueText(r, rec[f])).join(',');
    if (text !== fields.map((f) => valueText(r, DEFAULTS[f])).join(',')) out.push({ row: r, text });
  }
  return out;
}

/** Job options every JSON job shows, set or not (what a reader needs to read the figures). */
const ALWAYS_SHOWN = new Set(['rw', 'bs', 'iodepth', 'numjobs', 'completion', 'max_segment', 'dma32_first']);

/**
 * The options of a job as text in each row's grammar, for JSON's "job
 * options" (scope 'job': what differs from the default, ALWAYS_SHOWN, then
 * the ignored fio options as given) or "global options" (scope 'global':
 * every setting of the run's one domain and device model; `changedOnly`:
 * those that differ from the default).
 */
export function optionText(o: JobOptions, scope: 'job' | 'global', changedOnly = scope === 'job'): Record<string, string> {
  const out: Record<string, string> = {};
  const rec = o as unknown as Record<string, unknown>;
  for (const r of FIO_OPTIONS) {
    if ((r.scope ?? 'job') !== scope || r.lands === undefined || r.category === 'command' || r.name === 'name') continue;
    if (r.def === undefined) continue; // derived (cpus): the report's own figures say what it came to
    const pair = Array.isArray(r.lands);
    const fields = pair ? [...(r.lands as readonly string[])] : [r.lands as string];
    const text = fields.map((f) => (rec[f] === undefined ? '' : valueText(r, rec[f])));
    const def = fields.map((f) => (DEFAULTS[f] === undefined ? '' : valueText(r, DEFAULTS[f])));
    if (changedOnly && !(scope === 'job' && ALWAYS_SHOWN.has(r.name)) && text.join(',') === def.join(',')) continue;
    out[r.name] = pair && text[0] === text[1] ? text[0]! : text.join(',');
  }
  if (scope === 'job') Object.assign(out, o.ignored);
  return out;
}
