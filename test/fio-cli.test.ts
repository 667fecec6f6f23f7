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
    ['iodepth 0', ['--name=t', '--iodepth=0', '--number_ios=10'], /--iodepth must be >= 1 \(got '0'\)/],
    ['negative runtime', ['--name=t', '--runtime=-5'], /--runtime: must not be negative \(got '-5'\)/],
    ['bad enum', ['--name=t', '--completion=elsewhere', '--number_ios=10'], /'elsewhere' is not one of: same, other, single/],
    ['no end', ['--name=t'], /no --runtime, --size or --number_ios/],
    ['negative device latency', ['--name=t', '--number_ios=10', '--device_lat=-1'], /--device_lat: must not be negative \(got '-1'\)/],
    ['no jobs', ['--iodepth=4'], /no jobs defined/],
    ['virtual with a count bound', ['--clock=virtual', '--name=t', '--number_ios=10'], /--clock virtual runs for a --runtime only.*number_ios=10/],
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
    expect(r.err).toMatch(/cannot read job file '.*nope\.fio'/);
  });

  it('--help and --cmdhelp exit 0', () => {
    const h = fio(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('--device_lat');
    expect(fio(['--cmdhelp=fq_size']).out).toContain('fq_size: Flush queue entries per CPU');
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
    const r = fio(['--name=w', '--numjobs=2', '--iodepth=4', '--runtime=0.8', '--time_based', '--status-interval=0.2', `--output=${out}`]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Jobs: 2 \(f=2\): \[RR\] .* cpu_total=\d+ depot_total=\d+ total=\d+ tree=\d+$/m);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^w: \(g=0\): rw=read, bs=4k/);
    expect(text).toMatch(/^w: \(groupid=0, jobs=1\): err= 0/m);
    expect(text).toContain('Run status group 0 (all jobs):');
    expect(text).toMatch(/books: ok/);
  });

  it('SIGINT mid-run: summary of what ran, clean exit 130', async () => {
    const child = spawn(process.execPath, [CLI, 'fio', '--name=s', '--numjobs=3', '--iodepth=16', '--runtime=60', '--time_based',
      '--mode=non-strict', '--completion=other', '--status-interval=0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sent = false;
    const t0 = Date.now();
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!sent && /^Jobs: 3 .*\[RRR\]/m.test(out)) {
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
