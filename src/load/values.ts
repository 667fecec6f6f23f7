// Value grammars shared by every option of a given type: sizes, times,
// integers, booleans and block sizes. Each parser names the option it parses
// for, so the error it throws already says which option was wrong.

import { FioOptionError } from './option-error.js';

export type BlockSize =
  | { kind: 'fixed'; bytes: number }
  | { kind: 'range'; min: number; max: number }
  | { kind: 'split'; entries: Array<{ bytes: number; percent: number }> };

const POW: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

// Number, then an optional unit: k|m|g|t|p with optional 'i' and/or 'b', or a
// lone 'b'. Case-insensitive like fio's __get_mult_bytes. Unlike fio with
// kb_base=1024 (where "KiB" perversely means 1000), every spelling is base 1024.
const SIZE_RE = /^(0x[0-9a-f]+|\d+(?:\.\d+)?|\.\d+)(?:([kmgtp])(i)?(b)?|(b))?$/i;

function fail(code: 'bad-value' | 'out-of-range', option: string, value: string, why: string): never {
  throw new FioOptionError(code, option, value, `--${option}: ${why} (got '${value}')`);
}

/** Bytes from "4k", "64KiB", "1M", "0x1000", "512". Base 1024. */
export function parseSize(text: string, option: string): number {
  const s = text.trim();
  if (s === '') fail('bad-value', option, text, 'empty size');
  if (/^[+-]/.test(s)) {
    if (s.startsWith('-')) fail('out-of-range', option, text, 'size must not be negative');
    return parseSize(s.slice(1), option);
  }
  const m = SIZE_RE.exec(s);
  if (!m) {
    const numPart = /^(0x[0-9a-f]+|[\d.]+)/i.exec(s)?.[0] ?? '';
    if (numPart === '' || (numPart.match(/\./g)?.length ?? 0) > 1 || numPart.endsWith('.')) {
      fail('bad-value', option, text, 'not a number');
    }
    fail('bad-value', option, text, `bad size suffix '${s.slice(numPart.length)}' (use k, m, g, t, p; optional i/b; base 1024)`);
  }
  const num = m[1]!.toLowerCase().startsWith('0x') ? parseInt(m[1]!, 16) : Number(m[1]);
  const bytes = num * 1024 ** POW[(m[2] ?? '').toLowerCase()]!;
  if (!Number.isInteger(bytes)) fail('bad-value', option, text, 'not a whole number of bytes');
  if (!Number.isSafeInteger(bytes)) fail('out-of-range', option, text, 'size too large');
  return bytes;
}

/** An integer; fio lets integer options take size suffixes too (iodepth=1k). */
export function parseInteger(text: string, option: string): number {
  const s = text.trim();
  if (s === '') fail('bad-value', option, text, 'empty number');
  const sign = s[0] === '-' ? -1 : 1;
  const body = s[0] === '-' || s[0] === '+' ? s.slice(1) : s;
  if (!/^(0x[0-9a-f]+|\d)/i.test(body)) fail('bad-value', option, text, 'not an integer');
  try {
    const n = parseSize(body, option);
    return n === 0 ? 0 : sign * n;
  } catch (e) {
    if (!(e instanceof FioOptionError)) throw e;
    // Report the text as typed (with its sign), and say "integer" not "bytes".
    const why = /whole number/.test(e.message) ? 'not an integer' : e.message.replace(/^--\S+: | \(got '.*'\)$/g, '');
    fail(e.code === 'out-of-range' ? 'out-of-range' : 'bad-value', option, text, why);
  }
}

const TIME_MS: Record<string, number> = {
  us: 0.001, usec: 0.001, ms: 1, msec: 1, s: 1000, sec: 1000,
  m: 60_000, min: 60_000, h: 3_600_000, hour: 3_600_000, d: 86_400_000, day: 86_400_000,
};

/** Milliseconds from "10", "10s", "500ms", "2m", "1h", "1.5s"; a bare number is in `defaultUnit`. */
export function parseTime(text: string, option: string, defaultUnit: 'ms' | 's'): number {
  const s = text.trim();
  if (s === '') fail('bad-value', option, text, 'empty time');
  const m = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)([a-z]*)$/i.exec(s);
  if (!m) fail('bad-value', option, text, 'not a time (use a number with optional us, ms, s, m, h, d)');
  const unit = m[3]!.toLowerCase();
  const mult = unit === '' ? TIME_MS[defaultUnit]! : TIME_MS[unit];
  if (mult === undefined) fail('bad-value', option, text, `bad time suffix '${m[3]}' (use us, ms, s, m, h, d)`);
  if (m[1] === '-' && Number(m[2]) !== 0) fail('out-of-range', option, text, 'must not be negative');
  return Number(m[2]) * mult;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

