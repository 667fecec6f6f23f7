import { describe, expect, it } from 'vitest';
import { FioOptionError, type FioOptionErrorCode } from '../dist/src/fio/errors.js';
import { FIO_OPTIONS, cmdHelp, findOption, helpText, parseArgs, resolveOptions } from '../dist/src/fio/options.js';

/** The table's own rows of `iova fio` (not fio's accepted-and-ignored names). */
const OPTIONS = FIO_OPTIONS.filter((r) => r.category !== 'fio-ignored');

/** Every default that is not one of the original fields, as the table gives them. */
const NEW_DEFAULTS = {
  bsWrite: { kind: 'fixed', bytes: 4096 }, rampTimeMs: 0, stonewall: false, newGroup: false, cpusAllowed: [],
  cpusAllowedPolicy: 'shared', rateRead: 0, rateWrite: 0, rateIopsRead: 0, rateIopsWrite: 0,
  deviceLatMs: 0.02, deviceBw: 2 * 1024 ** 3, iotlbLatMs: 0.002, groupReporting: false,
  percentileList: [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99],
  clatPercentiles: true, latPercentiles: false, help: false, cmdhelp: '', version: false, parseOnly: false, showcmd: false,
  ignored: {},
};
import { parseSize, parseTime } from '../dist/src/load/values.js';

/** Run fn, demand a FioOptionError with these fields, and return it. */
function optErr(
  fn: () => unknown,
  want: { code: FioOptionErrorCode; option: string; value: string; message: RegExp },
): FioOptionError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FioOptionError);
  const e = caught as FioOptionError;
  expect(e).toBeInstanceOf(Error);
  expect(e.name).toBe('FioOptionError');
  expect(e.code).toBe(want.code);
  expect(e.option).toBe(want.option);
  expect(e.value).toBe(want.value);
  expect(e.message).toMatch(want.message);
  return e;
}

describe('defaults', () => {
  it('resolves every default from the table', () => {
    const g = parseArgs([]).global;
    expect(g).toEqual({
      name: '', numjobs: 1, iodepth: 1, bs: { kind: 'fixed', bytes: 4096 }, runtimeMs: 0, timeBased: false,
      size: 0, numberIos: 0, rw: 'read', rwmixread: 50, policy: 'linux-6.4', era: 'v6.x', mode: 'non-strict', cpus: 1,
      completion: 'same', seed: 1, clock: 'real', fqTimeoutMs: 10, fqSize: 256, maxSegment: 65536,
      dma32First: false, granule: 4096, outputFormat: 'normal', output: '', statusIntervalMs: 1000, eta: 'auto',
      ...NEW_DEFAULTS,
    });
  });

  it('every table row has a key that resolveOptions fills', () => {
    const o = resolveOptions({}) as unknown as Record<string, unknown>;
    for (const spec of OPTIONS) {
      const fields = spec.lands === undefined ? [] : typeof spec.lands === 'string' ? [spec.lands] : [...spec.lands];
      if (spec.name !== 'cpus') expect(spec.lands !== undefined || spec.cb !== undefined, spec.name).toBe(true);
      for (const f of fields) expect(o[f], spec.name).not.toBeUndefined();
    }
  });

  it("era defaults to the policy's kernel unless given", () => {
    expect(parseArgs(['--policy=linux-5.10']).global.era).toBe('v5.10');
    expect(parseArgs(['--policy=cpu-flush']).global.era).toBe('v5.11');
    expect(parseArgs(['--policy=adaptive']).global.era).toBe('v6.x');
    expect(parseArgs(['--policy=linux-5.10', '--era=v6.x']).global.era).toBe('v6.x');
    expect(() => parseArgs(['--era=v4.19'])).toThrow(/v4\.19/);
  });

  it('cpus defaults to numjobs, per job, unless given', () => {
    expect(parseArgs(['--numjobs=6']).global.cpus).toBe(6);
    const r = parseArgs(['--numjobs=2', '--name=a', '--name=b', '--numjobs=8']);
    expect(r.jobs.map((j) => j.cpus)).toEqual([2, 8]);
    const s = parseArgs(['--numjobs=2', '--cpus=3', '--name=a', '--numjobs=8']);
    expect(s.jobs[0]!.cpus).toBe(3);
  });
});

