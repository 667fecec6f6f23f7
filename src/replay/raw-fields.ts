// The source text of each top-level field of a JSON object line, so that a
// trace's error messages show a value as the file wrote it: JSON.parse
// turns 1e400 into Infinity (JSON.stringify: "null"), -0 into 0 (shown "0")
// and 9007199254740993 into 9007199254740992. Node 20's JSON.parse has no
// source-text access in its reviver, so this scans the line itself. Only
// for lines JSON.parse accepted: it assumes valid JSON.

/** Index just past the JSON string that starts at s[i] (a '"'). */
function skipString(s: string, i: number): number {
  for (i++; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return i + 1;
  }
  return i;
}

/** Index just past the JSON value that starts at s[i] (no leading space). */
function skipValue(s: string, i: number): number {
  if (s[i] === '"') return skipString(s, i);
  if (s[i] === "{" || s[i] === "[") {
    let depth = 0;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '"') { i = skipString(s, i) - 1; continue; }
      if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") { if (--depth === 0) return i + 1; }
    }
    return i;
  }
  while (i < s.length && !",}] \t\r\n".includes(s[i]!)) i++;
  return i;
}

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";

/** Field name -> its value's source text, for a line that JSON.parse read as an object. A repeated name: the last (as JSON.parse). */
export function rawFields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = line.indexOf("{") + 1;
  for (;;) {
    while (isSpace(line[i]) || line[i] === ",") i++;
    if (i >= line.length || line[i] !== '"') return out;
    const keyEnd = skipString(line, i);
    const key = JSON.parse(line.slice(i, keyEnd)) as string;
    i = keyEnd;
    while (isSpace(line[i]) || line[i] === ":") i++;
    const end = skipValue(line, i);
    out.set(key, line.slice(i, end));
    i = end;
  }
}
