// Command-line values of the bench scripts: `--name value`.

/** The value after `--name`, or `fallback` when the flag or its value is absent. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
