// One row of the option table (table.ts), in the manner of fio's
// `struct fio_option`: name, type, range, default (as text, parsed by the
// row's own grammar), help, where the value lands and who takes it. The
// grammar of each type is here, so the command line, job files, defaults and
// range checks all go through one function: parseRowValue.

import { FioOptionError } from '../load/option-error.js';
import {
  type BlockSize,
  formatBlockSize,
  formatSize,
  parseBlockSize,
  parseBool,
  parseInteger,
  parseSize,
  parseTime,
} from '../load/values.js';

/**
 * Value grammars. int: integer with optional k/m/g suffix (fio's
 * FIO_OPT_INT); float: a plain decimal number; bool: 1/0, yes/no... (a bare
 * name means 1); flag: a bare name, no value (the study's switches); size:
 * bytes with k/m/g/t/p, base 1024; time: us/ms/s/m/h/d (value in ms); enum:
 * one word of `values`; bs: a block size, range or split; list: comma list
 * of `values` words; floatlist: colon list of numbers (percentile_list);
 * cpulist: CPUs and ranges, "0-3,8" (fio's cpus_allowed), sorted; kv:
 * NAME=NUMBER with NAME one of `values`; ignored: a fio option with no
 * meaning here, kept as text.
 */
export type OptionType =
  | 'str' | 'int' | 'float' | 'bool' | 'flag' | 'size' | 'time' | 'enum' | 'bs' | 'list' | 'floatlist' | 'cpulist' | 'kv'
  | 'ignored';

/**
 * Who takes an option. fio: `iova fio` on the real clock; model: `iova fio
 * --clock=virtual` (the discrete-event model of src/sim/); study: `iova aging`.
 */
export type Taker = 'fio' | 'model' | 'study';

export type Category =
  | 'job' | 'io' | 'allocator' | 'device' | 'report' | 'output' | 'command' | 'study' | 'fio-ignored';

/** Where a fio option may be set: anywhere; only in [global] (one allocator per run); only on the command line. */
export type OptionScope = 'job' | 'global' | 'cli';

export interface OptionRow {
  name: string;
  alias?: readonly string[];
  type: OptionType;
  help: string;
  category: Category;
  takers: readonly Taker[];
  /**
   * The field the value lands in (fio's off1) of the taker's record: JobOptions
   * for fio and model, the study's options for study. A pair is fio's
   * off1/off2: a per-direction option ("4k,64k": reads, writes; one value
   * sets both). Absent when `cb` places the value.
   */
  lands?: string | readonly [string, string];
  /** fio's .cb: places a value that does not simply land in one field. `text` is the value as given. */
  cb?: (into: Record<string, unknown>, value: unknown, text: string) => void;
  /** Default, as text in the row's own grammar. Absent: unset (see defHelp). */
  def?: string;
  /** How the default reads in help when it is derived from other options. */
  defHelp?: string;
  /** A default that follows other options of the same record (no def then): cpus from numjobs, era from policy. */
  derive?: (resolved: Record<string, unknown>) => unknown;
  /** Range, in the value's unit: bytes (size, bs), ms (time), the number itself otherwise. */
  min?: number;
  max?: number;
  /** The value must be greater than this (an open lower bound). */
  above?: number;
  values?: readonly string[];
  /** Unit of a bare number, for time. */
  unit?: 'ms' | 's';
  pow2?: boolean;
  /** fio only: where the option may be set (default 'job'). */
  scope?: OptionScope;
}

/** How a bound reads in a message: in the row's own grammar. */
export function boundText(row: OptionRow, n: number): string {
  if (row.type === 'size' || row.type === 'bs') return formatSize(n);
  if (row.type === 'time') return msText(n);
  return String(n);
}

/** A time in its largest whole unit: 0, 20us, 10ms, 5s, 2m, 1h, 365d. */
export function msText(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, per] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (ms % per === 0) return `${ms / per}${unit}`;
  }
  return ms < 1 ? `${+(ms * 1000).toFixed(3)}us` : `${ms}ms`;
}

function checkRange(row: OptionRow, n: number, text: string, typed: string): number {
  const { min, max, above } = row;
  const low = (min !== undefined && n < min) || (above !== undefined && n <= above);
  if (low || (max !== undefined && n > max)) {
    const lo = above !== undefined ? `> ${boundText(row, above)}` : min !== undefined ? `>= ${boundText(row, min)}` : '';
    const want = max === undefined ? lo
      : min !== undefined && above === undefined ? `between ${boundText(row, min)} and ${boundText(row, max)}`
        : lo ? `${lo} and <= ${boundText(row, max)}` : `<= ${boundText(row, max)}`;
    throw new FioOptionError('out-of-range', typed, text, `--${typed} must be ${want} (got '${text}')`);
  }
  return n;
}

function parseFloatText(text: string, typed: string): number {
  const s = text.trim();
  const n = Number(s);
  if (s === '' || !/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(s) || !Number.isFinite(n)) {
    throw new FioOptionError('bad-value', typed, text, `--${typed}: not a number (got '${text}')`);
  }
  return n;
}

function parseEnum(row: OptionRow, word: string, text: string, typed: string): string {
  const v = row.values!.find((x) => x === word.trim().toLowerCase() || x === word.trim());
  if (v === undefined) {
    throw new FioOptionError('bad-enum', typed, text, `--${typed}: '${word}' is not one of: ${row.values!.join(', ')}`);
  }
  return v;
}

