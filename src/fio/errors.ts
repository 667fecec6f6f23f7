// Typed errors of the fio option layer. Callers branch on `code` rather than
// on message text; the message is for the human at the terminal.

import { shown } from '../util/shown.js';

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
    // Two lines by design; the file name, the reason and the line's text are escaped each (util/shown.ts).
    super(`${shown(file)}:${line}: ${shown(reason)}\n  ${line} | ${shown(text)}`, { cause: detail.cause });
    this.file = file;
    this.line = line;
    this.text = text;
    this.option = detail.option ?? '';
    this.value = detail.value ?? '';
  }
}

/**
 * What the real-clock runner (runReal) attaches to the domain clock's error
 * when the clock (domain.tick) fails on a domain that is still live (neither
 * poisoned nor destroyed): before it rethrows that error, the run gives back
 * what its dead or failed workers still held (recover.ts), and `recovery`
 * says what that found. `problems` empty: the workers' ranges are back and
 * the domain's books are whole (nothing in doubt gives zero counts and no
 * problems); otherwise each entry names a slot or range the recovery could
 * not account for. The error is the clock's own object, rethrown with this
 * field added (a thrown non-object is wrapped in an Error whose cause it
 * is). On a poisoned or destroyed domain nothing can be given back: the
 * clock's error is rethrown as it was, without `recovery`.
 */
export interface RunClockError extends Error {
  readonly recovery: {
    /** Segments the host unmapped for I/Os the dead workers left in flight. */
    readonly unmapped: number;
    /** Ranges of a dead worker's in-doubt call found held by no one and freed. */
    readonly settled: number;
    readonly problems: readonly string[];
  };
}

