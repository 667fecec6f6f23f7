// Reading a file the user named as input (a job file, a trace): only a
// regular file of bounded size, so that `/dev/zero`, a FIFO or a directory
// is refused at once instead of read forever.
import { shown } from './shown.js';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  constructor(readonly path: string, what: string, reason: string) {
    super(`cannot read ${what} '${shown(path)}': ${shown(reason)}`);
  }
}

/** The file's text; throws InputFileError ("cannot read <what> ...") unless it is a regular file of at most `maxBytes`. */
export function readInputFile(path: string, maxBytes: number, what = 'file'): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once (then fstat refuses it) instead of blocking forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new InputFileError(path, what, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputFileError(path, what, 'not a regular file');
    if (st.size > maxBytes) throw new InputFileError(path, what, `${st.size} bytes, more than the ${maxBytes} allowed`);
    // Read at most maxBytes + 1: a file that grows while read is still caught.
    const buf = Buffer.alloc(Math.min(maxBytes, st.size) + 1);
    let n = 0;
    for (let k; n < buf.length && (k = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += k;
    if (n > maxBytes) throw new InputFileError(path, what, `more than the ${maxBytes} bytes allowed`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
