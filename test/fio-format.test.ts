import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PERCENTILES,
  LatencyHistogram,
  allocatorLine,
  cFixed,
  ctime,
  etaString,
  groupSummary,
  jobStateChar,
  jobSummary,
  jsonReport,
  jsonText,
  latencyStats,
  normalReport,
  num2str,
  percentileBlock,
  percentileKey,
  statusLine,
  type IovaCounters,
  type JobResult,
  type StatusJob,
} from '../dist/src/fio/format.js';

const run = (rw: StatusJob['rw'], extra: Partial<StatusJob> = {}): StatusJob => ({ state: 'running', rw, ...extra });
const zero = { read: 0, write: 0, trim: 0 };

describe('statusLine (fio 3.x eta.c layout)', () => {
  it('prints the reference line exactly', () => {
    // 6314 x 1024 KiB/s: 4 digits of MiB, no decimals left; 1616384 IOPS: 1616 rem 384 (< 500: no carry).
    const line = statusLine({
      jobs: Array.from({ length: 12 }, () => run('read')),
      elapsedSec: 15,
      etaSec: 25,
      bytesPerSec: { read: 6314 * 1024 * 1024, write: 0, trim: 0 },
      iops: { read: 1616384, write: 0, trim: 0 },
    });
    expect(line).toBe('Jobs: 12 (f=12): [R(12)][37.5%][r=6314MiB/s][r=1616k IOPS][eta 00m:25s]');
  });

  it('mixed states condensed, IEC units as the summary, only directions with traffic, hours in the eta', () => {
    // 123456 KiB/s: /1024 = 120 rem 576, one digit of room: carried to 121MiB/s.
    // 12345 IOPS: /1000 = 12 rem 345, room for one decimal: 12.3k (fio 3.x). Byte rates truncate to KiB.
    const line = statusLine({
      jobs: [run('randwrite'), { state: 'finished', rw: 'read' }, run('rw', { rwmixread: 50 })],
      elapsedSec: 30,
      etaSec: 3690,
      bytesPerSec: { read: 123456 * 1024, write: 2000 * 1024 + 1023, trim: 0 },
      iops: { read: 12345, write: 999.7, trim: 0 },
    });
    expect(line).toBe('Jobs: 2 (f=2): [w(1),_(1),M(1)][0.8%][r=121MiB/s,w=2000KiB/s][r=12.3k,w=999 IOPS][eta 01h:01m:30s]');
  });

  it('rounds up a dropped remainder of half or more', () => {
    const line = statusLine({
      jobs: [run('write')], elapsedSec: 1, etaSec: 1, bytesPerSec: zero, iops: { read: 0, write: 1616500, trim: 0 },
    });
    expect(line).toBe('Jobs: 1 (f=1): [W(1)][50.0%][w=0KiB/s][w=1617k IOPS][eta 00m:01s]');
  });

  it('unknown eta, ramping jobs, and nothing running', () => {
    expect(statusLine({ jobs: [run('read')], elapsedSec: 3, etaSec: -1, bytesPerSec: zero, iops: zero }))
      .toBe('Jobs: 1 (f=1): [R(1)][-.-%][eta --]');
    expect(statusLine({ jobs: [{ state: 'ramp', rw: 'read' }], elapsedSec: 3, etaSec: 7, bytesPerSec: zero, iops: zero }))
      .toBe('Jobs: 1 (f=0): [/(1)][-.-%][eta 00m:07s]');
    expect(statusLine({ jobs: [{ state: 'finished', rw: 'read' }, { state: 'error', rw: 'read' }], elapsedSec: 9, etaSec: 0, bytesPerSec: zero, iops: zero }))
      .toBe('Jobs: 0 (f=0)');
  });

  it('jobs still setting up scale the percentage down, as fio', () => {
    // 2 running + 2 setting up: 50% * (1 - 2/2) = 0%.
    const jobs = [run('read'), run('read'), { state: 'setup', rw: 'read' }, { state: 'setup', rw: 'read' }] as StatusJob[];
    expect(statusLine({ jobs, elapsedSec: 5, etaSec: 5, bytesPerSec: zero, iops: zero, filesOpen: 7 }))
      .toBe('Jobs: 2 (f=7): [R(2),I(2)][0.0%][eta 00m:05s]');
  });

  it('rate caps show as fio\'s min-target pair', () => {
    const jobs = [run('read'), run('randread')];
    expect(statusLine({ jobs, elapsedSec: 5, etaSec: 5, bytesPerSec: zero, iops: zero, rateCap: { bytesPerSec: 100 * 1024 * 1024, iops: 0 } }))
      .toBe('Jobs: 2 (f=2), 0-100MiB/s: [R(1),r(1)][50.0%][eta 00m:05s]');
    expect(statusLine({ jobs, elapsedSec: 5, etaSec: 5, bytesPerSec: zero, iops: zero, rateCap: { bytesPerSec: 0, iops: 2000 } }))
      .toBe('Jobs: 2 (f=2), 0-2000 IOPS: [R(1),r(1)][50.0%][eta 00m:05s]');
  });

  it('job letters follow check_str_update()', () => {
    expect(['read', 'randread', 'write', 'randwrite', 'rw', 'randrw', 'readwrite'].map((rw) => jobStateChar(run(rw as StatusJob['rw']))).join(''))
      .toBe('RrWwMmM');
    expect(jobStateChar(run('rw', { rwmixread: 100 }))).toBe('R');
    expect(jobStateChar(run('randrw', { rwmixread: 0 }))).toBe('w');
    const states = ['pending', 'setup', 'ramp', 'finishing', 'exited', 'finished', 'error', 'killed'] as const;
    expect(states.map((state) => jobStateChar({ state, rw: 'read' })).join('')).toBe('PI/fE_XK');
  });

  it('eta strings', () => {
    expect(etaString(0)).toBe('00m:00s');
    expect(etaString(59)).toBe('00m:59s');
    expect(etaString(3600)).toBe('01h:00m:00s');
    expect(etaString(90061)).toBe('01d:01h:01m:01s');
    expect(etaString(-1)).toBe('--');
  });

  it('allocatorLine', () => {
    expect(allocatorLine({ cpuTotal: 12, depotTotal: 30, tree: 7 })).toBe('cpu_total=12 depot_total=30 total=42 tree=7');
    expect(allocatorLine({ cpuTotal: 1, depotTotal: 2, total: 9, tree: 0 })).toBe('cpu_total=1 depot_total=2 total=9 tree=0');
  });
});

