// Help generated from the option table: a command's --help, fio's
// --cmdhelp, and the option lists of the docs (docs/fio.md, docs/aging.md
// hold them between markers; test/options-table.test.ts checks they match).

import { editDistance } from '../load/values.js';
import { type Category, type OptionRow, type OptionType, boundText } from './row.js';
import { type Command, findRow, normName, rowsOf } from './table.js';

const TYPE_HINT: Record<OptionType, string> = {
  str: 'str', int: 'int', float: 'N', bool: '', flag: '', size: 'size', time: 'time', enum: '', bs: 'bs',
  list: 'a,b', floatlist: 'list', cpulist: 'cpus', kv: 'NAME=V', ignored: '',
};

const TYPE_HELP: Record<OptionType, string> = {
  str: 'string (opt=bla)',
  int: 'integer value with optional k/m/g postfix (opt=100)',
  float: 'decimal number (opt=0.5)',
  bool: 'empty or boolean value ([0|1])',
  flag: 'no value',
  size: 'size with optional k/m/g/t/p postfix, base 1024 (opt=4k)',
  time: 'time with optional us/ms/s/m/h/d postfix (opt=10s)',
  enum: 'one of a list of words (opt=bla)',
  bs: 'size, size range (4k-64k) or split (4k/50:64k/50)',
  list: 'comma-separated words (opt=a,b)',
  floatlist: 'colon-separated numbers (opt=50:99)',
  cpulist: 'CPUs and ranges (opt=0-3,8)',
  kv: 'NAME=NUMBER',
  ignored: 'any (accepted and ignored)',
};

const CATEGORY_TITLE: Record<Category, string> = {
  job: 'Job options', io: 'I/O options', allocator: 'Allocator options (one domain per run)',
  device: 'Device model options (one per run)', report: 'Report options',
  output: 'Output options (command line only)', study: 'Study options', command: 'Commands', 'fio-ignored': '',
};

/** How the default reads; undefined when the row has none to show (a switch, a value that is only ever given). */
export function defaultText(r: OptionRow): string | undefined {
  if (r.defHelp) return r.defHelp;
  if (r.type === 'flag') return r.def === undefined || r.def === '0' ? undefined : r.def;
  if (r.def === undefined) return undefined;
  if (r.def === '') return 'none';
  return r.def;
}

function rangeText(r: OptionRow): string | undefined {
  if (r.type === 'enum' || r.type === 'list') return undefined;
  const lo = r.above !== undefined ? `>${boundText(r, r.above)}` : r.min !== undefined ? boundText(r, r.min) : undefined;
  if (lo !== undefined && r.max !== undefined) return `${lo}-${boundText(r, r.max)}`;
  if (lo !== undefined && (r.above !== undefined || (r.min ?? 0) > 0)) return `min ${lo}`;
  if (r.max !== undefined) return `max ${boundText(r, r.max)}`;
  return undefined;
}

/** The rows a command's help lists (fio's ignored names are listed only by --cmdhelp=all). */
const listed = (c: Command): OptionRow[] => rowsOf(c).filter((r) => r.category !== 'fio-ignored');