/** One value of the row's type (one direction of a per-direction option). */
function parseOne(row: OptionRow, text: string, typed: string): unknown {
  switch (row.type) {
    case 'str':
    case 'ignored':
      return text;
    case 'bool':
    case 'flag': // a flag takes no value on the command line; its default text still parses
      return parseBool(text, typed);
    case 'int': {
      const n = checkRange(row, parseInteger(text, typed), text, typed);
      if (!Number.isSafeInteger(n)) throw new FioOptionError('out-of-range', typed, text, `--${typed}: too large (got '${text}')`);
      return n;
    }
    case 'float':
      return checkRange(row, parseFloatText(text, typed), text, typed);
    case 'time': {
      return checkRange(row, parseTime(text, typed, row.unit ?? 's'), text, typed);
    }
    case 'size': {
      const n = checkRange(row, parseSize(text, typed), text, typed);
      if (row.pow2 && (n <= 0 || !Number.isInteger(Math.log2(n)))) {
        throw new FioOptionError('out-of-range', typed, text, `--${typed} must be a power of two (got '${text}')`);
      }
      return n;
    }
    case 'bs': {
      const bs = parseBlockSize(text, typed);
      const big = largest(bs);
      if (row.max !== undefined && big > row.max) {
        throw new FioOptionError('out-of-range', typed, text,
          `--${typed}: a block size must be at most ${formatSize(row.max)} (got '${text}')`);
      }
      return bs;
    }
    case 'enum':
      return parseEnum(row, text, text, typed);
    case 'list': {
      const parts = text.split(',').map((s) => s.trim());
      if (parts.some((p) => p === '')) throw new FioOptionError('bad-value', typed, text, `--${typed}: empty entry in list (got '${text}')`);
      return parts.map((p) => parseEnum(row, p, text, typed));
    }
    case 'floatlist': {
      const parts = text.split(':');
      return parts.map((p) => checkRange(row, parseFloatText(p, typed), text, typed));
    }
    case 'cpulist': {
      if (text.trim() === '') return []; // the default: every CPU
      const cpus = new Set<number>();
      for (const part of text.split(',')) {
        const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
        if (!m) throw new FioOptionError('bad-value', typed, text, `--${typed}: '${part}' is not a CPU or a range of CPUs (got '${text}')`);
        const lo = Number(m[1]);
        const hi = m[2] === undefined ? lo : Number(m[2]);
        if (hi < lo) throw new FioOptionError('bad-value', typed, text, `--${typed}: range ${part} runs backwards (got '${text}')`);
        checkRange(row, hi, text, typed);
        for (let c = lo; c <= hi; c++) cpus.add(c);
      }
      return [...cpus].sort((a, b) => a - b);
    }
    case 'kv': {
      const eq = text.indexOf('=');
      const key = text.slice(0, Math.max(0, eq)).trim();
      if (eq < 1 || !row.values!.includes(key)) {
        throw new FioOptionError('bad-value', typed, text,
          `--${typed}: expected NAME=VALUE with NAME one of ${row.values!.join(', ')} (got '${text}')`);
      }
      return [key, parseFloatText(text.slice(eq + 1), typed)];
    }
  }
}

/** The largest block a block size can produce (for its range check). */
function largest(bs: BlockSize): number {
  switch (bs.kind) {
    case 'fixed': return bs.bytes;
    case 'range': return bs.max;
    case 'split': return Math.max(...bs.entries.map((e) => e.bytes));
  }
}

/** Whether the row is fio's off1/off2 kind: one value per direction. */
export const perDirection = (row: OptionRow): boolean => Array.isArray(row.lands);

/**
 * Parses and range-checks `text` for `row`. A per-direction row gives
 * [read, write]: "a" sets both, "a,b" each, and an empty side ("a," or ",b")
 * leaves that side unset (undefined), as fio's off2 handling does.
 * `typed` is the name as the user wrote it, so messages name what was given.
 */
export function parseRowValue(row: OptionRow, text: string, typed: string = row.name): unknown {
  if (!perDirection(row)) return parseOne(row, text, typed);
  const parts = text.split(',');
  // fio takes a third (trim) value; there is no trim here, but it must still parse.
  if (parts.length > 3) throw new FioOptionError('bad-value', typed, text, `--${typed}: at most read,write,trim values (got '${text}')`);
  const vals = parts.map((p) => (p.trim() === '' ? undefined : parseOne(row, p.trim(), typed)));
  if (vals.every((v) => v === undefined)) throw new FioOptionError('missing-value', typed, text, `--${typed} requires a value`);
  return parts.length === 1 ? [vals[0], vals[0]] : [vals[0], vals[1]];
}

/** Puts a parsed value where the row says (its field, its pair of fields, or its cb). */
export function landValue(row: OptionRow, into: Record<string, unknown>, value: unknown, text: string): void {
  if (row.cb) row.cb(into, value, text);
  else if (Array.isArray(row.lands)) {
    const [r, w] = value as [unknown, unknown];
    if (r !== undefined) into[row.lands[0]] = r;
    if (w !== undefined) into[row.lands[1]] = w;
  } else if (typeof row.lands === 'string') into[row.lands] = value;
}

/** The row's default value, parsed from its text; undefined when it has none. */
export function defaultValue(row: OptionRow): unknown {
  return row.def === undefined ? undefined : parseRowValue(row, row.def, row.name);
}

/** A value back as text in the row's grammar (JSON "job options", --showcmd). */
export function valueText(row: OptionRow, v: unknown): string {
  switch (row.type) {
    case 'bool':
    case 'flag':
      return v ? '1' : '0';
    case 'size':
      return formatSize(v as number);
    case 'bs':
      return formatBlockSize(v as BlockSize);
    case 'time':
      return msText(v as number);
    case 'list':
      return (v as string[]).join(',');
    case 'floatlist':
      return (v as number[]).join(':');
    case 'cpulist':
      return (v as number[]).join(',');
    default:
      return String(v);
  }
}