describe('num2str', () => {
  it('matches fio\'s own unit test vectors', () => {
    expect(num2str(1, 1, 1, false, '')).toBe('1');
    expect(num2str(18446744073709551, 2, 1, false, '')).toBe('18P');
    expect(num2str(18446744073709551, 4, 1, false, '')).toBe('18.4P');
    expect(num2str(2 ** 64, 2, 1, false, '')).toBe('18E');
    expect(num2str(2 ** 64, 4, 1, false, '')).toBe('18.4E');
  });

  it('matches numbers from a real fio report', () => {
    expect(num2str(23068672, 4, 1, true, 'B')).toBe('22.0MiB');
    expect(num2str(19666387, 4, 1, true, 'B/s')).toBe('18.8MiB/s');
    expect(num2str(19666387, 4, 1, false, 'B/s')).toBe('19.7MB/s');
    expect(num2str(4801, 4, 1, false, '')).toBe('4801');
  });

  it('carries into the integer part', () => {
    expect(num2str(1999999, 4, 1, false, '')).toBe('2000k');
    expect(num2str(19999, 4, 1, false, '')).toBe('20.0k');
    expect(num2str(1024, 6, 1024, true, 'B')).toBe('1024KiB');
    expect(num2str(100, 4, 1, false, 'bit')).toBe('800bit');
  });

  it('rounds exact ties to even like printf, not up like toFixed', () => {
    expect(num2str(12250, 4, 1, false, '')).toBe('12.2k');
    expect(num2str(12750, 4, 1, false, '')).toBe('12.8k');
    expect(cFixed(0.125, 2)).toBe('0.12');
    expect(cFixed(0.375, 2)).toBe('0.38');
    expect(cFixed(2.5, 0)).toBe('2');
    expect(cFixed(3.5, 0)).toBe('4');
    expect(cFixed(1.005, 2)).toBe('1.00'); // not a tie: 1.005 is stored a hair below
    expect(cFixed(-0.125, 2)).toBe('-0.12');
  });
});

