// `iova fio` as a user runs it: the CLI in a child process. Bad options and
// job files exit 2 naming the offending text; a job file runs; --output
// writes the report; SIGINT mid-run prints the summary and exits 130;
// --clock virtual runs the jobs through the discrete-event engine.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'iova-fio-'));

function fio(args: string[], timeout = 60_000): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'fio', ...args], { encoding: 'utf8', timeout });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('iova fio: bad input exits 2 and names the offending text', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown option', ['--name=t', '--iodeth=4', '--number_ios=10'], /unknown option '--iodeth'; did you mean '--iodepth'\?/],
    ['bad size suffix', ['--name=t', '--bs=4q', '--number_ios=10'], /--bs: bad size suffix 'q'.*'4q'/],
    ['iodepth 0', ['--name=t', '--iodepth=0', '--number_ios=10'], /--iodepth must be between 1 and 65536 \(got '0'\)/],
    ['negative runtime', ['--name=t', '--runtime=-5'], /--runtime: must not be negative \(got '-5'\)/],
    ['bad enum', ['--name=t', '--completion=elsewhere', '--number_ios=10'], /'elsewhere' is not one of: same, other, single/],
    ['no end', ['--name=t'], /no --runtime, --size or --number_ios/],
    ['negative device latency', ['--name=t', '--number_ios=10', '--device_lat=-1'], /--device_lat: must not be negative \(got '-1'\)/],
    ['no jobs', ['--iodepth=4'], /no jobs defined/],
    ['virtual with a count bound', ['--clock=virtual', '--name=t', '--number_ios=10'], /--clock virtual runs for a --runtime only.*number_ios=10/],
    // One mapIo moves at most MAX_BATCH (4096) segments through the view's scratch slot. Before: the plan allowed 16384,
    // so 8192 segments of 64 KiB were refused in every worker at run time ("fio: run failed: ... InvalidArgumentError"), exit 1.
    ['bs over the segments one map holds', ['--name=t', '--bs=512m', '--runtime=1s'], /--bs: job 't': an I\/O of up to 512m maps as 8192 segments of --max_segment=64k, more than 4096/],
    ['a bs range reaching over it', ['--name=t', '--bs=4k/50:257m/50', '--runtime=1s'], /--bs: job 't': an I\/O of up to 257m maps as 4112 segments .*more than 4096/],
    ['bs over it with a small max_segment', ['--name=t', '--bs=16m', '--max_segment=2k', '--runtime=1s'], /maps as 8192 segments of --max_segment=2k, more than 4096/],
  ];
  for (const [what, args, msg] of cases) {
    it(what, () => {
      const r = fio(args);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    });
  }

  it('a bad job file line, with file and line number', () => {
    const f = join(dir, 'bad.fio');
    writeFileSync(f, '[global]\nmode=strict\n\n[j1]\niodepth=4\nbs=64kq\n');
    const r = fio([f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}:6:`);
    expect(r.err).toContain('64kq');
    expect(r.err).toContain('6 | bs=64kq');
  });

  it('a job file bs over the segments one map holds: file-level refusal before the run, exit 2', () => {
    const f = join(dir, 'bigbs.fio');
    writeFileSync(f, '[global]\nruntime=1s\n[big]\nbs=512m\n');
    const r = fio([f]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/--bs: job 'big': an I\/O of up to 512m maps as 8192 segments/);
    expect(r.out).toBe('');
  });

  it('the largest bs that fits (4096 x 64 KiB = 256 MiB) is accepted (parse only)', () => {
    const r = fio(['--name=t', '--bs=256m', '--runtime=1s', '--parse-only']);
    expect(r.code, r.err).toBe(0);
  });

  it('a device model option in a job section (they are run-wide)', () => {
    const f = join(dir, 'dev.fio');
    writeFileSync(f, '[global]\ndevice_bw=1g\n[j]\nnumber_ios=10\ndevice_lat=5us\n');
    const r = fio([f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}:5: option 'device_lat' applies to the whole run; set it in [global]`);
  });

  it('a missing job file', () => {
    const r = fio([join(dir, 'nope.fio')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read job file '.*nope\.fio': no such file/);
  });

  it('--help and --cmdhelp exit 0', () => {
    const h = fio(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('--device_lat');
    expect(fio(['--cmdhelp=fq_size']).out).toContain('fq_size: Flush queue ring entries per CPU');
  });
});

