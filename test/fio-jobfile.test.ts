import { describe, expect, it } from 'vitest';
import { FioJobFileError, FioOptionError } from '../dist/src/fio/errors.js';
import { collectJobs, parseJobFile } from '../dist/src/fio/jobfile.js';
import { parseArgs } from '../dist/src/fio/options.js';

function fileErr(
  fn: () => unknown,
  want: { line: number; text: string; option: string; value: string; message: RegExp; file?: string },
): FioJobFileError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FioJobFileError);
  const e = caught as FioJobFileError;
  expect(e.name).toBe('FioJobFileError');
  expect(e.file).toBe(want.file ?? 'test.fio');
  expect(e.line).toBe(want.line);
  expect(e.text).toBe(want.text);
  expect(e.option).toBe(want.option);
  expect(e.value).toBe(want.value);
  expect(e.message).toMatch(want.message);
  // The message locates the problem: file:line, and shows the line.
  expect(e.message).toContain(`${want.file ?? 'test.fio'}:${want.line}: `);
  expect(e.message).toContain(want.text);
  return e;
}

const BASIC = `; -- start job file --
# a comment in the other style
[global]
rw=randread
size = 128m
bs=8k
time_based

[job1]
iodepth=4

[job2]
  rw=write
bs=4k/50:64k/50
; -- end job file --
`;

describe('parseJobFile', () => {
  it('reads sections, comments, blank lines, spaces, and bare booleans', () => {
    const r = parseJobFile(BASIC, 'test.fio');
    expect(r.jobs.map((j) => j.name)).toEqual(['job1', 'job2']);
    const [a, b] = r.jobs;
    expect([a!.rw, a!.size, a!.bs, a!.timeBased, a!.iodepth]).toEqual(['randread', 134217728, { kind: 'fixed', bytes: 8192 }, true, 4]);
    expect([b!.rw, b!.size, b!.timeBased, b!.iodepth]).toEqual(['write', 134217728, true, 1]);
    expect(b!.bs).toEqual({ kind: 'split', entries: [{ bytes: 4096, percent: 50 }, { bytes: 65536, percent: 50 }] });
    expect(r.global.rw).toBe('randread');
    expect(r.globalSet).toEqual({
      rw: 'randread', size: 134217728, bs: { kind: 'fixed', bytes: 8192 }, bsWrite: { kind: 'fixed', bytes: 8192 }, timeBased: true,
    });
  });

  it('takes CRLF line ends and a file without [global]', () => {
    const r = parseJobFile('[random-writers]\r\niodepth=4\r\nrw=randwrite\r\nbs=32k\r\nnumjobs=4\r\n', 'test.fio');
    expect(r.jobs).toHaveLength(1);
    expect(r.jobs[0]).toMatchObject({ name: 'random-writers', iodepth: 4, rw: 'randwrite', numjobs: 4, cpus: 4 });
  });

  it('name= inside a section renames the job', () => {
    expect(parseJobFile('[a]\nname=renamed\n').jobs[0]!.name).toBe('renamed');
  });

  it('layers as fio: defaults < file [global] < job section < the command line', () => {
    const cli = parseArgs(['--iodepth=4', '--bs=8k', 'test.fio']);
    const r = parseJobFile('[global]\nbs=16k\nrw=write\nruntime=900\n[a]\nnumjobs=3\nbs=32k\n[b]\n', 'test.fio', cli.globalSet);
    const [a, b] = r.jobs;
    expect(a!.iodepth).toBe(4); // command line
    expect(a!.bs).toEqual({ kind: 'fixed', bytes: 8192 }); // the command line wins over the section and [global]
    expect(b!.bs).toEqual({ kind: 'fixed', bytes: 8192 });
    expect(a!.rw).toBe('write'); // the file's [global] where the command line says nothing
    expect(a!.numjobs).toBe(3); // the section over [global] and the defaults
    expect(b!.numjobs).toBe(1);
    expect(r.global.iodepth).toBe(4);
    expect(r.global.bs).toEqual({ kind: 'fixed', bytes: 8192 });
    // `fio --runtime=3 job.fio` runs 3 s whatever the file says (issue 14).
    const short = parseJobFile('[global]\nruntime=900\n[a]\nruntime=600\n', 'test.fio', parseArgs(['--runtime=3']).globalSet);
    expect(short.jobs[0]!.runtimeMs).toBe(3000);
  });

  it('a [global] after a job only changes the jobs after it (job options)', () => {
    const r = parseJobFile('[a]\n[global]\niodepth=8\n[b]\n', 'test.fio');
    expect(r.jobs.map((j) => j.iodepth)).toEqual([1, 8]);
  });

  it('run-wide options from any [global] apply to every job', () => {
    const r = parseJobFile('[a]\n[global]\npolicy=scaled-depot\ngranule=8k\n[b]\n', 'test.fio');
    expect(r.jobs.map((j) => [j.policy, j.granule])).toEqual([['scaled-depot', 8192], ['scaled-depot', 8192]]);
  });

  it('cpus follows each job\'s numjobs unless [global] sets it', () => {
    expect(parseJobFile('[a]\nnumjobs=3\n[b]\n').jobs.map((j) => j.cpus)).toEqual([3, 1]);
    expect(parseJobFile('[global]\ncpus=16\n[a]\nnumjobs=3\n').jobs[0]!.cpus).toBe(16);
  });
});

