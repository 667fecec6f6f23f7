// The clock and the statistic every benchmark here reports with: shared by
// the tree, hot-path and peer benchmarks (one definition, so their figures
// are taken the same way). No import of our code: peer processes load it too.
import { readFileSync } from 'node:fs';

/** The median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * CPU time this process has used, in ns (process.cpuUsage: user + system of
 * every thread of the process, V8's background compiler and GC threads
 * included, not only the main thread that runs the benchmark). The kernel's
 * figures were thread CPU time (../shared/anchors.md); the two agree when
 * the other threads are idle, which per-thread schedstat showed during the
 * hot-path loops (0 ms), but nothing here checks it per run. Unlike the wall
 * clock, it does not count the time other tenants of the 2 cores hold the CPU.
 */
export function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/**
 * CPU time of the calling thread only, in ns (Linux: /proc/thread-self/schedstat,
 * its first field, the scheduler's on-CPU time); NaN where that file does not
 * exist. Unlike cpuNs() it leaves out V8's background threads (GC, compiler)
 * and anything else in the process. A read costs microseconds: time batches, not calls.
 */
export function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}