/** fio's default list as integer hundredths, for exact rank arithmetic in the tests. */
const HUNDREDTHS = [100, 500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 9500, 9900, 9950, 9990, 9995, 9999];

function shuffled(n: number, seed = 7): number[] {
  const a = Array.from({ length: n }, (_, i) => i + 1);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('latencyStats', () => {
  it('1..1000: nearest-rank percentiles, keyed as fio\'s JSON', () => {
    const data = shuffled(1000);
    const s = latencyStats(data);
    const expected: Record<string, number> = {};
    HUNDREDTHS.forEach((h) => {
      // rank = ceil(h/100 % of 1000) in integers; sample at that rank is the rank itself.
      expected[`${Math.floor(h / 100)}.${String(h % 100).padStart(2, '0')}0000`] = Math.ceil((h * 1000) / 10000);
    });
    expect(s.percentiles).toEqual(expected);
    expect(s.percentiles['99.990000']).toBe(1000);
    expect(s.percentiles['99.900000']).toBe(999);
    expect(s.percentiles['1.000000']).toBe(10);
    expect(Object.keys(s.percentiles)).toEqual(DEFAULT_PERCENTILES.map((p) => p.toFixed(6)));
    expect(s.min).toBe(1);
    expect(s.max).toBe(1000);
    expect(s.samples).toBe(1000);
    expect(s.mean).toBeCloseTo(500.5, 10);
    expect(s.stdev).toBeCloseTo(Math.sqrt((1000 * 1001) / 12), 9); // sample variance of 1..n is n(n+1)/12
  });

  it('1..7 with fio\'s list: ranks ceil(p% of 7)', () => {
    const s = latencyStats(Float64Array.from([7, 3, 1, 6, 2, 5, 4]));
    // 1%..10% -> rank 1; 20% -> 2 (1.4); 30% -> 3 (2.1); 40% -> 3 (2.8); 50% -> 4 (3.5); 60% -> 5 (4.2);
    // 70% -> 5 (4.9); 80% -> 6 (5.6); 90%+ -> 7
    expect(Object.values(s.percentiles)).toEqual([1, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 7, 7, 7, 7, 7]);
  });

  it('custom percentile list (the textbook nearest-rank example)', () => {
    const s = latencyStats([15, 20, 35, 40, 50], [100, 30, 5, 40, 50]);
    expect(s.percentiles).toEqual({ '5.000000': 15, '30.000000': 20, '40.000000': 20, '50.000000': 35, '100.000000': 50 });
    expect(Object.keys(s.percentiles)[0]).toBe('5.000000'); // sorted, as fio sorts its list
  });

  it('does not reorder its input; handles one and zero samples', () => {
    const input = [3, 1, 2];
    latencyStats(input);
    expect(input).toEqual([3, 1, 2]);
    expect(latencyStats([42])).toMatchObject({ samples: 1, min: 42, max: 42, mean: 42, stdev: 0 });
    expect(latencyStats([])).toEqual({ samples: 0, min: 0, max: 0, mean: 0, stdev: 0, percentiles: {} });
    expect(percentileKey(99.95)).toBe('99.950000');
  });
});

describe('LatencyHistogram (fio plat buckets)', () => {
  it('maps values to buckets as plat_val_to_idx / plat_idx_to_val', () => {
    const h = new LatencyHistogram();
    expect(h.counts.length).toBe(29 * 64);
    for (const v of [0, 1, 63, 127]) {
      expect(h.indexOf(v)).toBe(v);
      expect(h.valueOf(v)).toBe(v);
    }
    expect(h.indexOf(128)).toBe(128);
    expect(h.valueOf(128)).toBe(129); // [128,129], reported as base + 0.5 * 2
    // 1000: msb 9, 3 error bits, base 4<<6 = 256, offset 1000>>3 & 63 = 61.
    expect(h.indexOf(1000)).toBe(317);
    expect(h.indexOf(1007)).toBe(317);
    expect(h.indexOf(1008)).toBe(318);
    expect(h.valueOf(317)).toBe(512 + 61.5 * 8);
    expect(h.indexOf(2 ** 40)).toBe(h.counts.length - 1); // beyond 2^34 ns: clamped
    expect(h.indexOf(-5)).toBe(0);
  });

  it('percentiles land within the bucket precision of the exact ones', () => {
    let s = 12345;
    const data: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      data.push(Math.floor(100 * Math.exp((s / 2 ** 31) * 11))); // 100 ns .. ~6 ms, log-spread
    }
    const h = new LatencyHistogram().addAll(data);
    const exact = latencyStats(data);
    const approx = h.stats();
    expect(Object.keys(approx.percentiles)).toEqual(Object.keys(exact.percentiles));
    for (const k of Object.keys(exact.percentiles)) {
      const e = exact.percentiles[k]!;
      expect(Math.abs(approx.percentiles[k]! - e), k).toBeLessThanOrEqual(e / 64);
    }
    expect(approx.samples).toBe(exact.samples);
    expect(approx.min).toBe(exact.min);
    expect(approx.max).toBe(exact.max);
    expect(approx.mean).toBeCloseTo(exact.mean, 6);
    expect(approx.stdev).toBeCloseTo(exact.stdev, 4);
  });

  it('small values are exact', () => {
    const h = new LatencyHistogram().addAll(shuffled(100));
    expect(h.stats().percentiles).toEqual(latencyStats(shuffled(100)).percentiles);
  });

  it('merging per-worker histograms equals one histogram of everything', () => {
    const all = new LatencyHistogram();
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 5000; i++) {
      const v = (i * 7919) % 100_003;
      all.add(v);
      (i % 3 ? a : b).add(v);
    }
    const m = a.merge(b).stats();
    const w = all.stats();
    expect(m.percentiles).toEqual(w.percentiles);
    expect([m.samples, m.min, m.max]).toEqual([w.samples, w.min, w.max]);
    expect(m.mean).toBeCloseTo(w.mean, 8);
    expect(m.stdev).toBeCloseTo(w.stdev, 6);
    expect(() => a.merge(new LatencyHistogram(5))).toThrow(RangeError);
  });

  it('bins lists the non-empty buckets by value, summing to the sample count', () => {
    const h = new LatencyHistogram().addAll([5, 5, 1000, 1003, 5000]);
    expect(h.bins()).toEqual({ '5': 2, '1004': 2, [String(h.valueOf(h.indexOf(5000)))]: 1 });
    expect(new LatencyHistogram().stats()).toEqual(latencyStats([]));
  });
});

