// fio's ini job file: [global] and [job] sections of key=value lines (a bare
// key sets a boolean), ';' or '#' comments (whole lines, and the rest of a
// line after a value, as fio's parse.c strips them), blank lines, and
// `include FILE` (FILE's lines join the current section; relative to the
// including file when not found as given, as fio's init.c does). Values go
// through the same option table as the command line.
//
// Layering: the file's [global] is the base of every job section after it
// (a [global] below a job only affects the jobs after it), and the options
// given on the command line before the job files win over the file, in
// every job (`fio --runtime=3 job.fio` runs 3 s whatever the file says).
// Several job files run one after the other: each file's first job is a
// stonewall, as fio separates them.

import { FioJobFileError, FioOptionError } from './errors.js';
import {
  type JobOptions,
  type ParsedArgs,
  findOption,
  nearestOption,
  resolveOptions,
  runWide,
  setOption,
} from './options.js';

export interface JobFileResult {
  /** Globals after the whole file: defaults, every [global], then the command line. */
  global: JobOptions;
  /**
   * One per job section. Run-wide options (policy, granule, ...) are the
   * final global values in every job, wherever the [global] setting them is.
   */
  jobs: JobOptions[];
  /** Only what the file's [global] sections set. */
  globalSet: Partial<JobOptions>;
}

/** Reads an included file; `from` is the file holding the include line. */
export type IncludeReader = (path: string, from: string) => { file: string; text: string };

/** fio's nesting is one level; a chain this deep is a loop. */
const MAX_INCLUDE_DEPTH = 8;
/** Includes read for one job file: the depth bound alone let 20 includes per level expand to 20^8 lines (a hang). */
const MAX_INCLUDES = 256;

/** The line without its comment: from the first ';' or '#' on (fio strips them from values too). */
const stripComment = (line: string): string => line.replace(/[;#].*$/, '').trim();

interface Line { file: string; no: number; raw: string; text: string }

/** The file's lines, includes spliced in (an included file may not open sections). */
function linesOf(text: string, file: string, readInclude: IncludeReader | undefined, depth: number, budget = { includes: 0 }): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = stripComment(raw);
    if (line === '') return;
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc) {
      const err = (why: string): FioJobFileError => new FioJobFileError(file, idx + 1, raw, why, { option: 'include', value: inc[1]! });
      if (!readInclude) throw err('include is not available here');
      if (depth >= MAX_INCLUDE_DEPTH) throw err(`includes nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
      if (++budget.includes > MAX_INCLUDES) throw err(`more than ${MAX_INCLUDES} includes in all`);
      let f: { file: string; text: string };
      try {
        f = readInclude(inc[1]!.trim(), file);
      } catch (e) {
        throw err(`cannot include '${inc[1]}': ${(e as Error).message}`);
      }
      for (const l of linesOf(f.text, f.file, readInclude, depth + 1, budget)) {
        if (l.text.startsWith('[')) throw new FioJobFileError(l.file, l.no, l.raw, 'no new sections in included files');
        out.push(l);
      }
      return;
    }
    out.push({ file, no: idx + 1, raw, text: line });
  });
  return out;
}

export function parseJobFile(
  text: string,
  file: string = '<jobfile>',
  cliGlobals: Partial<JobOptions> = {},
  readInclude?: IncludeReader,
): JobFileResult {
  const fileGlobal: Partial<JobOptions> = {};
  const jobs: Array<{ globals: Partial<JobOptions>; own: Partial<JobOptions> }> = [];
  let section: Partial<JobOptions> | undefined; // layer being filled
  let inGlobal = false;

  for (const { file: at, no, raw, text: line } of linesOf(text, file, readInclude, 0)) {
    const err = (reason: string, detail?: ConstructorParameters<typeof FioJobFileError>[4]) =>
      new FioJobFileError(at, no, raw, reason, detail);

    const head = /^\[(.*)\]$/.exec(line);
    if (head) {
      const name = head[1]!.trim();
      if (name === '') throw err('empty section name');
      inGlobal = name === 'global';
      if (inGlobal) section = fileGlobal;
      else {
        section = { name };
        jobs.push({ globals: { ...fileGlobal }, own: section });
      }
      continue;
    }

    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : line.slice(eq + 1).trim();
    if (!section) throw err(`option '${key}' outside of a [section]`, { option: key, value: value ?? '' });

    const spec = findOption(key);
    if (!spec) {
      const near = nearestOption(key);
      throw err(`unknown option '${key}'${near ? `; did you mean '${near}'?` : ''}`, { option: key, value: value ?? '' });
    }
    if (spec.scope === 'cli') {
      throw err(`option '${key}' can only be given on the command line`, { option: key, value: value ?? '' });
    }
    if (spec.scope === 'global' && !inGlobal) {
      throw err(`option '${key}' applies to the whole run; set it in [global]`, { option: key, value: value ?? '' });
    }
    const valueText = value ?? (spec.type === 'bool' || spec.category === 'fio-ignored' ? '1' : '');
    if (valueText === '' && spec.category !== 'fio-ignored') throw err(`option '${key}' requires a value`, { option: key, value: '' });
    try {
      setOption(section, spec, valueText, key);
    } catch (e) {
      if (e instanceof FioOptionError) throw err(e.message, { option: key, value: valueText, cause: e });
      throw e;
    }
  }

  const wide = runWide({ ...fileGlobal, ...cliGlobals });
  return {
    global: resolveOptions(fileGlobal, cliGlobals),
    jobs: jobs.map((j) => resolveOptions(j.globals, j.own, cliGlobals, wide)),
    globalSet: fileGlobal,
  };
}

/**
 * Everything fio would run for a command line: the command line's own --name
 * jobs, then each job file's jobs (the command-line globals win over every
 * file; each file after the first starts with a stonewall). `files` holds the
 * contents of `args.positional`, read by the caller.
 */
export function collectJobs(
  args: ParsedArgs,
  files: ReadonlyArray<{ file: string; text: string }>,
  readInclude?: IncludeReader,
): JobFileResult {
  const parsed = files.map((f) => parseJobFile(f.text, f.file, args.globalSet, readInclude));
  parsed.forEach((r, k) => {
    if ((k > 0 || args.jobs.length > 0) && r.jobs[0]) r.jobs[0] = { ...r.jobs[0], stonewall: true };
  });
  const globalSet: Partial<JobOptions> = Object.assign({}, ...parsed.map((r) => r.globalSet));
  const wide = runWide({ ...globalSet, ...args.globalSet });
  const rewide = (j: JobOptions): JobOptions => resolveOptions(j, wide);
  return {
    global: resolveOptions(globalSet, args.globalSet),
    jobs: [...args.jobs, ...parsed.flatMap((r) => r.jobs)].map(rewide),
    globalSet,
  };
}
