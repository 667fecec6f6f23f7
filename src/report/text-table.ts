// Plain-text tables that fit a terminal: the first column left-aligned, the
// rest right-aligned, cells wrapped at spaces when the natural widths do not
// fit. One renderer for the summary, the calibration and the ablations.

/** Control characters in a cell would break the layout. */
export const cleanCell = (cell: string): string => cell.replace(/[\x00-\x1f\x7f]/g, "?");

/** Splits `text` into lines of at most `width` characters, at spaces when it can. */
export function wrapCell(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let w = word;
    while (w.length > width) {
      if (line) { out.push(line); line = ""; }
      out.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += " " + w;
    else { out.push(line); line = w; }
  }
  if (line) out.push(line);
  return out;
}

export interface TextTableOptions {
  /** Lines of header: each an array of cells (several lines for stacked headings). */
  header: string[][];
  rows: string[][];
  /** Total width to fit (default 80). */
  maxWidth?: number;
  /** Right-align every column but the first (numbers); default true. */
  alignRight?: boolean;
}

/** Renders the table; every line is at most maxWidth characters when the columns allow it. */
export function textTable(o: TextTableOptions): string {
  const maxWidth = o.maxWidth ?? 80;
  const gap = 2;
  const cols = Math.max(...o.header.map((h) => h.length), ...o.rows.map((r) => r.length));
  const cell = (r: string[], c: number): string => cleanCell(r[c] ?? "");
  const natural = Array.from({ length: cols }, (_, c) =>
    Math.max(1, ...o.header.map((h) => cell(h, c).length), ...o.rows.map((r) => cell(r, c).length)));
  // Shrink the widest columns first until the table fits (never below 8;
  // the first column, which names the row, keeps its width).
  const widths = [...natural];
  const total = (): number => widths.reduce((a, b) => a + b, 0) + gap * (cols - 1);
  while (total() > maxWidth && cols > 1) {
    let widest = 1;
    for (let c = 2; c < cols; c++) if (widths[c]! > widths[widest]!) widest = c;
    if (widths[widest]! <= 8) break;
    widths[widest]!--;
  }
  const right = o.alignRight ?? true;
  const renderRow = (r: string[]): string[] => {
    const wrapped = widths.map((w, c) => wrapCell(cell(r, c), w));
    const h = Math.max(...wrapped.map((x) => x.length));
    const lines: string[] = [];
    for (let k = 0; k < h; k++) {
      lines.push(widths.map((w, c) => {
        const t = wrapped[c]![k] ?? "";
        return c === 0 || !right ? t.padEnd(w) : t.padStart(w);
      }).join(" ".repeat(gap)).trimEnd());
    }
    return lines;
  };
  const sep = widths.map((w) => "-".repeat(w)).join(" ".repeat(gap));
  return [...o.header.flatMap(renderRow), sep, ...o.rows.flatMap(renderRow)].join("\n") + "\n";
}
