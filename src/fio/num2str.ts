// fio's number -> short string conversions (lib/num2str.c), reproduced with
// their rounding quirks so our numbers read exactly like fio's.

export type N2sUnit = '' | '/s' | 'B' | 'bit' | 'B/s' | 'bit/s';

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const IEC = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * fio 3.x num2str(): at most `maxlen` digits (a '.' counts), dividing by
 * 1000 (SI) or 1024 (pow2, IEC) as needed; `base` says what one unit of
 * `num` already is (1, or 1024 for KiB). Only the last division's remainder
 * becomes decimals ("carry rounding error" in fio's words).
 */
export function num2str(num: number, maxlen: number, base: number, pow2: boolean, unit: N2sUnit): string {
  const thousand = pow2 ? 1024 : 1000;
  const prefix = pow2 ? IEC : SI;
  let post = 0;
  for (; base > 1; post++) base = Math.floor(base / thousand);
  let n = Math.floor(unit === 'bit' || unit === 'bit/s' ? num * 8 : num);
  let modulo = -1;
  let carry = false;
  while (post < prefix.length) {
    if (String(n).length <= maxlen) break;
    modulo = n % thousand;
    n = Math.floor(n / thousand);
    carry = modulo >= thousand / 2;
    post++;
  }
  if (post >= prefix.length) post = 0;
  if (modulo === -1) return `${n}${prefix[post]}${unit}`;
  const room = maxlen - String(n).length;
  if (room <= 1) return `${carry ? n + 1 : n}${prefix[post]}${unit}`;
  const frac = cFixed(modulo / thousand, room - 1); // "0.xx", or "1.00" after rounding up
  if (frac[0] === '1') n++;
  return `${n}.${frac.slice(2)}${prefix[post]}${unit}`;
}

/**
 * C's "%.Pf". JS toFixed() rounds an exact tie (0.125 -> "0.13") up, glibc
 * rounds it to even ("0.12"); everything else agrees, so only exact ties of
 * the double are detected (exactly, via its bits) and rounded to even.
 */
export function cFixed(x: number, precision: number): string {
  if (!Number.isFinite(x) || x < 0) return x < 0 ? `-${cFixed(-x, precision)}` : String(x);
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const bits = dv.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e = -1074;
  if (expBits !== 0) {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  // x * 10^p * 2 = mant * 10^p * 2^(e+1); a tie when that is an odd integer.
  const v = mant * 10n ** BigInt(precision);
  const k = e + 1;
  if (k < 0) {
    const d = 1n << BigInt(-k);
    if (v % d === 0n && (v / d) % 2n === 1n) {
      const twice = v / d; // 2q + 1
      let q = (twice - 1n) / 2n;
      if (q % 2n === 1n) q += 1n;
      const digits = q.toString().padStart(precision + 1, '0');
      return precision === 0 ? digits : `${digits.slice(0, -precision)}.${digits.slice(-precision)}`;
    }
  }
  return x.toFixed(precision);
}

/** C's "%W.Pf". */
export function fmtFixed(v: number, width: number, precision: number): string {
  return cFixed(v, precision).padStart(width);
}
