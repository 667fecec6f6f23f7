// Options of the runner's cost model: the modelled device and IOTLB. They
// are run-wide (one device model per run) and live here rather than in the
// job option table (src/fio/options.ts), whose JobOptions shape other code
// and tests pin down. Same grammar and typed errors as the table's options:
// each spec is an OptionSpec parsed by parseOptionValue. They are taken out
// of the command line and of job files' [global] sections before those go
// to parseArgs / parseJobFile.
import { FioJobFileError, FioOptionError } from '../errors.js';
import { parseOptionValue, type JobOptions, type OptionSpec } from '../options.js';
import { formatSize } from '../values.js';

export interface ModelOptions {
  /** Device latency of every I/O before its transfer, ms. */
  deviceLatMs: number;
  /** Device transfer rate, bytes per second. */
  deviceBw: number;
  /** One IOTLB invalidation, ms: per unmap when strict, per domain flush when not. */
  iotlbLatMs: number;
}

export const MODEL_DEFAULTS: Readonly<ModelOptions> = Object.freeze({
  deviceLatMs: 0.02,
  deviceBw: 2 * 1024 ** 3,
  iotlbLatMs: 0.002,
});

type ModelSpec = OptionSpec & { model: keyof ModelOptions };

// `key` is required by OptionSpec but unused here (values land in ModelOptions).
const unusedKey = 'name' as keyof JobOptions;

export const MODEL_OPTIONS: readonly ModelSpec[] = [
  { name: 'device_lat', model: 'deviceLatMs', key: unusedKey, type: 'time', category: 'allocator', scope: 'global',
    def: MODEL_DEFAULTS.deviceLatMs, defText: '20us', unit: 'ms', min: 0,
    help: 'Modelled device latency of each I/O, before its transfer time (bare number: ms)' },
  { name: 'device_bw', model: 'deviceBw', key: unusedKey, type: 'size', category: 'allocator', scope: 'global',
    def: MODEL_DEFAULTS.deviceBw, min: 1,
    help: 'Modelled device transfer rate, bytes per second: an I/O completes device_lat + bytes / device_bw after it is mapped' },
  { name: 'iotlb_lat', model: 'iotlbLatMs', key: unusedKey, type: 'time', category: 'allocator', scope: 'global',
    def: MODEL_DEFAULTS.iotlbLatMs, defText: '2us', unit: 'ms', min: 0,
    help: 'Modelled IOTLB invalidation: one per unmap when strict, one per domain flush when not (bare number: ms)' },
];

const norm = (name: string): string => name.toLowerCase().replace(/-/g, '_');

export function findModelOption(name: string): ModelSpec | undefined {
  const n = norm(name.replace(/^--?/, ''));
  return MODEL_OPTIONS.find((o) => o.name === n);
}

/**
 * Takes the model options out of a command line (--opt=value or --opt value;
 * '-' and '_' alike; nothing after `--`). Returns the rest for parseArgs.
 */
export function extractModelArgs(argv: readonly string[]): { argv: string[]; set: Partial<ModelOptions> } {
  const rest: string[] = [];
  const set: Partial<ModelOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf('=');
    const spec = arg.startsWith('--') ? findModelOption(eq < 0 ? arg : arg.slice(0, eq)) : undefined;
    if (!spec) {
      rest.push(arg);
      continue;
    }
    const typed = (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--/, '');
    let value = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!;
    if (value === undefined || value === '') throw new FioOptionError('missing-value', typed, '', `--${typed} requires a value`);
    set[spec.model] = parseOptionValue(spec, value, typed) as number;
  }
  return { argv: rest, set };
}

/**
 * Takes the model options out of a job file's text. They may only appear in
 * [global]; each line taken is replaced by a comment so that line numbers
 * in later errors stay right.
 */
export function extractModelLines(text: string, file: string): { text: string; set: Partial<ModelOptions> } {
  const set: Partial<ModelOptions> = {};
  let inGlobal = false;
  const lines = text.split(/\r?\n/).map((raw, idx) => {
    const line = raw.trim();
    const head = /^\[(.*)\]$/.exec(line);
    if (head) {
      inGlobal = head[1]!.trim() === 'global';
      return raw;
    }
    if (/^([;#]|$)/.test(line)) return raw;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const spec = findModelOption(key);
    if (!spec) return raw;
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    const err = (reason: string, cause?: unknown): FioJobFileError =>
      new FioJobFileError(file, idx + 1, raw, reason, { option: key, value, cause });
    if (!inGlobal) throw err(`option '${key}' applies to the whole run; set it in [global]`);
    if (value === '') throw err(`option '${key}' requires a value`);
    try {
      set[spec.model] = parseOptionValue(spec, value, key) as number;
    } catch (e) {
      if (e instanceof FioOptionError) throw err(e.message, e);
      throw e;
    }
    return `; ${raw}`;
  });
  return { text: lines.join('\n'), set };
}

/** The help section of these options, in helpText()'s layout. */
export function modelHelp(): string {
  const lines = ['Device model options (whole run; [global] only in job files):'];
  for (const o of MODEL_OPTIONS) {
    const left = `  --${o.name}=${o.type}`;
    const def = o.defText ?? (o.type === 'size' ? formatSize(o.def as number) : String(o.def));
    lines.push(`${left.padEnd(40)} ${o.help} (default: ${def})`);
  }
  return `${lines.join('\n')}\n`;
}

/** --cmdhelp for one of these options, in cmdHelp()'s layout; undefined if `name` is not one. */
export function modelCmdHelp(name: string): string | undefined {
  const o = findModelOption(name);
  if (!o) return undefined;
  const def = o.defText ?? (o.type === 'size' ? formatSize(o.def as number) : String(o.def));
  return [
    `${o.name.padStart(20)}: ${o.help}`,
    `${'type'.padStart(20)}: ${o.type === 'time' ? 'time with optional us/ms/s/m/h/d postfix (opt=10s)' : 'size with optional k/m/g/t/p postfix, base 1024 (opt=4k)'}`,
    `${'default'.padStart(20)}: ${def}`,
    `${'range'.padStart(20)}: min=${o.min ?? 0}`,
    `${'scope'.padStart(20)}: whole run ([global] only in job files)`,
  ].join('\n') + '\n';
}

/** The model options as JSON's "global options" text. */
export function modelOptionText(m: ModelOptions): Record<string, string> {
  const us = (ms: number): string => `${+(ms * 1000).toFixed(3)}us`;
  return { device_lat: us(m.deviceLatMs), device_bw: formatSize(m.deviceBw), iotlb_lat: us(m.iotlbLatMs) };
}