describe('collectJobs', () => {
  it('runs command-line jobs first, then each file\'s jobs, all over the command-line globals', () => {
    const args = parseArgs(['--iodepth=2', '--name=cli', 'one.fio', 'two.fio']);
    const r = collectJobs(args, [
      { file: 'one.fio', text: '[global]\npolicy=cpu-flush\n[x]\nrw=write\n' },
      { file: 'two.fio', text: '[y]\nbs=64k\n' },
    ]);
    expect(r.jobs.map((j) => [j.name, j.iodepth, j.policy])).toEqual([
      ['cli', 2, 'cpu-flush'],
      ['x', 2, 'cpu-flush'],
      ['y', 2, 'cpu-flush'],
    ]);
    expect(r.jobs[2]!.bs).toEqual({ kind: 'fixed', bytes: 65536 });
    expect(r.global.policy).toBe('cpu-flush');
    // The second file does not see the first file's job-level [global] values.
    const s = collectJobs(parseArgs([]), [
      { file: 'one.fio', text: '[global]\nrw=write\n[x]\n' },
      { file: 'two.fio', text: '[y]\n' },
    ]);
    expect(s.jobs.map((j) => j.rw)).toEqual(['write', 'read']);
  });

  it('reports errors with the right file name', () => {
    fileErr(() => collectJobs(parseArgs([]), [{ file: 'ok.fio', text: '[a]\n' }, { file: 'bad.fio', text: '[a]\n\nbogus=1' }]), {
      file: 'bad.fio', line: 3, text: 'bogus=1', option: 'bogus', value: '1', message: /unknown option 'bogus'/,
    });
  });
});

describe('parseJobFile errors', () => {
  it('option outside of a section', () => {
    fileErr(() => parseJobFile('; header\n\nbs=4k\n[a]\n', 'test.fio'), {
      line: 3, text: 'bs=4k', option: 'bs', value: '4k', message: /option 'bs' outside of a \[section\]/,
    });
  });

  it('unknown key, with a suggestion', () => {
    fileErr(() => parseJobFile('[global]\nrw=read\n[a]\n  iodeth=4\n', 'test.fio'), {
      line: 4, text: '  iodeth=4', option: 'iodeth', value: '4', message: /unknown option 'iodeth'; did you mean 'iodepth'\?/,
    });
  });

  it('bad value, reusing the table\'s validation', () => {
    const e = fileErr(() => parseJobFile('[a]\nbs=4q\n', 'test.fio'), {
      line: 2, text: 'bs=4q', option: 'bs', value: '4q', message: /bad size suffix 'q'/,
    });
    expect(e.cause).toBeInstanceOf(FioOptionError);
    expect((e.cause as FioOptionError).code).toBe('bad-value');
    fileErr(() => parseJobFile('[a]\niodepth=0\n', 'test.fio'), {
      line: 2, text: 'iodepth=0', option: 'iodepth', value: '0', message: /must be between 1 and 65536/,
    });
    fileErr(() => parseJobFile('[a]\nruntime=-10\n', 'test.fio'), {
      line: 2, text: 'runtime=-10', option: 'runtime', value: '-10', message: /must not be negative/,
    });
    fileErr(() => parseJobFile('[a]\nbs=4k/60:8k/60\n', 'test.fio'), {
      line: 2, text: 'bs=4k/60:8k/60', option: 'bs', value: '4k/60:8k/60', message: /add up to 120/,
    });
    fileErr(() => parseJobFile('[a]\nrw=sideways\n', 'test.fio'), {
      line: 2, text: 'rw=sideways', option: 'rw', value: 'sideways', message: /not one of: read, write/,
    });
  });

  it('bare key that is not a boolean is a missing value; so is an empty value', () => {
    fileErr(() => parseJobFile('[a]\nbs\n', 'test.fio'), {
      line: 2, text: 'bs', option: 'bs', value: '', message: /option 'bs' requires a value/,
    });
    fileErr(() => parseJobFile('[a]\niodepth=\n', 'test.fio'), {
      line: 2, text: 'iodepth=', option: 'iodepth', value: '', message: /requires a value/,
    });
  });

  it('run-wide options belong in [global]; output options on the command line', () => {
    fileErr(() => parseJobFile('[a]\npolicy=adaptive\n', 'test.fio'), {
      line: 2, text: 'policy=adaptive', option: 'policy', value: 'adaptive', message: /applies to the whole run; set it in \[global\]/,
    });
    fileErr(() => parseJobFile('[global]\noutput-format=json\n', 'test.fio'), {
      line: 2, text: 'output-format=json', option: 'output-format', value: 'json', message: /only be given on the command line/,
    });
  });

  it('empty section name', () => {
    fileErr(() => parseJobFile('[ ]\n', 'test.fio'), { line: 1, text: '[ ]', option: '', value: '', message: /empty section name/ });
  });

  it('defaults the file name', () => {
    fileErr(() => parseJobFile('x=1'), { file: '<jobfile>', line: 1, text: 'x=1', option: 'x', value: '1', message: /outside of a \[section\]/ });
  });
});

