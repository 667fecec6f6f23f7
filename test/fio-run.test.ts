// The real-clock runner of `iova fio` (src/fio/runner/): every unmap mode x
// depot policy x completion CPU, bounded by number_ios so each run is short;
// a few time-based runs for rates and status; CPUs shared by several jobs;
// oversubscription (12 workers on this machine's cores); an abort mid-run.
// Every run checks its own books (nothing in flight, queues and rings
// empty, maps == unmaps, tree empty after flushAll, domain.check()).
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../dist/src/fio/options.js';
import { runReal } from '../dist/src/fio/runner/run.js';
import { jsonDocument, normalText } from '../dist/src/fio/runner/report.js';
import { apportion } from '../dist/src/fio/runner/run.js';

const POLICIES = ['linux-5.10', 'cpu-flush', 'scaled-depot', 'linux-6.4', 'adaptive'] as const;
const MODES = ['strict', 'non-strict'] as const;
const COMPLETIONS = ['same', 'other', 'single'] as const;

type Outcome = Awaited<ReturnType<typeof runReal>>;

async function run(argv: string[], extra: Partial<Parameters<typeof runReal>[0]> = {}): Promise<Outcome> {
  const a = parseArgs(['--status-interval=0', ...argv]);
  const cpus = a.globalSet.cpus;
  return runReal({ jobs: a.jobs, global: a.global, ...(cpus !== undefined ? { cpus } : {}), ...extra });
}

const dirIos = (j: { read?: { totalIos: number }; write?: { totalIos: number } }): number =>
  (j.read?.totalIos ?? 0) + (j.write?.totalIos ?? 0);

/** What every finished run must satisfy. */
function checkRun(o: Outcome): void {
  expect(o.error).toBeNull();
  expect(o.books.problems).toEqual([]);
  expect(o.books.ok).toBe(true);
  expect(o.books.rangesAfterFlush).toBe(0);
  expect(o.books.checkError).toBeNull();
  const d = o.domain;
  // total ios == sum per job; maps == unmaps; latency counts == counted operations
  expect(o.results.reduce((a, j) => a + dirIos(j), 0)).toBe(d.ios);
  expect(o.results.reduce((a, j) => a + j.iova!.map.samples, 0)).toBe(d.maps);
  expect(d.unmaps).toBe(d.maps);
  for (const j of o.results) {
    expect(j.iova!.unmap.samples).toBe(j.iova!.map.samples);
    expect(j.iova!.map.samples).toBeGreaterThanOrEqual(dirIos(j));
    for (const dir of [j.read, j.write]) {
      if (!dir) continue;
      expect(dir.clat!.samples).toBe(dir.totalIos);
      expect(dir.slat!.samples).toBe(dir.totalIos);
      expect(dir.lat!.samples).toBe(dir.totalIos);
      expect(dir.clat!.min).toBeGreaterThan(0);
      expect(dir.lat!.mean).toBeGreaterThanOrEqual(dir.clat!.mean);
      expect(Object.keys(dir.clat!.percentiles)).toContain('99.000000');
    }
  }
  // per-job cache counters are the per-CPU ones, shared out: they add up to the domain's
  expect(o.results.reduce((a, j) => a + j.iova!.cacheHits, 0)).toBe(d.cacheHits);
  expect(o.results.reduce((a, j) => a + j.iova!.cacheMisses, 0)).toBe(d.cacheMisses);
  expect(d.cacheHits + d.cacheMisses).toBeGreaterThan(0);
  if (d.mode === 'strict') {
    expect(d.flushQueue.iotlbFlushes).toBe(d.unmaps);
    expect(d.flushQueue.domainFlushes).toBe(0);
  } else {
    expect(d.flushQueue.domainFlushes).toBe(d.flushQueue.timerFirings + d.flushQueue.fullFlushes + 1); // + the final drain
    expect(d.flushQueue.maxDepth).toBeGreaterThan(0);
    expect(d.flushQueue.maxDepth).toBeLessThan(d.flushQueue.size);
    expect(o.results.reduce((a, j) => a + (j.iova!.flushes ?? 0), 0)).toBeLessThanOrEqual(d.flushQueue.domainFlushes);
  }
}

