// What every subcommand needs from its terminal: to stop quietly when the
// reader of its output goes away (`iova replay ... | head -1`), and live
// lines (redrawn in place with \r) that fit the terminal's width, since a
// line that wraps pushes the display down on every redraw.

/** Columns assumed when the stream is not a terminal or does not say. */
export const DEFAULT_COLUMNS = 80;

/**
 * A write to a pipe whose reader has closed fails with EPIPE; without a
 * listener that error ends the process with a stack trace. The output is
 * unwanted by then, so end at once, quietly, with status 0 (as ripgrep and
 * git do when their pager quits).
 */
export function endQuietlyOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
      throw e;
    });
  }
}

/** Width of the terminal `stream` writes to, or DEFAULT_COLUMNS when that is unknown. */
export function terminalColumns(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY && typeof stream.columns === "number" && stream.columns > 0 ? stream.columns : DEFAULT_COLUMNS;
}

/**
 * `line` cut to at most `columns - 1` characters, ending in "…" when cut.
 * The last column is left free: writing into it makes some terminals wrap
 * at once. For lines without control sequences (live status lines).
 */
export function fitToWidth(line: string, columns: number): string {
  const room = Math.max(1, columns - 1);
  return line.length <= room ? line : `${line.slice(0, room - 1)}…`;
}
