// `iova fio [options] [jobfile]...`: a fio-like load generator whose I/Os
// are IOVA map/unmap calls (src/fio/runner/). Exit codes: 0 done, 1 the run
// failed (a worker error, or the books did not balance), 2 bad options or
// job file, 130 interrupted (after the summary of what ran).
import { readFileSync, writeFileSync } from 'node:fs';
import { FioJobFileError, FioOptionError } from '../fio/errors.js';
import type { AllocatorState, StatusSnapshot } from '../fio/format.js';
import { collectJobs } from '../fio/jobfile.js';
import { cmdHelp, helpText, parseArgs, type JobOptions } from '../fio/options.js';
import { allocatorLine, statusLine } from '../fio/status.js';
import { makePlan } from '../fio/runner/plan.js';
import { headerText, jsonDocument, normalText } from '../fio/runner/report.js';
import { runReal, type RunOutcome } from '../fio/runner/run.js';
import { runVirtual, simOptionsFor } from '../fio/runner/virtual.js';
import {
  MODEL_DEFAULTS, MODEL_OPTIONS, extractModelArgs, extractModelLines, modelCmdHelp, modelHelp, type ModelOptions,
} from '../fio/runner/model-options.js';
import { availableParallelism } from 'node:os';

export interface FioIo {
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

function usageError(io: FioIo, e: unknown): number {
  if (e instanceof FioOptionError || e instanceof FioJobFileError) {
    io.stderr.write(`fio: ${e.message}\n`);
    return 2;
  }
  throw e;
}

export async function fioCommand(argv: string[], io: FioIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let args;
  let model: ModelOptions;
  try {
    const m = extractModelArgs(argv);
    model = { ...MODEL_DEFAULTS, ...m.set };
    args = parseArgs(m.argv);
  } catch (e) {
    return usageError(io, e);
  }
  if (args.help) {
    io.stdout.write(`${helpText()}\n${modelHelp()}`);
    return 0;
  }
  if (args.cmdhelp !== undefined) {
    const name = args.cmdhelp;
    if (name === 'all') io.stdout.write(`${cmdHelp('all')}\n${MODEL_OPTIONS.map((o) => modelCmdHelp(o.name)).join('\n')}`);
    else io.stdout.write(modelCmdHelp(name) ?? cmdHelp(name));
    return 0;
  }
  const files: Array<{ file: string; text: string }> = [];
  for (const file of args.positional) {
    try {
      files.push({ file, text: readFileSync(file, 'utf8') });
    } catch (e) {
      io.stderr.write(`fio: cannot read job file '${file}': ${(e as Error).message}\n`);
      return 2;
    }
  }
  let jobs: JobOptions[];
  let global: JobOptions;
  let cpus: number | undefined;
  try {
    // The model options of each file's [global], before the file goes to the job parser (a file overrides the command line).
    for (const f of files) {
      const m = extractModelLines(f.text, f.file);
      f.text = m.text;
      Object.assign(model, m.set);
    }
    const c = collectJobs(args, files);
    jobs = c.jobs;
    global = c.global;
    cpus = c.globalSet.cpus ?? args.globalSet.cpus;
    if (jobs.length === 0) {
      throw new FioOptionError('missing-value', 'name', '', 'no jobs defined: give --name=NAME (options after it belong to that job) or a job file');
    }
    // Refuse what cannot run before printing anything.
    if (global.clock === 'virtual') simOptionsFor({ jobs, global, cpus, model });
    else makePlan({ jobs, global, cpus, hostCores: 1, model });
  } catch (e) {
    return usageError(io, e);
  }

  const reportToStdout = global.output === '';
  const normal = global.outputFormat === 'normal';
  // Status lines: never into a JSON document on stdout; eta=always moves them to stderr then.
  let statusOut: FioIo['stdout'] | null = null;
  if (global.eta !== 'never' && global.statusIntervalMs > 0) {
    if (normal || !reportToStdout) statusOut = io.stdout;
    else if (global.eta === 'always') statusOut = io.stderr;
  }
  const tty = !!statusOut?.isTTY;
  let statusShown = false;
  const onStatus = statusOut
    ? (s: StatusSnapshot, a: AllocatorState): void => {
        const alloc = Number.isNaN(a.cpuTotal) ? `cached=${a.total} tree=${a.tree}` : allocatorLine(a);
        const line = `${statusLine(s)} ${alloc}`;
        statusOut!.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
        statusShown = true;
      }
    : undefined;

  const clones = jobs.reduce((a, j) => a + j.numjobs, 0);
  const nCpus = cpus ?? clones;
  let header = '';
  if (normal) {
    let irq = 0;
    if (global.clock === 'real') {
      const plan = makePlan({ jobs, global, cpus, hostCores: availableParallelism(), model });
      irq = plan.workers.length - plan.jobWorkers;
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
      ? runVirtual({ jobs, global, cpus, model, onStatus })
      : await runReal({ jobs, global, cpus, model, signal: ac.signal, onStatus });
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
    text = `${reportToStdout ? '' : header}${reportToStdout ? '\n' : ''}${normalText(outcome)}`;
  } else {
    text = `${JSON.stringify(jsonDocument(outcome, global.outputFormat === 'json+'), null, 2)}\n`;
  }
  if (reportToStdout) io.stdout.write(text);
  else {
    try {
      writeFileSync(global.output, text);
    } catch (e) {
      io.stderr.write(`fio: cannot write --output '${global.output}': ${(e as Error).message}\n`);
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