describe('iova fio: real job files and fio\'s commands (issue 14)', () => {
  it('--version, --parse-only and --showcmd exit 0 without running', () => {
    expect(fio(['--version'])).toMatchObject({ code: 0, out: expect.stringMatching(/^iova-wasm-\d+\.\d+\.\d+\n$/) });
    const f = join(dir, 'showcmd.fio');
    writeFileSync(f, '[global]\npolicy=adaptive\nruntime=900 ; long\nioengine=libaio\n[seq]\nrw=write\nbs=64k\n');
    const p = fio(['--parse-only', f]);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toBe('');
    expect(p.err).toBe('fio: ignored here: ioengine\n');
    const s = fio(['--showcmd', '--runtime=3', f]);
    expect(s.code, s.err).toBe(0);
    // The command line's --runtime=3 wins over the file's runtime=900.
    expect(s.out).toBe('fio --policy=adaptive --name=seq --numjobs=1 --runtime=3s --iodepth=1 --bs=64k --rw=write --completion=same ' +
      '--max_segment=64k --dma32_first=0 --ioengine=libaio\n');
  });

  it('bad values exit 2 with a message, before the header (issue 13)', () => {
    for (const a of ['--granule=128k', '--iodepth=99999999999', '--bs=1p', '--fq_size=99999999', '--fq_size=1', '--bs=1t']) {
      const r = fio(['--name=t', '--number_ios=10', a]);
      expect(r.code, `${a}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(new RegExp(`^fio: --${a.slice(2, a.indexOf('='))}`));
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.out).toBe('');
    }
    const n = fio(['--name=t', '--number_ios=10', '--numjobs=1025']);
    expect(n.code).toBe(2);
    expect(n.err).toMatch(/--numjobs/);
    expect(n.err).not.toMatch(/--cpus/);
  });

  it('--output that cannot be written fails at once, before the run', () => {
    const t0 = Date.now();
    const r = fio(['--name=t', '--runtime=20', '--time_based', '--output=/proc/nope/report.txt']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--output: cannot write to '\/proc\/nope\/report.txt'/);
    expect(r.out).toBe('');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('SIGINT stops a --clock=virtual run: it drains, prints what ran, exits 130 (issue 13)', async () => {
    const child = spawn(process.execPath, [CLI, 'fio', '--clock=virtual', '--name=v', '--numjobs=4', '--iodepth=8',
      '--runtime=100000', '--time_based'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    // Wait for the header (the model is running), then interrupt.
    const t0 = Date.now();
    while (!out.includes('Starting') && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, err).toBe(130);
    expect(Date.now() - t0).toBeLessThan(40_000);
    expect(err).toContain('fio: terminating on signal 2');
    expect(out).toMatch(/^v\+?.*: \(groupid=0, jobs=4\): err= 0/m);
    expect(out).toMatch(/books: ok/);
  });

  it('a job file must be a regular file: /dev/zero and a folder are refused at once', () => {
    for (const f of ['/dev/zero', dir]) {
      const r = fio([f], 20_000);
      expect(r.code, f).toBe(2);
      expect(r.err).toContain(`cannot read job file '${f}': not a regular file`);
    }
  });
});

describe('iova fio: runs', () => {
  it('runs a job file (two sections, [global] policy), JSON to stdout', () => {
    const f = join(dir, 'jobs.fio');
    writeFileSync(f, [
      '; two jobs over one domain',
      '[global]',
      'policy=adaptive',
      'mode=non-strict',
      'number_ios=1500',
      'device_lat=50us',
      '',
      '[small]',
      'numjobs=2',
      'iodepth=8',
      'bs=4k',
      'completion=other',
      '',
      '[large]',
      'rw=randwrite',
      'iodepth=4',
      'bs=64k-1m',
      'max_segment=128k',
      '',
    ].join('\n'));
    const r = fio([f, '--output-format=json']);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.jobs.map((j: { jobname: string }) => j.jobname)).toEqual(['small', 'small', 'large']);
    expect(doc.jobs[0].read.total_ios).toBe(1500);
    expect(doc.jobs[2].write.total_ios).toBe(1500);
    expect(doc.jobs[2].read.total_ios).toBe(0);
    expect(doc.jobs[0].read.clat_ns.percentile['99.000000']).toBeGreaterThan(0);
    expect(doc.iova).toMatchObject({ policy: 'adaptive', era: 'v6.x', mode: 'non-strict', cpus: 3, ios: 4500, books: { ok: true } });
    expect(doc.iova.maps).toBe(doc.iova.unmaps);
    expect(doc['global options']).toMatchObject({ device_lat: '50us', device_bw: '2g', iotlb_lat: '2us' });
    expect(doc.jobs[0].read.clat_ns.min).toBeGreaterThan(50_000);
  });

  it('normal output to a file with --output, status lines on a non-TTY stdout', () => {
    const out = join(dir, 'report.txt');
    const r = fio(['--name=w', '--numjobs=2', '--iodepth=4', '--runtime=0.8', '--time_based', '--status-interval=0.2', `--output=${out}`,
      '--eta=always']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Jobs: 2 \(f=2\): \[R\(2\)\]\[[\d.]+%\]\[r=\S+B\/s\]\[r=\S+ IOPS\]\[eta \S+\] cpu_total=\d+ depot_total=\d+ total=\d+ tree=\d+$/m);
    // Without --eta=always a stdout that is not a terminal gets no status lines (fio's eta=auto).
    const quiet = fio(['--name=w', '--iodepth=4', '--runtime=0.5', '--time_based', '--status-interval=0.1', `--output=${out}`]);
    expect(quiet.code, quiet.err).toBe(0);
    expect(quiet.out).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^w: \(g=0\): rw=read, bs=4k/);
    expect(text).toMatch(/^w: \(groupid=0, jobs=1\): err= 0/m);
    expect(text).toContain('Run status group 0 (all jobs):');
    expect(text).toMatch(/books: ok/);
  });

  it('SIGINT mid-run: summary of what ran, clean exit 130', async () => {
    const child = spawn(process.execPath, [CLI, 'fio', '--name=s', '--numjobs=3', '--iodepth=16', '--runtime=60', '--time_based',
      '--mode=non-strict', '--completion=other', '--status-interval=0.2', '--eta=always'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sent = false;
    const t0 = Date.now();
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!sent && /^Jobs: 3 .*\[R\(3\)\]/m.test(out)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent).toBe(true);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(code, err).toBe(130);
    expect(err).toContain('fio: terminating on signal 2');
    expect(out).toMatch(/^s: \(groupid=0, jobs=1\): err= 0/m);
    expect(out).toContain('Run status group 0 (all jobs):');
    expect(out).toMatch(/books: ok/);
    const runs = [...out.matchAll(/IOPS=.*\/(\d+)msec\)/g)].map((m) => Number(m[1]));
    expect(runs).toHaveLength(3);
    for (const ms of runs) expect(ms).toBeLessThan(20_000);
  });

  it('--clock virtual runs the jobs through the simulation engine', () => {
    const r = fio(['--clock=virtual', '--policy=linux-5.10', '--name=v', '--numjobs=4', '--iodepth=8', '--bs=4k/90:64k/10',
      '--runtime=0.5', '--completion=other', '--output-format=json']);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.iova).toMatchObject({ clock: 'virtual', policy: 'linux-5.10', era: 'v5.10', cpus: 4, books: { ok: true } });
    expect(doc.iova.sim.config.era).toBe('v5.10');
    expect(doc.jobs).toHaveLength(1);
    expect(doc.jobs[0].read.total_ios).toBeGreaterThan(1000);
    expect(doc.jobs[0].read.runtime).toBe(500);
    expect(doc.jobs[0].read.clat_ns.percentile['50.000000']).toBeGreaterThan(0);
    expect(doc.iova.sim.config).toMatchObject({ jobs: 4, iodepth: 8, completion: 'other' });
    // Same seed, same simulated run.
    const again = JSON.parse(fio(['--clock=virtual', '--policy=linux-5.10', '--name=v', '--numjobs=4', '--iodepth=8',
      '--bs=4k/90:64k/10', '--runtime=0.5', '--completion=other', '--output-format=json']).out);
    expect(again.jobs[0].read.total_ios).toBe(doc.jobs[0].read.total_ios);
  });

  it('--era overrides the policy\'s kernel era, in the JSON and the normal report', () => {
    const args = ['--clock=virtual', '--policy=linux-5.10', '--era=v6.x', '--name=v', '--numjobs=2', '--iodepth=4', '--runtime=0.2'];
    const doc = JSON.parse(fio([...args, '--output-format=json']).out);
    expect(doc.iova).toMatchObject({ policy: 'linux-5.10', era: 'v6.x' });
    expect(doc.iova.sim.config.era).toBe('v6.x');
    expect(fio(args).out).toContain('policy=linux-5.10, era=v6.x,');
  });
});

describe('iova fio: job files in the style of fio\'s examples/ (examples/fio/)', () => {
  const ex = (f: string): string => fileURLToPath(new URL(`../examples/fio/${f}`, import.meta.url));

  it('two-phases.fio: stonewall phases, one result and one group summary per group, fio\'s options ignored once', () => {
    // The command line wins over the file's runtime=2: a short run.
    const r = fio(['--runtime=0.4', ex('two-phases.fio'), '--output-format=json']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('fio: ignored here: ioengine, direct, filename\n');
    const doc = JSON.parse(r.out);
    expect(doc.jobs.map((j: { jobname: string; groupid: number }) => [j.jobname, j.groupid])).toEqual([['fill', 0], ['mixed', 1]]);
    expect(doc.jobs[0]['job options']).toMatchObject({ numjobs: '2', runtime: '400ms', ioengine: 'libaio', direct: '1', filename: '/dev/nvme0n1' });
    expect(doc.jobs[0].write.runtime).toBeLessThan(2000);
    expect(doc.jobs[1].read.total_ios).toBeGreaterThan(0);
    expect(doc.jobs[1].write.total_ios).toBeGreaterThan(0);
    expect(doc.iova).toMatchObject({ cpus: 4, policy: 'adaptive', books: { ok: true, ranges_after_flush: 0 } });
  });

  it('per-pattern.fio: four stonewalled jobs sharing settings by include, custom percentiles', () => {
    const r = fio([ex('per-pattern.fio'), '--number_ios=2000']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('fio: ignored here: ioengine, gtod_reduce\n');
    for (const [g, name] of ['seq-read', 'rand-read', 'seq-write', 'rand-write'].entries()) {
      expect(r.out).toMatch(new RegExp(`^${name}: \\(groupid=${g}, jobs=1\\): err= 0`, 'm'));
      expect(r.out).toContain(`Run status group ${g} (all jobs):`);
    }
    expect(r.out).toMatch(/clat percentiles \(usec\):\n +\| 50\.00th=\[ *\d+\], 99\.00th=\[ *\d+\], 99\.90th=\[ *\d+\]\n/);
    expect(r.out).toContain('books: ok');
  });
});
