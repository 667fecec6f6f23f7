// An output file the user named (--output): opened for writing before the
// run starts, as fio opens its --output at startup, so a path that cannot
// be written (/proc/x, a missing folder) fails at once and not after the run.
import { closeSync, openSync, writeSync } from 'node:fs';

export class OutputFileError extends Error {
  override readonly name = 'OutputFileError';
  constructor(readonly path: string, reason: string) {
    super(`cannot write '${path}': ${reason}`);
  }
}

export interface OutputFile {
  write(text: string): void;
  close(): void;
}

export function openOutputFile(path: string): OutputFile {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new OutputFileError(path, (e as Error).message);
  }
  return {
    write(text: string): void {
      try {
        const b = Buffer.from(text);
        for (let n = 0; n < b.length;) n += writeSync(fd, b, n);
      } catch (e) {
        throw new OutputFileError(path, (e as Error).message);
      }
    },
    close(): void {
      closeSync(fd);
    },
  };
}
