// Reading options off a command line, the same way for every command:
// --opt=value, --opt value, a bare --flag for booleans and switches; '-' and
// '_' alike. What a command does with the options (fio's --name sections,
// the study's single record) is the command's own.

import { FioOptionError } from '../load/option-error.js';
import { nearestName } from './help.js';
import { type OptionRow, landValue, parseRowValue } from './row.js';
import { type Command, findRow } from './table.js';

/** `shown` is the name as it appeared ("--iodeth" on the command line, "iodeth" in a job file). */
export function unknownOption(command: Command, name: string, raw: string, shown: string = `--${name}`): FioOptionError {
  const near = nearestName(command, name);
  const hint = near ? `; did you mean '--${near}'?` : '';
  return new FioOptionError('unknown-option', name, raw, `unknown option '${shown}'${hint}`);
}

export interface ReadOption {
  row: OptionRow;
  /** The name as the user typed it, without dashes (messages name it). */
  typed: string;
  /** The value text ('1' for a bare boolean or switch). */
  value: string;
  /** Index of the next argument. */
  next: number;
}

/** Reads the option at argv[i] (which starts with '-'). Throws FioOptionError for what it cannot read. */
export function readOption(command: Command, argv: readonly string[], i: number): ReadOption {
  const arg = argv[i]!;
  const eq = arg.indexOf('=');
  const typed = (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--?/, '');
  const single = !arg.startsWith('--');
  const row = findRow(command, typed);
  // A single dash takes only one-letter aliases (-h).
  if (!row || (single && !(row.alias ?? []).includes(typed))) throw unknownOption(command, typed, arg, eq < 0 ? arg : arg.slice(0, eq));
  let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
  let next = i + 1;
  if (row.type === 'flag') {
    if (value !== undefined) throw new FioOptionError('bad-value', typed, value, `--${typed} takes no value (got '${value}')`);
    return { row, typed, value: '1', next };
  }
  if (value === undefined) {
    const following = argv[i + 1];
    if (row.type === 'bool') value = '1';
    else if (row.name === 'cmdhelp') value = following !== undefined && !following.startsWith('-') ? argv[next++]! : 'all';
    else if (following !== undefined && !following.startsWith('--')) value = argv[next++]!;
  }
  if (value === undefined || (value.trim() === '' && row.type !== 'bool')) {
    throw new FioOptionError('missing-value', typed, '', `--${typed} requires a value`);
  }
  return { row, typed, value, next };
}

/** Parses `value` with the row's grammar and lands it in `into`. */
export function setRow(into: Record<string, unknown>, row: OptionRow, value: string, typed: string = row.name): void {
  landValue(row, into, parseRowValue(row, value, typed), value);
}

/**
 * A command line of a command without sections (the study): every option
 * lands in one record, positionals are refused. Only what was given is set.
 */
export function parseFlat(command: Command, argv: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length;) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') throw new FioOptionError('unknown-option', a, a, `unexpected argument '${a}'`);
    const r = readOption(command, argv, i);
    setRow(out, r.row, r.value, r.typed);
    i = r.next;
  }
  return out;
}