describe('parseArgs: argument forms', () => {
  it('takes --opt=value and --opt value', () => {
    const a = parseArgs(['--iodepth=16', '--numjobs', '4', '--bs', '64k']).global;
    expect(a.iodepth).toBe(16);
    expect(a.numjobs).toBe(4);
    expect(a.bs).toEqual({ kind: 'fixed', bytes: 65536 });
  });

  it('takes bare boolean flags and explicit boolean values', () => {
    expect(parseArgs(['--time_based']).global.timeBased).toBe(true);
    expect(parseArgs(['--time_based=0']).global.timeBased).toBe(false);
    expect(parseArgs(['--dma32_first=yes']).global.dma32First).toBe(true);
    expect(parseArgs(['--dma32_first=off']).global.dma32First).toBe(false);
    // A bare flag never swallows the next argument: it stays positional.
    const r = parseArgs(['--time_based', 'job.fio']);
    expect(r.global.timeBased).toBe(true);
    expect(r.positional).toEqual(['job.fio']);
  });

  it('collects positionals and stops at --', () => {
    const r = parseArgs(['a.fio', '--iodepth=2', 'b.fio', '--', '--not-an-option', '-']);
    expect(r.positional).toEqual(['a.fio', 'b.fio', '--not-an-option', '-']);
    expect(r.global.iodepth).toBe(2);
  });

  it('treats - and _ alike, ignores case, and knows aliases', () => {
    const g = parseArgs(['--time-based', '--output_format=json', '--Status-Interval=3', '--blocksize=8k', '--timeout=5']).global;
    expect(g.timeBased).toBe(true);
    expect(g.outputFormat).toBe('json');
    expect(g.statusIntervalMs).toBe(3000);
    expect(g.bs).toEqual({ kind: 'fixed', bytes: 8192 });
    expect(g.runtimeMs).toBe(5000);
  });

  it('parses every option type into its field', () => {
    const g = parseArgs([
      '--name=global', '--numjobs=3', '--iodepth=32', '--bs=4k-128k', '--runtime=2m', '--time_based',
      '--size=1g', '--number_ios=1k', '--rw=randrw', '--rwmixread=70', '--policy=adaptive', '--era=v5.11', '--mode=strict',
      '--cpus=4', '--completion=other', '--seed=42', '--clock=virtual', '--fq_timeout=5', '--fq_size=128',
      '--max_segment=128k', '--dma32_first', '--granule=64k', '--output-format=json+', '--output=/tmp/r.json',
      '--status-interval=500ms', '--eta=never',
    ]).global;
    expect(g).toEqual({
      name: '', numjobs: 3, iodepth: 32, bs: { kind: 'range', min: 4096, max: 131072 }, runtimeMs: 120000,
      timeBased: true, size: 1073741824, numberIos: 1024, rw: 'randrw', rwmixread: 70, policy: 'adaptive', era: 'v5.11',
      mode: 'strict', cpus: 4, completion: 'other', seed: 42, clock: 'virtual', fqTimeoutMs: 5, fqSize: 128,
      maxSegment: 131072, dma32First: true, granule: 65536, outputFormat: 'json+', output: '/tmp/r.json',
      statusIntervalMs: 500, eta: 'never', ...NEW_DEFAULTS, bsWrite: { kind: 'range', min: 4096, max: 131072 },
    });
  });

  it('accepts every rw mode and every policy', () => {
    for (const rw of ['read', 'write', 'randread', 'randwrite', 'rw', 'randrw', 'readwrite']) {
      expect(parseArgs([`--rw=${rw}`]).global.rw).toBe(rw);
    }
    for (const p of ['linux-5.10', 'cpu-flush', 'scaled-depot', 'linux-6.4', 'adaptive']) {
      expect(parseArgs([`--policy=${p}`]).global.policy).toBe(p);
    }
  });

  it('reports --help and --cmdhelp', () => {
    expect(parseArgs(['--help']).help).toBe(true);
    expect(parseArgs(['-h']).help).toBe(true);
    expect(parseArgs([]).help).toBe(false);
    expect(parseArgs(['--cmdhelp=bs']).cmdhelp).toBe('bs');
    expect(parseArgs(['--cmdhelp', 'iodepth']).cmdhelp).toBe('iodepth');
    expect(parseArgs(['--cmdhelp']).cmdhelp).toBe('all');
    expect(parseArgs([]).cmdhelp).toBeUndefined();
  });
});

