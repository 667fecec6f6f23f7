// fio's ini job file: [global] and [job] sections of key=value lines (a bare
// key sets a boolean), ';' or '#' comment lines, blank lines. Values go
// through the same option table as the command line.
//
// Layering follows fio's init.c: command-line globals are written into the
// global defaults first, the file's [global] then overrides them, and each
// job section copies the globals as they stand when the section starts (a
// [global] below a job only affects the jobs after it).

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
  /** Globals after the whole file: defaults, command-line globals, every [global]. */
  global: JobOptions;
  /**
   * One per job section. Run-wide options (policy, granule, ...) are the
   * final global values in every job, wherever the [global] setting them is.
   */
  jobs: JobOptions[];
  /** Only what the file's [global] sections set. */
  globalSet: Partial<JobOptions>;
}

// fio treats a line as a comment when its first non-blank is ';' or '#'; no
// inline comments, since values (file names) may contain those characters.
const isBlankOrComment = (line: string): boolean => /^\s*([;#]|$)/.test(line);

export function parseJobFile(
  text: string,
  file: string = '<jobfile>',
  cliGlobals: Partial<JobOptions> = {},
): JobFileResult {
  const fileGlobal: Partial<JobOptions> = {};
  const jobs: Array<{ globals: Partial<JobOptions>; own: Partial<JobOptions> }> = [];
  let section: Partial<JobOptions> | undefined; // layer being filled
  let inGlobal = false;

  text.split(/\r?\n/).forEach((raw, idx) => {
    const lineNo = idx + 1;
    if (isBlankOrComment(raw)) return;
    const line = raw.trim();
    const err = (reason: string, detail?: ConstructorParameters<typeof FioJobFileError>[4]) =>
      new FioJobFileError(file, lineNo, raw, reason, detail);

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
      return;
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
    const valueText = value ?? (spec.type === 'bool' ? '1' : '');
    if (valueText === '') throw err(`option '${key}' requires a value`, { option: key, value: '' });
    try {
      setOption(section, spec, valueText, key);
    } catch (e) {
      if (e instanceof FioOptionError) throw err(e.message, { option: key, value: valueText, cause: e });
      throw e;
    }
  });

  const wide = runWide({ ...cliGlobals, ...fileGlobal });
  return {
    global: resolveOptions(cliGlobals, fileGlobal),
    jobs: jobs.map((j) => resolveOptions(cliGlobals, j.globals, j.own, wide)),
    globalSet: fileGlobal,
  };
}

/**
 * Everything fio would run for a command line: the command line's own --name
 * jobs, then each job file's jobs (every file starts from the command-line
 * globals). `files` holds the contents of `args.positional`, read by the caller.
 */
export function collectJobs(
  args: ParsedArgs,
  files: ReadonlyArray<{ file: string; text: string }>,
): JobFileResult {
  const parsed = files.map((f) => parseJobFile(f.text, f.file, args.globalSet));
  const globalSet: Partial<JobOptions> = Object.assign({}, ...parsed.map((r) => r.globalSet));
  const wide = runWide({ ...args.globalSet, ...globalSet });
  const rewide = (j: JobOptions): JobOptions => resolveOptions(j, wide);
  // cpus defaults from each job's numjobs; keep that unless cpus was set.
  return {
    global: resolveOptions(args.globalSet, globalSet),
    jobs: [...args.jobs, ...parsed.flatMap((r) => r.jobs)].map(rewide),
    globalSet,
  };
}