describe('real fio job files (issue 14)', () => {
  it('inline ; and # comments end the value', () => {
    const r = parseJobFile('[global]\nnumjobs=4 ; four jobs\nbs=8k# eight\n[a]\niodepth = 2   ;  two\n', 'test.fio');
    expect(r.jobs[0]).toMatchObject({ numjobs: 4, iodepth: 2, bs: { kind: 'fixed', bytes: 8192 } });
  });

  it('fio\'s other options are accepted and kept as given; bare switches read as 1', () => {
    const r = parseJobFile('[global]\nioengine=libaio\ndirect=1\ngtod_reduce\n[a]\nfilename=/dev/nvme0n1\nnumber_ios=10\n', 'test.fio');
    expect(r.jobs[0]!.ignored).toEqual({ ioengine: 'libaio', direct: '1', gtod_reduce: '1', filename: '/dev/nvme0n1' });
  });

  it('include splices a file into the section, relative to the including file', () => {
    const files: Record<string, string> = { 'dir/common.fio': 'iodepth=8\nbs=16k ; common\n', 'dir/nested.fio': 'include common.fio\nrw=write\n' };
    const read = (path: string, from: string) => {
      const file = path in files ? path : `${from.replace(/[^/]*$/, '')}${path}`;
      if (!(file in files)) throw new Error('no such file');
      return { file, text: files[file]! };
    };
    const r = parseJobFile('[a]\ninclude nested.fio\nnumjobs=2\n', 'dir/main.fio', {}, read);
    expect(r.jobs[0]).toMatchObject({ iodepth: 8, rw: 'write', numjobs: 2, bs: { kind: 'fixed', bytes: 16384 } });
    // An include chain that loops stops with a located error; an included file may not open sections.
    files['dir/loop.fio'] = 'include loop.fio\n';
    fileErr(() => parseJobFile('[a]\ninclude loop.fio\n', 'dir/main.fio', {}, read), {
      file: 'dir/loop.fio', line: 1, text: 'include loop.fio', option: 'include', value: 'loop.fio', message: /nested more than 8 deep/,
    });
    files['dir/sect.fio'] = '[b]\n';
    fileErr(() => parseJobFile('[a]\ninclude sect.fio\n', 'dir/main.fio', {}, read), {
      file: 'dir/sect.fio', line: 1, text: '[b]', option: '', value: '', message: /no new sections in included files/,
    });
  });

  it('a second job file starts with a stonewall, as fio separates job files', () => {
    const args = parseArgs(['a.fio', 'b.fio']);
    const c = collectJobs(args, [{ file: 'a.fio', text: '[a]\n[a2]\n' }, { file: 'b.fio', text: '[b]\n[b2]\n' }]);
    expect(c.jobs.map((j) => [j.name, j.stonewall])).toEqual([['a', false], ['a2', false], ['b', true], ['b2', false]]);
  });
});
