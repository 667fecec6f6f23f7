// Typed errors of the fio option layer. Callers branch on `code` rather than
// on message text; the message is for the human at the terminal.

export { FioOptionError, type FioOptionErrorCode } from '../load/option-error.js';

/** A job file problem, located by file name and 1-based line number. */
export class FioJobFileError extends Error {
  override readonly name = 'FioJobFileError';
  readonly file: string;
  readonly line: number;
  /** The line as written in the file (untrimmed). */
  readonly text: string;
  /** Option involved, when the problem is an option (else ''). */
  readonly option: string;
  /** Offending value text, when there is one (else ''). */
  readonly value: string;

  constructor(
    file: string,
    line: number,
    text: string,
    reason: string,
    detail: { option?: string; value?: string; cause?: unknown } = {},
  ) {
    super(`${file}:${line}: ${reason}\n  ${line} | ${text}`, { cause: detail.cause });
    this.file = file;
    this.line = line;
    this.text = text;
    this.option = detail.option ?? '';
    this.value = detail.value ?? '';
  }
}