describe('parseArgs: globals and jobs, as fio', () => {
  it('options before the first --name are global; each --name starts a job', () => {
    const r = parseArgs(['--bs=8k', '--iodepth=4', '--name=a', '--iodepth=8', '--name=b', '--rw=write']);
    expect(r.global.bs).toEqual({ kind: 'fixed', bytes: 8192 });
    expect(r.global.iodepth).toBe(4);
    expect(r.jobs.map((j) => [j.name, j.iodepth, j.rw, j.bs])).toEqual([
      ['a', 8, 'read', { kind: 'fixed', bytes: 8192 }],
      ['b', 4, 'write', { kind: 'fixed', bytes: 8192 }],
    ]);
    expect(r.globalSet).toEqual({ bs: { kind: 'fixed', bytes: 8192 }, bsWrite: { kind: 'fixed', bytes: 8192 }, iodepth: 4 });
  });

  it('--name=global returns to the global section (fio docs example)', () => {
    const r = parseArgs(['--name=global', '--rw=randread', '--size=128m', '--name=job1', '--name=job2']);
    expect(r.jobs.map((j) => [j.name, j.rw, j.size])).toEqual([
      ['job1', 'randread', 134217728],
      ['job2', 'randread', 134217728],
    ]);
    const s = parseArgs(['--name=a', '--name=global', '--iodepth=9']);
    expect(s.global.iodepth).toBe(9);
    expect(s.jobs[0]!.iodepth).toBe(9);
  });

  it('run-wide options given after --name still land in the globals', () => {
    const r = parseArgs(['--name=a', '--policy=cpu-flush', '--output-format=json', '--iodepth=3', '--name=b']);
    expect(r.global.policy).toBe('cpu-flush');
    expect(r.global.outputFormat).toBe('json');
    expect(r.global.iodepth).toBe(1);
    expect(r.jobs.map((j) => [j.policy, j.iodepth])).toEqual([['cpu-flush', 3], ['cpu-flush', 1]]);
  });
});

describe('value grammars', () => {
  it.each([
    ['4k', 4096], ['4K', 4096], ['4kb', 4096], ['4KB', 4096], ['4KiB', 4096], ['4kib', 4096], ['4ki', 4096],
    ['512', 512], ['512b', 512], ['1m', 1048576], ['1MiB', 1048576], ['2g', 2147483648], ['1t', 1099511627776],
    ['1p', 1125899906842624], ['0x1000', 4096], ['1.5k', 1536], ['0', 0], [' 8k ', 8192],
  ])('size %s = %d', (text, bytes) => {
    expect(parseSize(text, 'size')).toBe(bytes);
    expect(parseArgs([`--size=${text}`]).global.size).toBe(bytes);
  });

  it.each([
    ['10', 's', 10000], ['10s', 's', 10000], ['500ms', 's', 500], ['2m', 's', 120000], ['1h', 's', 3600000],
    ['1.5s', 's', 1500], ['100us', 's', 0.1], ['1d', 's', 86400000], ['10', 'ms', 10], ['2S', 'ms', 2000],
  ] as const)('time %s (bare unit %s) = %d ms', (text, unit, ms) => {
    expect(parseTime(text, 'runtime', unit)).toBe(ms);
  });

  it('integer options take size suffixes too, as fio', () => {
    expect(parseArgs(['--iodepth=1k']).global.iodepth).toBe(1024);
    expect(parseArgs(['--number_ios=2m']).global.numberIos).toBe(2097152);
  });

  it('parses bs splits, filling in a missing share', () => {
    expect(parseArgs(['--bs=4k/50:64k/40:256k/10']).global.bs).toEqual({
      kind: 'split',
      entries: [{ bytes: 4096, percent: 50 }, { bytes: 65536, percent: 40 }, { bytes: 262144, percent: 10 }],
    });
    expect(parseArgs(['--bs=4k/50:64k/40:256k/']).global.bs).toEqual({
      kind: 'split',
      entries: [{ bytes: 4096, percent: 50 }, { bytes: 65536, percent: 40 }, { bytes: 262144, percent: 10 }],
    });
    expect(parseArgs(['--bs=4k/70:8k']).global.bs).toEqual({
      kind: 'split', entries: [{ bytes: 4096, percent: 70 }, { bytes: 8192, percent: 30 }],
    });
    // Uneven share: the last missing entry takes the remainder, so the total is 100.
    expect(parseArgs(['--bs=4k:8k:16k']).global.bs).toEqual({
      kind: 'split',
      entries: [{ bytes: 4096, percent: 33 }, { bytes: 8192, percent: 33 }, { bytes: 16384, percent: 34 }],
    });
  });
});

