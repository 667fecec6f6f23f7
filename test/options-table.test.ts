// The one option table (src/options/table.ts): every row is well formed,
// its default parses by its own grammar and lands in its taker's record,
// the docs' option lists are the table's, every fio option name is known,
// and the bad values of issue 13 are typed errors naming what was given.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FioOptionError } from '../dist/src/load/option-error.js';
import { OPTION_ROWS, findRow, rowsOf } from '../dist/src/options/table.js';
import { defaultValue, parseRowValue } from '../dist/src/options/row.js';
import { OPTION_DOCS, markdownOptions, spliceDoc, cmdHelp } from '../dist/src/options/help.js';
import { studyDefaults } from '../dist/src/options/defaults.js';
import { FIO_CLI_OPTION_NAMES, FIO_ENGINE_OPTION_NAMES, FIO_JOB_OPTION_NAMES } from '../dist/src/options/fio-names.js';
import { helpText, parseArgs, resolveOptions } from '../dist/src/fio/options.js';
import { makePlan } from '../dist/src/fio/runner/plan.js';
import { agingHelp, parseAgingArgs } from '../dist/src/cli/aging.js';
import { STUDY_DEFAULTS as AGING_DEFAULTS } from '../dist/src/study/index.js';

const fields = (r: { lands?: string | readonly string[] }): string[] =>
  r.lands === undefined ? [] : typeof r.lands === 'string' ? [r.lands] : [...r.lands];