// Stats of a real fio run (fio-3.25, 22 MiB of 4k sync writes), fed back in to get its report.
const P = (vals: number[]): Record<string, number> =>
  Object.fromEntries(DEFAULT_PERCENTILES.map((p, i) => [p.toFixed(6), vals[i]!]));
const FIO_JOB: JobResult = {
  name: 'mytest', groupid: 0, members: 1, error: 0, pid: 379504, time: new Date(2023, 6, 3, 22, 30, 33),
  write: {
    ioBytes: 22 * 1048576, totalIos: 5632, runtimeMs: 1173,
    clat: {
      samples: 5632, min: 10519, max: 57976, mean: 13462.14, stdev: 2609.65,
      percentiles: P([11584, 11712, 11840, 12096, 12352, 12480, 12608, 12992, 13632, 13888, 15424, 18560, 23168, 27264, 38656, 43264, 58112]),
    },
    lat: { samples: 5632, min: 10769, max: 58476, mean: 13731.86, stdev: 2657.41, percentiles: {} },
    bwSamples: { min: 18952, max: 19424, mean: 19188, stdev: 333.75, samples: 2 },
    iopsSamples: { min: 4738, max: 4856, mean: 4797, stdev: 83.44, samples: 2 },
  },
};

describe('normal report (fio 3.x stat.c layout)', () => {
  it('reproduces a real fio job block', () => {
    expect(jobSummary(FIO_JOB)).toBe(
      'mytest: (groupid=0, jobs=1): err= 0: pid=379504: Mon Jul  3 22:30:33 2023\n' +
      '  write: IOPS=4801, BW=18.8MiB/s (19.7MB/s)(22.0MiB/1173msec)\n' +
      '    clat (nsec): min=10519, max=57976, avg=13462.14, stdev=2609.65\n' +
      '     lat (nsec): min=10769, max=58476, avg=13731.86, stdev=2657.41\n' +
      '    clat percentiles (nsec):\n' +
      '     |  1.00th=[11584],  5.00th=[11712], 10.00th=[11840], 20.00th=[12096],\n' +
      '     | 30.00th=[12352], 40.00th=[12480], 50.00th=[12608], 60.00th=[12992],\n' +
      '     | 70.00th=[13632], 80.00th=[13888], 90.00th=[15424], 95.00th=[18560],\n' +
      '     | 99.00th=[23168], 99.50th=[27264], 99.90th=[38656], 99.95th=[43264],\n' +
      '     | 99.99th=[58112]\n' +
      '   bw (  KiB/s): min=18952, max=19424, per=99.91%, avg=19188.00, stdev=333.75, samples=2\n' +
      '   iops        : min= 4738, max= 4856, avg=4797.00, stdev=83.44, samples=2\n',
    );
  });

  it('scales percentiles to usec, rounding up, as in the same report\'s sync block', () => {
    const usec = [167, 172, 174, 178, 182, 184, 186, 192, 196, 206, 221, 235, 260, 273, 302, 310, 347];
    expect(percentileBlock('sync', P(usec.map((u) => u * 1000 - 500)))).toBe(
      '    sync percentiles (usec):\n' +
      '     |  1.00th=[  167],  5.00th=[  172], 10.00th=[  174], 20.00th=[  178],\n' +
      '     | 30.00th=[  182], 40.00th=[  184], 50.00th=[  186], 60.00th=[  192],\n' +
      '     | 70.00th=[  196], 80.00th=[  206], 90.00th=[  221], 95.00th=[  235],\n' +
      '     | 99.00th=[  260], 99.50th=[  273], 99.90th=[  302], 99.95th=[  310],\n' +
      '     | 99.99th=[  347]\n',
    );
  });

  it('wide msec values: wider column, fewer per line', () => {
    const p = { '1.000000': 2_500_000, '50.000000': 1e14, '99.000000': 123_456_789_000_000, '99.900000': 2e14 };
    expect(percentileBlock('clat', p)).toBe(
      '    clat percentiles (msec):\n' +
      '     |  1.00th=[        3], 50.00th=[100000000], 99.00th=[123456789],\n' +
      '     | 99.90th=[200000000]\n',
    );
    expect(percentileBlock('clat', {})).toBe('');
  });

  it('latency lines switch to usec like the same report\'s sync line', () => {
    const job: JobResult = {
      name: 'j', groupid: 1, members: 4, error: 12, pid: 1, time: new Date(2024, 0, 15, 9, 5, 7),
      read: { ioBytes: 4096, totalIos: 1, runtimeMs: 1, clat: { samples: 9, min: 161234, max: 345999, mean: 192480, stdev: 20090, percentiles: {} } },
    };
    expect(jobSummary(job)).toBe(
      'j: (groupid=1, jobs=4): err=12: pid=1: Mon Jan 15 09:05:07 2024\n' +
      '  read: IOPS=1000, BW=4000KiB/s (4096kB/s)(4096B/1msec)\n' +
      '    clat (usec): min=161, max=345, avg=192.48, stdev=20.09\n',
    );
  });

  const iovaA: IovaCounters = {
    map: { samples: 100, min: 50, max: 900, mean: 120.5, stdev: 30.25, percentiles: { '50.000000': 110, '99.000000': 800 } },
    unmap: { samples: 90, min: 40, max: 400, mean: 80, stdev: 10, percentiles: {} },
    cacheHits: 150, cacheMisses: 40, depotFullEvents: 2, treeSize: 10, flushes: 3,
  };
  const iovaB: IovaCounters = {
    map: { samples: 50, min: 1, max: 2, mean: 1.5, stdev: 0.5, percentiles: {} },
    unmap: { samples: 50, min: 1, max: 2, mean: 1.5, stdev: 0.5, percentiles: {} },
    cacheHits: 50, cacheMisses: 10, depotFullEvents: 1, treeSize: 12,
  };

  it('adds the allocator block to a job', () => {
    const job: JobResult = { ...FIO_JOB, write: undefined, read: { ioBytes: 8192, totalIos: 2, runtimeMs: 2 }, iova: iovaA };
    expect(jobSummary(job)).toBe(
      'mytest: (groupid=0, jobs=1): err= 0: pid=379504: Mon Jul  3 22:30:33 2023\n' +
      '  read: IOPS=1000, BW=4000KiB/s (4096kB/s)(8192B/2msec)\n' +
      '  iova: maps=100, unmaps=90, cachehit=78.95% (150/190), depot_full=2, tree=10, flushes=3\n' +
      '    map (nsec): min=50, max=900, avg=120.50, stdev=30.25\n' +
      '    map percentiles (nsec):\n' +
      '     | 50.00th=[  110], 99.00th=[  800]\n' +
      '    unmap (nsec): min=40, max=400, avg=80.00, stdev=10.00\n',
    );
  });

  it('group totals: fio\'s Run status lines plus the IOVA totals', () => {
    const t = new Date(2023, 6, 3, 22, 30, 33);
    const a: JobResult = { name: 'a', groupid: 0, members: 1, error: 0, pid: 1, time: t, read: { ioBytes: 1073741824, totalIos: 1, runtimeMs: 1000 }, iova: iovaA };
    const b: JobResult = { name: 'b', groupid: 0, members: 1, error: 0, pid: 2, time: t, read: { ioBytes: 536870912, totalIos: 1, runtimeMs: 2000 }, iova: iovaB };
    const other: JobResult = { name: 'c', groupid: 1, members: 1, error: 0, pid: 3, time: t, write: { ioBytes: 1, totalIos: 1, runtimeMs: 1 } };
    // agg = 1.5 GiB * 1000 / max run 2000 ms; min/max are the per-job rates.
    expect(groupSummary([a, b, other], 0)).toBe(
      '\nRun status group 0 (all jobs):\n' +
      '   READ: bw=768MiB/s (805MB/s), 256MiB/s-1024MiB/s (268MB/s-1074MB/s), io=1536MiB (1611MB), run=1000-2000msec\n' +
      '   IOVA: maps=150, unmaps=140, cachehit=80.00% (200/250), depot_full=3, tree=12, flushes=3\n',
    );
    const all = normalReport([a, b, other]);
    expect(all.indexOf('a: (groupid=0')).toBeLessThan(all.indexOf('b: (groupid=0'));
    expect(all.indexOf('c: (groupid=1')).toBeLessThan(all.indexOf('Run status group 0'));
    expect(all.indexOf('Run status group 0')).toBeLessThan(all.indexOf('Run status group 1'));
    expect(all).toContain('  WRITE: bw=1000B/s (1000B/s), 1000B/s-1000B/s (1000B/s-1000B/s), io=1B (1B), run=1-1msec\n');
  });

  it('ctime', () => {
    expect(ctime(new Date(2023, 6, 3, 22, 30, 33))).toBe('Mon Jul  3 22:30:33 2023');
    expect(ctime(new Date(1999, 11, 31, 0, 0, 9))).toBe('Fri Dec 31 00:00:09 1999');
  });
});

