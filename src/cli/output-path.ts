// Output paths are checked before a run starts, so that an hour-long study
// never ends in a path it cannot write. Shared by `iova aging` (--out DIR)
// and `iova fio` (--output FILE).
//
// Why not mkdir({ recursive: true }): on Node 20 it never returns for a path
// under /proc (mkdir answers ENOENT, and the recursive walk retries forever),
// so the folder is made one level at a time here, from the deepest ancestor
// that exists.
import { shown } from "../util/shown.js";
import { closeSync, constants, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The path as the user gave it, with why it cannot be used. */
export class OutputPathError extends RangeError {
  override name = "OutputPathError";
  constructor(readonly flag: string, readonly path: string, reason: string) {
    super(`--${flag}: cannot write to '${shown(path)}': ${shown(reason)}`);
  }
}

/** An empty path, or one with a NUL byte (no file system takes it; stat() only says it does not exist). */
function unusable(flag: string, path: string): void {
  if (path === "") throw new OutputPathError(flag, path, "the path is empty");
  if (path.includes("\0")) throw new OutputPathError(flag, path.replace(/\0/g, "\\0"), "a path cannot hold a NUL byte");
}

function statOrNull(p: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code} (${err.message})` : String(err.message ?? e);
}

/**
 * Makes `dir` (and its missing parents) and proves it writable by creating
 * and removing a probe file. Returns the absolute path. Throws
 * OutputPathError naming `--flag` for a path that is a file, under a file,
 * or not writable.
 */
export function prepareOutputDir(flag: string, dir: string): string {
  unusable(flag, dir);
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  for (let s = statOrNull(at); s === null; s = statOrNull(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  const top = statOrNull(at);
  if (top && !top.isDirectory()) {
    throw new OutputPathError(flag, dir, `${at === abs ? "it" : at} exists and is not a directory`);
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw new OutputPathError(flag, dir, `making ${m} failed: ${why(e)}`);
    }
  }
  probeWritable(flag, dir, abs, "the directory is not writable");
  return abs;
}

/**
 * Checks that `file` can be written (created or truncated later): its folder
 * exists and takes new files, and the path itself is not a directory. A
 * character device such as /dev/null or /dev/stdout is fine. Nothing is
 * created or truncated here.
 */
export function checkOutputFile(flag: string, file: string): void {
  unusable(flag, file);
  const s = statOrNull(file);
  if (s?.isDirectory()) throw new OutputPathError(flag, file, "it is a directory");
  if (s) {
    try {
      closeSync(openSync(file, constants.O_WRONLY | constants.O_APPEND));
    } catch (e) {
      throw new OutputPathError(flag, file, why(e));
    }
    return;
  }
  const parent = dirname(resolve(file));
  const ps = statOrNull(parent);
  if (!ps || !ps.isDirectory()) throw new OutputPathError(flag, file, `its folder ${parent} does not exist`);
  probeWritable(flag, file, parent, `its folder ${parent} does not take new files`);
}

/** Creates and removes a probe file in `folder`: the one test of "can write here" that permissions alone do not answer. */
function probeWritable(flag: string, path: string, folder: string, reason: string): void {
  const probe = join(folder, `.iova-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY));
    rmSync(probe);
  } catch (e) {
    throw new OutputPathError(flag, path, `${reason}: ${why(e)}`);
  }
}