/** The JSON document, through a text round trip, has fio's keys and ours. */
function checkJson(o: Outcome, plus = false): Record<string, any> {
  const doc = JSON.parse(JSON.stringify(jsonDocument(o, plus))) as Record<string, any>;
  expect(doc.jobs).toHaveLength(o.results.length);
  let total = 0;
  for (const j of doc.jobs) {
    for (const dir of ['read', 'write']) {
      const d = j[dir];
      expect(typeof d.iops).toBe('number');
      total += d.total_ios;
      if (d.total_ios === 0) continue;
      // iops is the count over the runtime
      expect(Math.abs((d.iops * d.runtime) / 1000 - d.total_ios)).toBeLessThan(1e-6 * d.total_ios + 1e-9);
      expect(d.clat_ns.N).toBe(d.total_ios);
      expect(d.clat_ns.percentile['50.000000']).toBeGreaterThan(0);
      expect(d.clat_ns.percentile['99.990000']).toBeGreaterThanOrEqual(d.clat_ns.percentile['50.000000']);
      if (plus) expect(Object.values(d.clat_ns.bins as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(d.total_ios);
    }
    expect(j.iova).toMatchObject({ cache_hits: expect.any(Number), cache_misses: expect.any(Number), depot_full: expect.any(Number) });
    expect(j.iova.map_ns.N).toBeGreaterThan(0);
    expect(j.iova.unmap_ns.N).toBe(j.iova.map_ns.N);
    expect(j.iova.map_ns.percentile['99.000000']).toBeGreaterThan(0);
  }
  expect(total).toBe(o.domain.ios);
  expect(doc.iova).toMatchObject({
    clock: 'real', maps: o.domain.maps, unmaps: o.domain.maps, books: { ok: true, ranges_after_flush: 0 },
    flush_queue: { timer_firings: expect.any(Number), full_flushes: expect.any(Number), max_depth: expect.any(Number) },
  });
  return doc;
}

describe('fio runner: mode x policy x completion (number_ios-bounded)', () => {
  for (const mode of MODES) {
    for (const policy of POLICIES) {
      for (const completion of COMPLETIONS) {
        it(`${mode} ${policy} completion=${completion}`, async () => {
          // Two job definitions (2 + 1 clones): random mixed sizes, some split into segments, some > 32 pages.
          const o = await run([
            `--mode=${mode}`, `--policy=${policy}`, '--fq_size=64',
            '--name=a', '--numjobs=2', '--iodepth=8', '--rw=randrw', '--bs=4k/60:16k/20:64k/10:512k/10',
            '--max_segment=256k', '--number_ios=1200', `--completion=${completion}`, '--dma32_first',
            '--name=b', '--iodepth=4', '--bs=4k-32k', '--number_ios=800', `--completion=${completion}`,
          ]);
          checkRun(o);
          expect(o.results.map((j) => j.name)).toEqual(['a', 'a', 'b']);
          expect(o.results.map(dirIos)).toEqual([1200, 1200, 800]);
          expect(o.domain.ios).toBe(3200);
          expect(o.domain.cpus).toBe(3);
          expect(o.results[0]!.read!.totalIos).toBeGreaterThan(0);
          expect(o.results[0]!.write!.totalIos).toBeGreaterThan(0);
          expect(o.results[2]!.write).toBeUndefined();
          checkJson(o);
        });
      }
    }
  }
});

describe('fio runner: time-based runs, shared CPUs, oversubscription, abort', () => {
  it('time_based: runtime, iops = ios / runtime, bw samples, status snapshots, json+', async () => {
    const statuses: Array<{ tree: number; iops: number }> = [];
    const o = await run(
      ['--status-interval=0.25', '--name=t', '--numjobs=2', '--iodepth=16', '--bs=4k/90:256k/10', '--runtime=1.2', '--time_based'],
      { onStatus: (s, a) => statuses.push({ tree: a.tree, iops: s.iops.read }) },
    );
    checkRun(o);
    for (const j of o.results) {
      expect(j.read!.runtimeMs).toBeGreaterThanOrEqual(1200);
      expect(j.read!.runtimeMs).toBeLessThan(2000);
      expect(j.read!.bwSamples!.samples).toBeGreaterThanOrEqual(1);
      expect(j.read!.iopsSamples!.mean).toBeGreaterThan(0);
    }
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.some((s) => s.iops > 0 && s.tree > 0)).toBe(true);
    const doc = checkJson(o, true);
    expect(doc.jobs[0]['job options']).toMatchObject({ rw: 'read', bs: '4k/90:256k/10', time_based: '1' });
    expect(normalText(o)).toMatch(/Run status group 0 \(all jobs\):\n   READ: bw=/);
    expect(normalText(o)).toContain('books: ok');
  });

  it('several jobs per CPU (--cpus below numjobs) and an interrupt-only CPU', async () => {
    const shared = await run(['--cpus=2', '--name=s', '--numjobs=5', '--iodepth=4', '--number_ios=600', '--completion=other', '--mode=non-strict']);
    checkRun(shared);
    expect(shared.plan!.cpuWorkers.map((w) => w.length)).toEqual([3, 2]);
    expect(shared.results.map(dirIos)).toEqual([600, 600, 600, 600, 600]);
    // CPU 2 and 3 run no job; CPU 2 takes job 1's completions: an interrupt-only worker serves it.
    const irq = await run(['--cpus=4', '--name=i', '--numjobs=2', '--iodepth=8', '--number_ios=1000', '--completion=other']);
    checkRun(irq);
    expect(irq.domain.irqWorkers).toBe(1);
    expect(irq.plan!.workers[2]).toMatchObject({ isJob: false, cpu: 2 });
  });

  it('12 workers on this machine do not stall (oversubscribed workers park)', async () => {
    const t0 = Date.now();
    const o = await run(['--name=o', '--numjobs=12', '--iodepth=32', '--bs=4k/90:256k/10', '--runtime=1', '--time_based',
      '--mode=non-strict', '--completion=other']);
    checkRun(o);
    expect(Date.now() - t0).toBeLessThan(15_000);
    for (const j of o.results) expect(j.read!.totalIos).toBeGreaterThan(100);
  });

  it('an abort (Ctrl-C) stops submission, drains, and the books still balance', async () => {
    // Abort once I/O is flowing (a fixed delay can fire before the workers start on a loaded machine).
    const ac = new AbortController();
    const t0 = Date.now();
    const o = await run(['--name=x', '--numjobs=3', '--iodepth=16', '--runtime=60', '--time_based', '--mode=non-strict',
      '--status-interval=0.1'], { signal: ac.signal, onStatus: (s) => { if (s.iops.read > 0) ac.abort(); } });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(o.interrupted).toBe(true);
    checkRun(o);
    for (const j of o.results) expect(j.read!.runtimeMs).toBeLessThan(5000);
  });

  it('refuses a job with no end', async () => {
    await expect(run(['--name=n'])).rejects.toThrow(/no --runtime, --size or --number_ios/);
    await expect(run(['--name=n', '--time_based'])).rejects.toThrow(/time_based needs --runtime/);
  });

  it('apportion splits whole counts exactly', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(7, [0, 0])).toEqual([7, 0]);
    expect(apportion(100, [3, 1]).reduce((a, b) => a + b, 0)).toBe(100);
  });
});
