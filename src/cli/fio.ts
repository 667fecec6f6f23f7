// `iova fio [options] [jobfile]...`: a fio-like load generator whose I/Os
// are IOVA map/unmap calls (src/fio/runner/). Exit codes: 0 done, 1 the run
// failed (a worker error, or the books did not balance), 2 bad options or
// job file, 130 interrupted (after the summary of what ran).
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { shown } from '../util/shown.js';
import { FioJobFileError, FioOptionError } from '../fio/errors.js';
import type { AllocatorState, StatusSnapshot } from '../fio/format.js';
import { collectJobs } from '../fio/jobfile.js';
import { cmdHelp, helpText, optionText, parseArgs, type JobOptions, type ParsedArgs } from '../fio/options.js';
import { allocatorLine, statusLine } from '../fio/status.js';
import { phasePlans, runCpus, runPhases } from '../fio/runner/phases.js';
import { headerText, jsonDocument, normalText, VERSION } from '../fio/runner/report.js';
import type { RunOutcome } from '../fio/runner/run.js';
import { runVirtual, simOptionsFor } from '../fio-virtual/run.js';
import { InputFileError, readInputFile } from '../util/input-file.js';
import { OutputPathError, checkOutputFile } from './output-path.js';
import { fitToWidth, terminalColumns } from './terminal.js';

