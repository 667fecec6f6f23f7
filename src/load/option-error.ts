// The typed error of the option layer (src/options/): every command's
// option parsing throws it. Callers branch on `code` rather than on message
// text; the message is for the human at the terminal. (Named for fio, whose
// grammar every command's options follow.)

import { shown } from '../util/shown.js';

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

  /** The message echoes what was typed: its control characters are shown escaped (util/shown.ts), not obeyed by the terminal. */
  constructor(code: FioOptionErrorCode, option: string, value: string, message: string) {
    super(shown(message));
    this.code = code;
    this.option = option;
    this.value = value;
  }
}