describe('errors', () => {
  it('unknown option, with the nearest name suggested', () => {
    optErr(() => parseArgs(['--iodeth=4']), {
      code: 'unknown-option', option: 'iodeth', value: '--iodeth=4', message: /unknown option '--iodeth'; did you mean '--iodepth'\?/,
    });
    optErr(() => parseArgs(['--runtim', '5']), {
      code: 'unknown-option', option: 'runtim', value: '--runtim', message: /did you mean '--runtime'/,
    });
  });

  it('unknown option far from every name gets no suggestion', () => {
    const e = optErr(() => parseArgs(['--zzzzzzzzzzzz=1']), {
      code: 'unknown-option', option: 'zzzzzzzzzzzz', value: '--zzzzzzzzzzzz=1', message: /unknown option '--zzzzzzzzzzzz'/,
    });
    expect(e.message).not.toMatch(/did you mean/);
  });

  it('single-dash options are unknown', () => {
    optErr(() => parseArgs(['-x']), { code: 'unknown-option', option: 'x', value: '-x', message: /unknown option '-x'/ });
  });

  it.each([
    ['4q', 'bad-value', /bad size suffix 'q'/],
    ['', 'bad-value', /empty size/],
    ['-1', 'out-of-range', /must not be negative/],
    ['1.5.2', 'bad-value', /not a number/],
    ['abc', 'bad-value', /not a number/],
    ['4ib', 'bad-value', /bad size suffix 'ib'/],
    ['4 k', 'bad-value', /bad size suffix/],
    ['1.3', 'bad-value', /not a whole number of bytes/],
  ] as const)('size %j is rejected (%s)', (text, code, message) => {
    optErr(() => parseSize(text, 'size'), { code, option: 'size', value: text, message });
  });

  it('bad size on the command line names the option and echoes the text', () => {
    optErr(() => parseArgs(['--size=4q']), {
      code: 'bad-value', option: 'size', value: '4q', message: /^--size: bad size suffix 'q' .*\(got '4q'\)$/,
    });
    optErr(() => parseArgs(['--max_segment=1.5.2']), {
      code: 'bad-value', option: 'max_segment', value: '1.5.2', message: /--max_segment: not a number/,
    });
  });

  it('iodepth 0 is out of range', () => {
    optErr(() => parseArgs(['--iodepth=0']), {
      code: 'out-of-range', option: 'iodepth', value: '0', message: /--iodepth must be between 1 and 65536 \(got '0'\)/,
    });
    optErr(() => parseArgs(['--numjobs', '0']), { code: 'out-of-range', option: 'numjobs', value: '0', message: /between 1 and 1024/ });
  });

  it('negative runtime is rejected, in both argument forms', () => {
    optErr(() => parseArgs(['--runtime', '-5']), {
      code: 'out-of-range', option: 'runtime', value: '-5', message: /--runtime: must not be negative/,
    });
    optErr(() => parseArgs(['--runtime=-1s']), { code: 'out-of-range', option: 'runtime', value: '-1s', message: /negative/ });
  });

  it('bad time suffix and non-numbers are rejected', () => {
    optErr(() => parseArgs(['--runtime=10x']), { code: 'bad-value', option: 'runtime', value: '10x', message: /bad time suffix 'x'/ });
    optErr(() => parseArgs(['--fq_timeout=1.5.2']), { code: 'bad-value', option: 'fq_timeout', value: '1.5.2', message: /not a time/ });
  });

  it('split percentages must make 100', () => {
    optErr(() => parseArgs(['--bs=4k/50:8k/40']), {
      code: 'bad-split', option: 'bs', value: '4k/50:8k/40', message: /add up to 90, not 100/,
    });
    optErr(() => parseArgs(['--bs=4k/80:8k/30:16k']), {
      code: 'bad-split', option: 'bs', value: '4k/80:8k/30:16k', message: /add up to 110, more than 100/,
    });
    optErr(() => parseArgs(['--bs=4k/150']), { code: 'out-of-range', option: 'bs', value: '4k/150', message: /over 100/ });
    optErr(() => parseArgs(['--bs=4k/x:8k']), { code: 'bad-value', option: 'bs', value: '4k/x:8k', message: /bad split percentage 'x'/ });
    optErr(() => parseArgs(['--bs=4k/10/20']), { code: 'bad-value', option: 'bs', value: '4k/10/20', message: /bad split entry/ });
  });

  it('bs range and zero sizes are checked', () => {
    optErr(() => parseArgs(['--bs=128k-4k']), { code: 'out-of-range', option: 'bs', value: '128k-4k', message: /minimum is larger/ });
    optErr(() => parseArgs(['--bs=0']), { code: 'out-of-range', option: 'bs', value: '0', message: /block size must be > 0/ });
    optErr(() => parseArgs(['--bs=4q-8k']), { code: 'bad-value', option: 'bs', value: '4q-8k', message: /bad size suffix 'q'/ });
  });

  it('unknown enum values list the allowed ones', () => {
    optErr(() => parseArgs(['--rw=randomread']), {
      code: 'bad-enum', option: 'rw', value: 'randomread',
      message: /'randomread' is not one of: read, write, randread, randwrite, rw, randrw, readwrite/,
    });
    optErr(() => parseArgs(['--policy', 'linux-4.0']), {
      code: 'bad-enum', option: 'policy', value: 'linux-4.0', message: /linux-5\.10, cpu-flush, scaled-depot, linux-6\.4, adaptive/,
    });
    optErr(() => parseArgs(['--output-format=xml']), { code: 'bad-enum', option: 'output-format', value: 'xml', message: /normal, json, json\+/ });
  });

  it('missing values: at the end, empty after =, or followed by another option', () => {
    optErr(() => parseArgs(['--bs']), { code: 'missing-value', option: 'bs', value: '', message: /--bs requires a value/ });
    optErr(() => parseArgs(['--name=']), { code: 'missing-value', option: 'name', value: '', message: /--name requires a value/ });
    optErr(() => parseArgs(['--iodepth', '--numjobs=2']), {
      code: 'missing-value', option: 'iodepth', value: '', message: /requires a value/,
    });
  });

  it('ranges, powers of two, integers and booleans', () => {
    optErr(() => parseArgs(['--rwmixread=101']), {
      code: 'out-of-range', option: 'rwmixread', value: '101', message: /must be between 0 and 100/,
    });
    optErr(() => parseArgs(['--granule=3000']), { code: 'out-of-range', option: 'granule', value: '3000', message: /power of two/ });
    optErr(() => parseArgs(['--numjobs=1.5']), { code: 'bad-value', option: 'numjobs', value: '1.5', message: /not an integer/ });
    optErr(() => parseArgs(['--seed=-3']), { code: 'out-of-range', option: 'seed', value: '-3', message: /between 0 and 4294967295/ });
    optErr(() => parseArgs(['--iodepth=4q']), { code: 'bad-value', option: 'iodepth', value: '4q', message: /bad size suffix 'q'/ });
    optErr(() => parseArgs(['--time_based=maybe']), { code: 'bad-value', option: 'time_based', value: 'maybe', message: /not a boolean/ });
    optErr(() => parseArgs(['--cpus=0']), { code: 'out-of-range', option: 'cpus', value: '0', message: /between 1 and 1024/ });
  });
});