export interface FioIo {
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

/** A job file is text of a few KiB; anything this large is not one. */
const MAX_JOB_FILE_BYTES = 1 << 20;

function usageError(io: FioIo, e: unknown): number {
  if (e instanceof FioOptionError || e instanceof FioJobFileError || e instanceof InputFileError || e instanceof OutputPathError) {
    io.stderr.write(`fio: ${e.message}\n`);
    return 2;
  }
  throw e;
}

/** An include line's file: as given, or else next to the including file (fio's init.c). */
function readInclude(path: string, from: string): { file: string; text: string } {
  const file = existsSync(path) ? path : join(dirname(from), path);
  return { file, text: readInputFile(file, MAX_JOB_FILE_BYTES, 'include file') };
}

/** fio's --showcmd: each job file as the command line that runs the same jobs. */
function showcmd(global: JobOptions, jobs: readonly JobOptions[]): string {
  const opt = (o: Record<string, string>): string => Object.entries(o).map(([k, v]) => ` --${k}=${v}`).join('');
  let out = `fio${opt(optionText(global, 'global', true))}`;
  for (const j of jobs) out += ` --name=${j.name}${opt(optionText(j, 'job'))}`;
  return `${out}\n`;
}

export async function fioCommand(argv: string[], io: FioIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    return usageError(io, e);
  }
  if (args.help) {
    io.stdout.write(helpText());
    return 0;
  }
  if (args.cmdhelp !== undefined) {
    io.stdout.write(cmdHelp(args.cmdhelp));
    return 0;
  }
  if (args.global.version) {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let jobs: JobOptions[];
  let global: JobOptions;
  let cpus: number | undefined;
  try {
    const files = args.positional.map((file) => ({ file, text: readInputFile(file, MAX_JOB_FILE_BYTES, 'job file') }));
    const c = collectJobs(args, files, readInclude);
    jobs = c.jobs;
    global = c.global;
    cpus = c.globalSet.cpus ?? args.globalSet.cpus;
    if (jobs.length === 0) {
      throw new FioOptionError('missing-value', 'name', '', 'no jobs defined: give --name=NAME (options after it belong to that job) or a job file');
    }
    // Refuse what cannot run before printing anything.
    if (global.clock === 'virtual') simOptionsFor({ jobs, global, cpus });
    else phasePlans({ jobs, global, cpus, hostCores: 1 });
    const ignored = [...new Set(jobs.flatMap((j) => Object.keys(j.ignored)))];
    if (ignored.length > 0) io.stderr.write(`fio: ignored here: ${ignored.join(', ')}\n`);
    if (global.showcmd) {
      io.stdout.write(showcmd(global, jobs));
      return 0;
    }
    if (global.parseOnly) return 0;
    // Checked before the run, so that a path that cannot be written fails at once, not after it.
    if (global.output !== '') checkOutputFile('output', global.output);
  } catch (e) {
    return usageError(io, e);
  }
  return runAndReport(io, jobs, global, cpus);
}

async function runAndReport(io: FioIo, jobs: JobOptions[], global: JobOptions, cpus: number | undefined): Promise<number> {
  const reportToStdout = global.output === '';
  const normal = global.outputFormat === 'normal';
  // Status lines go to stdout, on a terminal only unless eta=always (as fio),
  // and never into a JSON document on stdout (eta=always moves them to stderr then).
  let statusOut: FioIo['stdout'] | null = null;
  if (global.eta !== 'never' && global.statusIntervalMs > 0) {
    statusOut = normal || !reportToStdout ? io.stdout : global.eta === 'always' ? io.stderr : null;
    if (statusOut && global.eta === 'auto' && !statusOut.isTTY) statusOut = null;
  }
  const tty = !!statusOut?.isTTY;
  let statusShown = false;
  const onStatus = statusOut
    ? (s: StatusSnapshot, a: AllocatorState): void => {
        const alloc = Number.isNaN(a.cpuTotal) ? `cached=${a.total} tree=${a.tree}` : allocatorLine(a);
        const line = `${statusLine(s)} ${alloc}`;
        statusOut!.write(tty ? `\r${fitToWidth(line, terminalColumns(statusOut!))}\x1b[K` : `${line}\n`);
        statusShown = true;
      }
    : undefined;

  const clones = jobs.reduce((a, j) => a + j.numjobs, 0);
  const nCpus = global.clock === 'real' ? runCpus(jobs, cpus) : cpus ?? clones;
  let header = '';
  if (normal) {
    let irq = 0;
    if (global.clock === 'real') {
      const plans = phasePlans({ jobs, global, cpus, hostCores: availableParallelism() });
      irq = Math.max(...plans.map((p) => p.workers.length - p.jobWorkers));
    }
    header = headerText(jobs, global, { threads: clones, cpus: nCpus, irq, clock: global.clock });
    if (reportToStdout) io.stdout.write(header);
  }

  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      io.stderr.write(`${tty ? '\n' : ''}fio: terminating on signal ${sig === 'SIGINT' ? 2 : 15}\n`);
      ac.abort();
    } else {
      io.stderr.write('fio: second signal, exiting without a summary\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let outcome: RunOutcome;
  try {
    outcome = global.clock === 'virtual'
      ? await runVirtual({ jobs, global, cpus, onStatus, signal: ac.signal })
      : await runPhases({ jobs, global, cpus, signal: ac.signal, onStatus });
  } catch (e) {
    if (e instanceof FioOptionError || e instanceof FioJobFileError) return usageError(io, e);
    io.stderr.write(`fio: run failed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (tty && statusShown) statusOut!.write('\n');

  let text: string;
  if (normal) {
    text = `${reportToStdout ? '\n' : header}${normalText(outcome)}`;
  } else {
    text = `${JSON.stringify(jsonDocument(outcome, global.outputFormat === 'json+', optionText(global, 'global')), null, 2)}\n`;
  }
  if (reportToStdout) io.stdout.write(text);
  else {
    try {
      writeFileSync(global.output, text);
    } catch (e) {
      io.stderr.write(`fio: cannot write --output '${shown(global.output)}': ${(e as Error).message}\n`);
      return 1;
    }
  }

  if (outcome.error) io.stderr.write(`fio: run failed: ${outcome.error}\n`);
  if (!outcome.books.ok) {
    io.stderr.write(`fio: the books do not balance:\n${outcome.books.problems.map((p) => `  ${p}\n`).join('')}`);
    return 1;
  }
  if (outcome.error) return 1;
  return outcome.interrupted || signals > 0 ? 130 : 0;
}
