// Typed errors of the fio option layer. Callers branch on `code` rather than
// on message text; the message is for the human at the terminal.

export type FioOptionErrorCode =
  | 'unknown-option' // no such option (a near name is suggested when one exists)
  | 'missing-value' // option needs a value and got none
  | 'bad-value' // value does not parse as the option's type (size, time, int...)
  | 'out-of-range' // value parses but is outside the option's range
  | 'bad-enum' // value is not one of the allowed words
  | 'bad-split' // bs split percentages do not make 100
  | 'wrong-scope'; // option is not allowed where it was given (job file section)

export class FioOptionError extends Error {
  override readonly name = 'FioOptionError';
  /** Option name without leading dashes, as the user typed it. */
  readonly option: string;
  /**
   * The offending text: the value for value errors, '' for a missing value,
   * and the whole argument (e.g. "--iodeth=4") for an unknown option.
   */
  readonly value: string;
  readonly code: FioOptionErrorCode;

  constructor(code: FioOptionErrorCode, option: string, value: string, message: string) {
    super(message);
    this.code = code;
    this.option = option;
    this.value = value;
  }
}

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
