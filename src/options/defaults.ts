// Each row's default, parsed from its text and landed where the row says:
// the defaults of a command's record come from the table, nowhere else.

import { type OptionRow, defaultValue, landValue } from './row.js';
import { rowsOf } from './table.js';

export function defaultsOf(rows: readonly OptionRow[]): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (const r of rows) if (r.def !== undefined) landValue(r, d, defaultValue(r), r.def);
  return d;
}

/** The study's defaults (`iova aging`), by field. */
export function studyDefaults(): Record<string, unknown> {
  return defaultsOf(rowsOf('study'));
}
