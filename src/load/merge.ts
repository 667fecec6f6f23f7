// Requests merged from sequential I/Os: the block layer joins a job's
// consecutive reads into one request, and dma-iommu maps each request's
// scatterlist as one IOVA. The simulator draws a request as 1 + a geometric
// number of further I/Os (each one more joins with chance p), at most maxIos.
// These are the distribution's figures, written once for the simulator's
// options, the study and the tests.

/** A merged-request load: the chance that one more I/O joins, and the most I/Os one request holds. */
export interface RequestMerge {
  p: number;
  maxIos: number;
}

/** p such that a share `share` of requests holds more than `aboveIos` I/Os (uncapped: P[more than n] = p^n). */
export function mergeChanceFor(share: number, aboveIos: number): number {
  if (!(share > 0 && share < 1)) throw new RangeError(`merge share must be in (0, 1), got ${String(share)}`);
  if (!Number.isInteger(aboveIos) || aboveIos < 1) throw new RangeError(`aboveIos must be a positive integer, got ${String(aboveIos)}`);
  return share ** (1 / aboveIos);
}

/** The share of requests holding more than n I/Os. */
export function shareAbove(m: RequestMerge, n: number): number {
  return n >= m.maxIos ? 0 : m.p ** n;
}

/** Mean I/Os per request: sum over n < maxIos of p^n. */
export function meanIosPerRequest(m: RequestMerge): number {
  return m.p === 1 ? m.maxIos : (1 - m.p ** m.maxIos) / (1 - m.p);
}
