// stonewall phases and group_reporting on the real clock (src/fio/runner/
// phases.ts, groups.ts): phases run one after another on one domain,
// groups follow fio's numbering, group_reporting folds a group into one
// result, and the books hold over the whole run.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../dist/src/fio/options.js';
import { parseJobFile } from '../dist/src/fio/jobfile.js';
import { groupIds, phasesOf, runPhases } from '../dist/src/fio/runner/phases.js';
import { jsonDocument, normalText } from '../dist/src/fio/runner/report.js';

const jobs = (text: string) => parseJobFile(text, 'phases.fio', parseArgs(['--status-interval=0']).globalSet);

describe('phases and groups, as fio numbers them', () => {
  it('a stonewall starts a phase and a group; new_group only a group', () => {
    const r = jobs('[a]\n[b]\nnew_group\n[c]\nstonewall\n[d]\n[e]\nwait_for_previous\nnew_group\n');
    expect(phasesOf(r.jobs)).toEqual([[0, 1], [2, 3], [4]]);
    expect(groupIds(r.jobs)).toEqual([0, 1, 2, 2, 3]);
  });

  it('a stonewall on the first job starts nothing new', () => {
    const r = jobs('[a]\nstonewall\n[b]\n');
    expect(phasesOf(r.jobs)).toEqual([[0, 1]]);
    expect(groupIds(r.jobs)).toEqual([0, 0]);
  });
});

describe('runPhases', () => {
  const FILE = `; a fill phase, then a mixed phase, on one domain
[global]
number_ios=3000
iodepth=8
policy=adaptive
group_reporting

[fill]
numjobs=2
rw=write
bs=64k

[mixed]
stonewall
numjobs=3
rw=randrw
rwmixwrite=25
bs=4k/80:128k/20
`;

  it('runs the phases in order, folds each group, and the books balance', async () => {
    const r = jobs(FILE);
    const o = await runPhases({ jobs: r.jobs, global: r.global });
    expect(o.error).toBeNull();
    expect(o.books.problems).toEqual([]);
    expect(o.books.ok).toBe(true);
    expect(o.books.rangesAfterFlush).toBe(0);
    // One result per group (group_reporting), in phase order.
    expect(o.results.map((j) => [j.name, j.groupid, j.members])).toEqual([['fill', 0, 2], ['mixed', 1, 3]]);
    const [fill, mixed] = o.results;
    expect(fill!.write!.totalIos).toBe(2 * 3000);
    expect(fill!.read).toBeUndefined();
    expect(mixed!.read!.totalIos + mixed!.write!.totalIos).toBe(3 * 3000);
    // rwmixwrite=25: about a quarter writes.
    expect(mixed!.write!.totalIos / 9000).toBeGreaterThan(0.2);
    expect(mixed!.write!.totalIos / 9000).toBeLessThan(0.3);
    // Folded histograms hold every clone's samples.
    expect(fill!.write!.clat!.samples).toBe(6000);
    expect(fill!.iova!.map.samples).toBe(fill!.iova!.unmap.samples);
    // The domain is the largest phase's (3 CPUs), and its counts are both phases'.
    expect(o.domain.cpus).toBe(3);
    expect(o.domain.ios).toBe(15000);
    expect(o.domain.maps).toBe(o.domain.unmaps);
    expect(o.domain.cacheHits + o.domain.cacheMisses).toBeGreaterThan(0);
    expect(fill!.iova!.cacheHits + mixed!.iova!.cacheHits).toBe(o.domain.cacheHits);
    // Normal and JSON reports: one block and one "Run status group" per group.
    const text = normalText(o);
    expect(text).toMatch(/^fill: \(groupid=0, jobs=2\): err= 0/m);
    expect(text).toMatch(/^mixed: \(groupid=1, jobs=3\): err= 0/m);
    expect(text).toContain('Run status group 0 (all jobs):\n  WRITE:');
    expect(text).toContain('Run status group 1 (all jobs):\n   READ:');
    const doc = JSON.parse(JSON.stringify(jsonDocument(o, false))) as { jobs: Array<{ jobname: string; groupid: number }> };
    expect(doc.jobs.map((j) => [j.jobname, j.groupid])).toEqual([['fill', 0], ['mixed', 1]]);
  });

  it('without group_reporting each clone reports, with its group', async () => {
    const r = jobs(FILE.replace('group_reporting\n', ''));
    const o = await runPhases({ jobs: r.jobs, global: r.global });
    expect(o.books.ok).toBe(true);
    expect(o.results.map((j) => [j.name, j.groupid, j.members])).toEqual([
      ['fill', 0, 1], ['fill', 0, 1], ['mixed', 1, 1], ['mixed', 1, 1], ['mixed', 1, 1],
    ]);
  });

  it('an abort in the first phase skips the rest and still closes the books', async () => {
    const r = jobs('[global]\nruntime=60\ntime_based\nstatus-interval=0\n[a]\n[b]\nstonewall\n'.replace('status-interval=0\n', ''));
    const ac = new AbortController();
    const o = await runPhases({
      jobs: r.jobs, global: { ...r.global, statusIntervalMs: 100 }, signal: ac.signal,
      onStatus: (s) => { if (s.iops.read > 0) ac.abort(); },
    });
    expect(o.interrupted).toBe(true);
    expect(o.results.map((j) => j.name)).toEqual(['a']);
    expect(o.books.ok).toBe(true);
    expect(o.books.rangesAfterFlush).toBe(0);
  });
});

