// Min/max-preserving downsampling: a long run (days of 1 s samples) must not
// produce megabytes of SVG, but spikes and dips have to survive because the
// report is about cliffs and peaks, so each bucket keeps its min and its max.

export interface Points {
  x: number[];
  y: number[];
}

/** Drops pairs where x or y is not finite (NaN, Infinity). */
export function finitePoints(x: readonly number[], y: readonly number[]): Points {
  const out: Points = { x: [], y: [] };
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      out.x.push(x[i]!);
      out.y.push(y[i]!);
    }
  }
  return out;
}

/**
 * At most `maxPoints` points: the first and last point, then for each of
 * (maxPoints - 2) / 2 buckets of the interior its min and max in index order.
 */
export function downsampleMinMax(p: Points, maxPoints = 2000): Points {
  const n = p.x.length;
  if (n <= maxPoints) return p;
  if (maxPoints < 4) return { x: [p.x[0]!, p.x[n - 1]!], y: [p.y[0]!, p.y[n - 1]!] };
  const out: Points = { x: [p.x[0]!], y: [p.y[0]!] };
  const buckets = Math.floor((maxPoints - 2) / 2);
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets);
    const end = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (end <= start) continue;
    let iMin = start;
    let iMax = start;
    for (let i = start + 1; i < end; i++) {
      if (p.y[i]! < p.y[iMin]!) iMin = i;
      if (p.y[i]! > p.y[iMax]!) iMax = i;
    }
    for (const i of iMin === iMax ? [iMin] : [Math.min(iMin, iMax), Math.max(iMin, iMax)]) {
      out.x.push(p.x[i]!);
      out.y.push(p.y[i]!);
    }
  }
  out.x.push(p.x[n - 1]!);
  out.y.push(p.y[n - 1]!);
  return out;
}
