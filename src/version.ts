// The package's version, read once from package.json (two folders up from
// dist/src/), so that `--version` and every report say the same thing.
import { readFileSync } from 'node:fs';

export const PACKAGE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