/** `--help` of a command: its rows by category, with default and range. */
export function commandHelp(command: Command, intro: readonly string[]): string {
  const lines = [...intro];
  const rows = listed(command);
  for (const cat of Object.keys(CATEGORY_TITLE) as Category[]) {
    const of = rows.filter((r) => r.category === cat);
    if (of.length === 0) continue;
    lines.push('', `${CATEGORY_TITLE[cat]}:`);
    for (const r of of) {
      const hint = r.type === 'enum' ? r.values!.join('|') : TYPE_HINT[r.type];
      const left = `  --${r.name}${hint ? `=${hint}` : ''}`;
      const def = r.category === 'command' ? undefined : defaultText(r);
      const details = def === undefined ? [] : [`default: ${def}`];
      const range = rangeText(r);
      if (range) details.push(`range: ${range}`);
      const text = details.length ? `${r.help} (${details.join(', ')})` : r.help;
      // Long enum lists push the text to its own line rather than out of the column.
      lines.push(left.length < 40 ? `${left.padEnd(40)} ${text}` : `${left}\n${' '.repeat(41)}${text}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The nearest option name, if near enough to be a plausible typo (fio's string_distance_ok). */
export function nearestName(command: Command, name: string): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const r of rowsOf(command)) {
    for (const n of [r.name, ...(r.alias ?? [])]) {
      const d = editDistance(normName(name), normName(n));
      if (d < bestDist) [best, bestDist] = [r.name, d];
    }
  }
  return bestDist <= Math.floor((name.length + 1) / 2) ? best : undefined;
}

const SCOPE_TEXT = { cli: 'command line only', global: 'whole run ([global] only in job files)' } as const;

/** fio's --cmdhelp: one option in detail ("all": every one); suggests a near name when unknown. */
export function cmdHelp(command: Command, name: string = 'all'): string {
  const one = (r: OptionRow): string => {
    const out = [`${r.name.padStart(20)}: ${r.help}`];
    if (r.alias?.length) out.push(`${'alias'.padStart(20)}: ${r.alias.join(', ')}`);
    out.push(`${'type'.padStart(20)}: ${TYPE_HELP[r.type]}`);
    if (Array.isArray(r.lands)) out.push(`${'directions'.padStart(20)}: one value, or read,write`);
    const def = defaultText(r);
    if (def !== undefined) out.push(`${'default'.padStart(20)}: ${def}`);
    // fio's layout: "range: min=0, max=100".
    if (r.type !== 'enum' && r.type !== 'list' && (r.min !== undefined || r.max !== undefined || r.above !== undefined)) {
      const lo = r.above !== undefined ? `min>${boundText(r, r.above)}` : `min=${boundText(r, r.min ?? 0)}`;
      out.push(`${'range'.padStart(20)}: ${lo}${r.max !== undefined ? `, max=${boundText(r, r.max)}` : ''}`);
    }
    if (r.pow2) out.push(`${'valid'.padStart(20)}: power of two`);
    if (r.scope === 'cli' || r.scope === 'global') out.push(`${'scope'.padStart(20)}: ${SCOPE_TEXT[r.scope]}`);
    if (command === 'fio' && r.category !== 'fio-ignored' && !r.takers.includes('model')) {
      out.push(`${'clock'.padStart(20)}: real only (--clock=virtual refuses it)`);
    }
    r.values?.forEach((v, i) => out.push(`${(i === 0 ? 'valid values' : '').padStart(20)}: ${v}`));
    return `${out.join('\n')}\n`;
  };
  if (name === 'all') return rowsOf(command).map(one).join('\n');
  const r = findRow(command, name);
  if (r) return one(r);
  const near = nearestName(command, name);
  return `No such command: ${name}` + (near ? ` - showing closest match\n${one(findRow(command, near)!)}` : '\n');
}

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|');

/** The option list of a command's doc page, as markdown tables by category. */
export function markdownOptions(command: Command): string {
  const rows = listed(command);
  const out: string[] = [];
  for (const cat of Object.keys(CATEGORY_TITLE) as Category[]) {
    const of = rows.filter((r) => r.category === cat);
    if (of.length === 0) continue;
    out.push(`### ${CATEGORY_TITLE[cat]}`, '', '| option | default | range | meaning |', '|---|---|---|---|');
    for (const r of of) {
      const hint = r.type === 'enum' ? r.values!.join('\\|') : TYPE_HINT[r.type].toUpperCase();
      const alias = r.alias?.length ? ` (${r.alias.map((a) => `\`${a}\``).join(', ')})` : '';
      const real = command === 'fio' && !r.takers.includes('model') ? ' (real clock only)' : '';
      out.push(`| \`--${r.name}${hint ? `=${hint}` : ''}\`${alias} | ${r.category === 'command' ? '' : mdEscape(defaultText(r) ?? '')} | ` +
        `${mdEscape(rangeText(r) ?? '')} | ${mdEscape(r.help)}${real} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

export const DOC_BEGIN = '<!-- options:begin (generated from src/options/table.ts: npm run docs:options) -->';
export const DOC_END = '<!-- options:end -->';

/** `doc` with the text between the markers replaced by `body`. */
export function spliceDoc(doc: string, body: string): string {
  const a = doc.indexOf(DOC_BEGIN);
  const b = doc.indexOf(DOC_END);
  if (a < 0 || b < a) throw new Error('option markers not found');
  return `${doc.slice(0, a + DOC_BEGIN.length)}\n\n${body}\n${doc.slice(b)}`;
}

/** The doc pages whose option lists come from the table. */
export const OPTION_DOCS: ReadonlyArray<{ path: string; command: Command }> = [
  { path: 'docs/fio.md', command: 'fio' },
  { path: 'docs/aging.md', command: 'study' },
];