/** Demand a FioOptionError naming `option`, with `message`. */
function refuses(fn: () => unknown, option: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a FioOptionError for --${option}`).toBeInstanceOf(FioOptionError);
  expect((caught as FioOptionError).option).toBe(option);
  expect((caught as FioOptionError).message).toMatch(message);
}

describe('the table', () => {
  it('every row has a name, help, a taker and a way to land its value', () => {
    for (const r of OPTION_ROWS) {
      expect(r.name, JSON.stringify(r)).toMatch(/^[a-z0-9_-]+$/i);
      expect(r.help.length, r.name).toBeGreaterThan(3);
      expect(r.takers.length, r.name).toBeGreaterThan(0);
      expect(r.lands !== undefined || r.cb !== undefined || r.name === 'cpus', r.name).toBe(true);
      if (r.type === 'enum' || r.type === 'list' || r.type === 'kv') expect(r.values?.length, r.name).toBeGreaterThan(0);
    }
  });

  it('names and aliases are unique within each command', () => {
    for (const c of ['fio', 'study'] as const) {
      const seen = new Map<string, string>();
      for (const r of rowsOf(c)) {
        for (const n of [r.name, ...(r.alias ?? [])].map((x) => x.toLowerCase().replace(/-/g, '_'))) {
          expect(seen.get(n), `${c}: ${n}`).toBeUndefined();
          seen.set(n, r.name);
        }
      }
    }
  });

  it('every default is text that the row\'s own grammar parses', () => {
    for (const r of OPTION_ROWS) if (r.def !== undefined) expect(() => defaultValue(r), r.name).not.toThrow();
  });

  it('fio rows land in JobOptions: resolveOptions fills every field', () => {
    const o = resolveOptions() as unknown as Record<string, unknown>;
    for (const r of rowsOf('fio')) for (const f of fields(r)) expect(o[f], `${r.name} -> ${f}`).not.toBeUndefined();
  });

  it('study rows land in the study\'s options; its defaults are the table\'s', () => {
    const d = studyDefaults();
    for (const k of ['cpus', 'jobs', 'iodepth', 'bs', 'completion', 'seconds', 'seed', 'migrateMs', 'intervalMs', 'reclaimIntervalMs']) {
      expect(d[k], k).toBe((AGING_DEFAULTS as Record<string, unknown>)[k]);
    }
    expect(AGING_DEFAULTS).toMatchObject({ cpus: 96, jobs: 12, iodepth: 32, seconds: 300, completion: 'other', reclaimIntervalMs: 250 });
  });

  it('--help of each command lists each of its own rows', () => {
    const h = helpText();
    for (const r of rowsOf('fio')) if (r.category !== 'fio-ignored') expect(h, r.name).toContain(`--${r.name}`);
    const a = agingHelp();
    for (const r of rowsOf('study')) expect(a, r.name).toContain(`--${r.name}`);
  });

  it('the docs\' option lists are generated from the table (npm run docs:options)', () => {
    for (const { path, command } of OPTION_DOCS) {
      const doc = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
      expect(spliceDoc(doc, markdownOptions(command)), `${path} is stale: npm run build && npm run docs:options`).toBe(doc);
    }
  });
});

describe('every fio option name is known', () => {
  it('fio\'s job, engine and command-line names are all accepted by `iova fio`', () => {
    const names = [...FIO_JOB_OPTION_NAMES, ...FIO_ENGINE_OPTION_NAMES, ...FIO_CLI_OPTION_NAMES];
    expect(names.length).toBeGreaterThan(400);
    for (const n of names) expect(findRow('fio', n), n).toBeDefined();
  });

  it('names with no meaning here land, as given, in the job\'s ignored map', () => {
    const r = parseArgs(['--ioengine=libaio', '--name=a', '--direct=1', '--filename=/dev/nvme0n1', '--gtod_reduce', '--runtime=1']);
    expect(r.jobs[0]!.ignored).toEqual({ ioengine: 'libaio', direct: '1', filename: '/dev/nvme0n1', gtod_reduce: '1' });
    expect(cmdHelp('fio', 'ioengine')).toMatch(/accepted, no meaning for an IOVA allocator/);
  });
});

describe('grammar of the new rows', () => {
  it('per-direction values: one sets both, a,b each, an empty side leaves it', () => {
    expect(parseArgs(['--bs=4k,64k']).global).toMatchObject({ bs: { kind: 'fixed', bytes: 4096 }, bsWrite: { kind: 'fixed', bytes: 65536 } });
    expect(parseArgs(['--bsrange=4k-16k']).global.bsWrite).toEqual({ kind: 'range', min: 4096, max: 16384 });
    expect(parseArgs(['--bs=,8k']).global).toMatchObject({ bs: { kind: 'fixed', bytes: 4096 }, bsWrite: { kind: 'fixed', bytes: 8192 } });
    expect(parseArgs(['--rate_iops=1000,500']).global).toMatchObject({ rateIopsRead: 1000, rateIopsWrite: 500 });
    expect(parseArgs(['--rate=1m']).global).toMatchObject({ rateRead: 1 << 20, rateWrite: 1 << 20 });
  });

  it('rwmixwrite sets rwmixread; the later of the two wins, as in fio', () => {
    expect(parseArgs(['--rwmixwrite=30']).global.rwmixread).toBe(70);
    expect(parseArgs(['--rwmixwrite=30', '--rwmixread=10']).global.rwmixread).toBe(10);
  });

  it('percentile_list, cpus_allowed', () => {
    expect(parseArgs(['--percentile_list=50:99.9']).global.percentileList).toEqual([50, 99.9]);
    refuses(() => parseArgs(['--percentile_list=50:101']), 'percentile_list', /between 0 and 100/);
    expect(parseArgs(['--cpus_allowed=3,0-1']).global.cpusAllowed).toEqual([0, 1, 3]);
    refuses(() => parseArgs(['--cpus_allowed=2-1']), 'cpus_allowed', /runs backwards/);
    refuses(() => parseArgs(['--cpus_allowed=x']), 'cpus_allowed', /not a CPU/);
  });

  it('parseRowValue refuses what each grammar cannot read, naming the option as typed', () => {
    refuses(() => parseRowValue(findRow('fio', 'blocksize')!, '4q', 'blocksize'), 'blocksize', /bad size suffix/);
    refuses(() => parseAgingArgs(['--cost', 'walkNodeNs=x']), 'cost', /not a number/);
  });
});

describe('issue 13: bad values are exit-2 errors naming what the user gave', () => {
  it('the examples found', () => {
    refuses(() => parseArgs(['--granule=128k']), 'granule', /--granule must be between 1 and 64k \(got '128k'\)/);
    refuses(() => parseArgs(['--iodepth=99999999999']), 'iodepth', /between 1 and 65536/);
    refuses(() => parseArgs(['--bs=1p']), 'bs', /at most 1g \(got '1p'\)/);
    refuses(() => parseArgs(['--bs=1t']), 'bs', /at most 1g/);
    refuses(() => parseArgs(['--fq_size=99999999']), 'fq_size', /between 2 and 65536/);
    // A ring of one entry holds none: it could never take an unmap (the run never finished).
    refuses(() => parseArgs(['--fq_size=1']), 'fq_size', /between 2 and 65536/);
    refuses(() => parseArgs(['--numjobs=1025']), 'numjobs', /between 1 and 1024/);
    refuses(() => parseAgingArgs(['--bs', '1p']), 'bs', /at most 1g/);
  });

  it('jobs whose clones add up to more CPUs than a domain has name numjobs, not cpus', () => {
    const a = parseArgs(['--numjobs=600', '--number_ios=10', '--name=a', '--name=b']);
    refuses(() => makePlan({ jobs: a.jobs, global: a.global, hostCores: 2 }), 'numjobs', /1200 job clones in all.*at most 1024 CPUs/);
  });

  it('shared memory is bounded before anything is allocated', () => {
    const a = parseArgs(['--name=a', '--number_ios=10', '--bs=1g', '--max_segment=4k']);
    refuses(() => makePlan({ jobs: a.jobs, global: a.global, hostCores: 2 }), 'bs', /262144 segments/);
    const b = parseArgs(['--name=a', '--number_ios=10', '--iodepth=65536', '--numjobs=128']);
    refuses(() => makePlan({ jobs: b.jobs, global: b.global, hostCores: 2 }), 'iodepth', /segments in flight/);
  });
});