export function parseBool(text: string, option: string): boolean {
  const s = text.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  fail('bad-value', option, text, 'not a boolean (use 1/0, true/false, yes/no, on/off)');
}

function positiveSize(text: string, option: string): number {
  const n = parseSize(text, option);
  if (n === 0) fail('out-of-range', option, text, 'block size must be > 0');
  return n;
}

/**
 * One size ("4k"), a range ("4k-128k") or a split ("4k/50:64k/40:256k/10").
 * Split entries without a percentage share what is left, as fio's bssplit
 * does; the remainder of an uneven share goes to the last of them so the
 * total is exactly 100.
 */
export function parseBlockSize(text: string, option: string): BlockSize {
  try {
    return parseBlockSizeParts(text, option);
  } catch (e) {
    // A part failed: keep its message, but report the whole value as typed.
    if (!(e instanceof FioOptionError) || e.value === text) throw e;
    const message = e.message.replace(/\(got '(.*)'\)$/, `in '$1' (got '${text}')`);
    throw new FioOptionError(e.code, option, text, message);
  }
}

function parseBlockSizeParts(text: string, option: string): BlockSize {
  const s = text.trim();
  if (s.includes(':') || s.includes('/')) return parseSplit(s, text, option);
  const dash = s.indexOf('-', 1);
  if (dash > 0) {
    const min = positiveSize(s.slice(0, dash), option);
    const max = positiveSize(s.slice(dash + 1), option);
    if (min > max) fail('out-of-range', option, text, 'range minimum is larger than its maximum');
    return { kind: 'range', min, max };
  }
  return { kind: 'fixed', bytes: positiveSize(s, option) };
}

function parseSplit(s: string, text: string, option: string): BlockSize {
  const entries: Array<{ bytes: number; percent: number | undefined }> = [];
  for (const part of s.split(':')) {
    const [size, perc, ...rest] = part.split('/');
    if (rest.length > 0) fail('bad-value', option, text, `bad split entry '${part}'`);
    const bytes = positiveSize(size!, option);
    if (perc === undefined || perc.trim() === '') {
      entries.push({ bytes, percent: undefined });
      continue;
    }
    if (!/^\d+$/.test(perc.trim())) fail('bad-value', option, text, `bad split percentage '${perc}'`);
    const percent = Number(perc);
    if (percent > 100) fail('out-of-range', option, text, `split percentage ${percent} is over 100`);
    entries.push({ bytes, percent });
  }
  const given = entries.reduce((a, e) => a + (e.percent ?? 0), 0);
  const missing = entries.filter((e) => e.percent === undefined);
  const splitFail = (why: string): never => {
    throw new FioOptionError('bad-split', option, text, `--${option}: ${why} (got '${text}')`);
  };
  if (given > 100) splitFail(`split percentages add up to ${given}, more than 100`);
  if (missing.length === 0 && given !== 100) splitFail(`split percentages add up to ${given}, not 100`);
  const share = Math.floor((100 - given) / Math.max(1, missing.length));
  let left = 100 - given;
  const out = entries.map((e) => {
    if (e.percent !== undefined) return { bytes: e.bytes, percent: e.percent };
    const p = e === missing[missing.length - 1] ? left : share;
    left -= p;
    return { bytes: e.bytes, percent: p };
  });
  return { kind: 'split', entries: out };
}

/** Shortest exact spelling of a byte count: 4096 -> "4k", 1536 -> "1536". */
export function formatSize(bytes: number): string {
  const units = ['', 'k', 'm', 'g', 't', 'p'];
  let i = 0;
  while (i < units.length - 1 && bytes !== 0 && bytes % 1024 === 0) {
    bytes /= 1024;
    i++;
  }
  return `${bytes}${units[i]}`;
}

export function formatBlockSize(bs: BlockSize): string {
  switch (bs.kind) {
    case 'fixed':
      return formatSize(bs.bytes);
    case 'range':
      return `${formatSize(bs.min)}-${formatSize(bs.max)}`;
    case 'split':
      return bs.entries.map((e) => `${formatSize(e.bytes)}/${e.percent}`).join(':');
  }
}

/** Levenshtein distance, as fio's string_distance() uses for suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, sub);
    }
    prev = cur;
  }
  return prev[b.length]!;
}
