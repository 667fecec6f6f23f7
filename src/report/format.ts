// Human-readable numbers shared by the SVG axes, the HTML table and the
// terminal table, so every view prints the same text for the same value.

const UNITS: Array<[number, string]> = [
  [1, ""],
  [1e3, "K"],
  [1e6, "M"],
  [1e9, "G"],
  [1e12, "T"],
];

/** Up to 3 significant digits, trailing zeros dropped: 1.2345 -> "1.23". */
function sig3(v: number): string {
  const abs = Math.abs(v);
  if (abs < 1) return String(Number(v.toPrecision(3)));
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return String(Number(v.toFixed(decimals)));
}

/** 1200 -> "1.2K", 3.4e6 -> "3.4M", 0.25 -> "0.25"; non-finite -> "-". */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return "-";
  // Smallest unit whose *rounded* mantissa stays below 1000, so 999.7 prints
  // "1K" and 999_960 prints "1M" rather than "1000" / "1000K".
  for (const [scale, suffix] of UNITS) {
    const s = sig3(v / scale);
    if (Math.abs(Number(s)) < 1000 || suffix === "T") return s + suffix;
  }
  return String(v); // unreachable: the "T" unit always returns
}

/** Seconds as 45s, 1m30s, 1h20m, 2d3h (two largest units); < 1 s as ms. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "-";
  if (s < 0) return "-" + formatSeconds(-s);
  if (s === 0) return "0s";
  if (s < 1) return `${Number((s * 1000).toPrecision(3))}ms`;
  const secs = Number(s.toFixed(s < 10 ? 2 : 1));
  if (secs < 60) return `${secs}s`;
  const parts: Array<[number, string]> = [
    [86400, "d"],
    [3600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  let rest = Math.round(s);
  const out: string[] = [];
  for (const [size, unit] of parts) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || out.length > 0) out.push(n > 0 ? `${n}${unit}` : "");
    if (out.length === 2) break;
  }
  return out.join("") || "0s";
}