describe('jsonReport', () => {
  const hist = new LatencyHistogram().addAll([100, 100, 200, 5000]);
  const job: JobResult = {
    ...FIO_JOB,
    write: { ...FIO_JOB.write!, clat: { ...FIO_JOB.write!.clat!, bins: { '11584': 3 } } },
    iova: {
      map: { ...hist.stats(), bins: hist.bins() },
      unmap: latencyStats([10, 20]),
      cacheHits: 3, cacheMisses: 1, depotFullEvents: 0, treeSize: 4, allocFailures: 0,
    },
    options: { rw: 'write', bs: '4k' },
  };
  const now = new Date(1700000000123);

  it('has fio\'s top level and per-direction keys', () => {
    const r = jsonReport([job], { now, version: 'iova-wasm-0.1.0', globalOptions: { policy: 'linux-6.4' } }) as any;
    expect(r['fio version']).toBe('iova-wasm-0.1.0');
    expect(r.timestamp).toBe(1700000000);
    expect(r.timestamp_ms).toBe(1700000000123);
    expect(r.time).toBe(ctime(now));
    expect(r['global options']).toEqual({ policy: 'linux-6.4' });
    expect(r.jobs).toHaveLength(1);
    const j = r.jobs[0];
    expect(j).toMatchObject({ jobname: 'mytest', groupid: 0, error: 0, 'job options': { rw: 'write', bs: '4k' } });
    for (const dir of ['read', 'write', 'trim']) {
      for (const k of ['io_bytes', 'io_kbytes', 'bw_bytes', 'bw', 'iops', 'runtime', 'total_ios', 'slat_ns', 'clat_ns', 'lat_ns', 'bw_mean', 'iops_mean']) {
        expect(j[dir], `${dir}.${k}`).toHaveProperty([k]);
      }
    }
    expect(j.write).toMatchObject({ io_bytes: 23068672, io_kbytes: 22528, bw_bytes: 19666387, bw: 19205, runtime: 1173, total_ios: 5632 });
    expect(j.write.iops).toBeCloseTo(4801.364, 3);
    expect(j.write.bw_agg).toBeCloseTo(99.909, 3);
    expect(j.write.clat_ns).toMatchObject({ min: 10519, max: 57976, mean: 13462.14, stddev: 2609.65, N: 5632 });
    expect(Object.keys(j.write.clat_ns.percentile)).toEqual(DEFAULT_PERCENTILES.map((p) => p.toFixed(6)));
    expect(j.write.clat_ns.percentile['99.990000']).toBe(58112);
    expect(j.write.lat_ns).not.toHaveProperty('percentile');
    expect(j.read).toMatchObject({ io_bytes: 0, bw: 0, iops: 0, runtime: 0, total_ios: 0 });
    expect(j.read.clat_ns).toEqual({ min: 0, max: 0, mean: 0, stddev: 0, N: 0 });
  });

  it('adds our iova object', () => {
    const j = (jsonReport([job], { now }) as any).jobs[0];
    expect(j.iova).toMatchObject({ cache_hits: 3, cache_misses: 1, cache_hit_pct: 75, depot_full: 0, tree_size: 4, alloc_failures: 0 });
    expect(j.iova).not.toHaveProperty('flushes');
    expect(j.iova.map_ns).toMatchObject({ min: 100, max: 5000, N: 4 });
    expect(j.iova.map_ns.percentile['50.000000']).toBe(100);
    expect(j.iova.unmap_ns.percentile['99.000000']).toBe(20);
  });

  it('json+ adds histogram bins, plain json does not', () => {
    const plain = (jsonReport([job], { now }) as any).jobs[0];
    expect(plain.write.clat_ns).not.toHaveProperty('bins');
    expect(plain.iova.map_ns).not.toHaveProperty('bins');
    const plus = (jsonReport([job], { now, plus: true }) as any).jobs[0];
    expect(plus.write.clat_ns.bins).toEqual({ '11584': 3 });
    expect(plus.iova.map_ns.bins).toEqual(hist.bins());
    const total = Object.values(plus.iova.map_ns.bins as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBe(4);
  });

  it('jsonText is parseable and defaults the version', () => {
    const text = jsonText([job], { now });
    expect(text.endsWith('}\n')).toBe(true);
    const back = JSON.parse(text);
    expect(back['fio version']).toBe('iova-wasm');
    expect(back.jobs[0].jobname).toBe('mytest');
  });
});
