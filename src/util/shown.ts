// User input echoed in a message (a file name, an option's value, a line of
// a job file) goes to a terminal: a control character in it would be obeyed
// there, not shown (ESC [2J clears the screen, a newline fakes a line of
// output, a bidi override reorders the text). shown() writes each such
// character as an escape instead, so the message says what was given.

/** C0 controls, DEL, C1 controls, the Unicode line and paragraph separators and the bidi embeddings, overrides and isolates. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/** `s` with every control character (see CONTROLS) as an escape: \n, \r, \t, \xNN or \uNNNN. */
export function shown(s: string): string {
  return s.replace(CONTROLS, escape);
}