describe('per-I/O options the runner honours: bs=r,w, rate, rate_iops, ramp_time', () => {
  const run1 = async (argv: string[]) => {
    const a = parseArgs(['--status-interval=0', ...argv]);
    const o = await runPhases({ jobs: a.jobs, global: a.global });
    expect(o.books.problems).toEqual([]);
    expect(o.books.ok).toBe(true);
    return o;
  };

  it('bs=4k,64k: reads of 4k, writes of 64k', async () => {
    const o = await run1(['--name=d', '--rw=randrw', '--bs=4k,64k', '--number_ios=3000', '--iodepth=8']);
    const j = o.results[0]!;
    expect(j.read!.ioBytes).toBe(j.read!.totalIos * 4096);
    expect(j.write!.ioBytes).toBe(j.write!.totalIos * 65536);
    expect(j.options).toMatchObject({ bs: '4k,64k' });
  });

  it('rate_iops caps each clone\'s I/Os per second; rate its bytes per second', async () => {
    // A cap can only hold I/Os back: at most cap x runtime (+1) are issued, whatever the machine's load.
    const a = await run1(['--name=r', '--rate_iops=400', '--runtime=1', '--time_based', '--iodepth=8']);
    expect(a.results[0]!.read!.totalIos).toBeLessThanOrEqual(401);
    expect(a.results[0]!.read!.totalIos).toBeGreaterThan(100);
    const b = await run1(['--name=r', '--rw=write', '--rate=1m', '--bs=4k', '--runtime=1', '--time_based', '--iodepth=8']);
    expect(b.results[0]!.write!.ioBytes).toBeLessThanOrEqual((1 << 20) + 4096);
    expect(b.results[0]!.write!.totalIos).toBeGreaterThan(50);
    // Uncapped, the same job does far more.
    const c = await run1(['--name=r', '--runtime=0.5', '--time_based', '--iodepth=8']);
    expect(c.results[0]!.read!.totalIos).toBeGreaterThan(2000);
  });

  it('ramp_time: runs first, its I/Os are left out of fio\'s figures and its time out of the runtime', async () => {
    const o = await run1(['--name=p', '--ramp_time=0.4', '--runtime=0.4', '--time_based', '--iodepth=4']);
    const j = o.results[0]!;
    expect(j.read!.runtimeMs).toBeLessThan(1000);
    expect(j.read!.runtimeMs).toBeGreaterThanOrEqual(350);
    // Every I/O was mapped and unmapped; those of the ramp are not in the job's I/O count.
    expect(o.domain.maps).toBe(o.domain.unmaps);
    expect(j.read!.totalIos).toBeLessThan(j.iova!.map.samples);
    expect(j.read!.clat!.samples).toBe(j.read!.totalIos);
  });
});