describe('help from the table', () => {
  it('helpText lists every option with its default', () => {
    const h = helpText();
    for (const o of OPTIONS) expect(h, o.name).toContain(`--${o.name}`);
    expect(h).toMatch(/--iodepth=int +Number of I\/Os .*\(default: 1, range: 1-65536\)/);
    expect(h).toMatch(/--cpus=int .*\(default: one per job clone/);
    expect(h).toMatch(/--granule=size .*\(default: 4k/);
    expect(h).toMatch(/--fq_timeout=time .*\(default: 10ms/);
    expect(h).toContain('read|write|randread|randwrite|rw|randrw|readwrite');
  });

  it('cmdHelp shows one option in fio\'s layout', () => {
    const h = cmdHelp('rw');
    expect(h).toContain(`${'rw'.padStart(20)}: I/O pattern`);
    expect(h).toContain(`${'alias'.padStart(20)}: readwrite`);
    expect(h).toContain(`${'default'.padStart(20)}: read`);
    expect(h).toContain(`${'valid values'.padStart(20)}: read\n${''.padStart(20)}: write\n`);
    expect(cmdHelp('rwmixread')).toContain(`${'range'.padStart(20)}: min=0, max=100`);
    expect(cmdHelp('policy')).toContain('whole run');
  });

  it('cmdHelp of an unknown name suggests the closest, or says nothing more', () => {
    expect(cmdHelp('iodeth')).toMatch(/^No such command: iodeth - showing closest match\n +iodepth: /);
    expect(cmdHelp('qqqqqqqqqqqqqq')).toBe('No such command: qqqqqqqqqqqqqq\n');
  });

  it('cmdHelp all covers every option', () => {
    const all = cmdHelp('all');
    for (const o of OPTIONS) expect(all).toContain(`${o.name.padStart(20)}: ${o.help}`);
    expect(findOption('BLOCKSIZE')?.name).toBe('bs');
  });
});
