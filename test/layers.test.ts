// The host's layers (docs/architecture.md, "Layers of src/"): every import
// in src/ runs down, never up or sideways between two parts of one layer,
// so that sim/ and fio/ (the two clocks) do not import each other and each
// concept has one home. The test reads the sources, not dist/, and names
// every offending import by file and line.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..', 'src');

/** Bottom first. A part is a directory of src/ or a file at its top. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'validate.ts', 'version.ts', 'util', 'types'],
  ['wasm'],
  ['domain'],
  ['arena', 'workers', 'replay', 'report'],
  ['load'],
  ['sim'],
  ['options'],
  ['fio', 'study'],
  ['fio-virtual'],
  ['cli'],
  ['index.ts', 'browser.ts'],
];

const rankOf = new Map<string, number>();
LAYERS.forEach((parts, r) => parts.forEach((p) => rankOf.set(p, r)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mts)$/.test(name) ? [p] : [];
  });
}

/** The part of src/ a path (relative to src/) is in. */
const partOf = (rel: string): string => rel.split(/[\\/]/)[0]!;

interface Edge { file: string; line: number; from: string; to: string; spec: string }

/** Every relative import, export-from and dynamic import() of a file. */
function edges(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const out: Edge[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1]!;
    const target = relative(SRC, normalize(join(dirname(file), spec)));
    if (target.startsWith('..')) continue;  // outside src/ (none today)
    out.push({
      file: relative(SRC, file), line: text.slice(0, m.index).split('\n').length,
      from: partOf(relative(SRC, file)), to: partOf(target), spec,
    });
  }
  return out;
}

const all = sources(SRC).flatMap(edges);
const where = (e: Edge): string => `src/${e.file}:${e.line} imports '${e.spec}' (${e.from} -> ${e.to})`;

describe('layers of src/', () => {
  it('every part of src/ has a layer', () => {
    const parts = new Set(readdirSync(SRC).filter((n) => !n.endsWith('.md')));
    expect([...parts].filter((p) => !rankOf.has(p))).toEqual([]);
  });

  it('found the imports (the scan works)', () => {
    expect(all.length).toBeGreaterThan(200);
    expect(all.some((e) => e.from === 'sim' && e.to === 'load')).toBe(true);
  });

  it('sim/ and fio/ do not import each other', () => {
    const bad = all.filter((e) => (e.from === 'sim' && e.to === 'fio') || (e.from === 'fio' && e.to === 'sim'));
    expect(bad.map(where)).toEqual([]);
  });

  it('no import runs up a layer or sideways within one', () => {
    const bad = all.filter((e) => e.from !== e.to && rankOf.get(e.to)! >= rankOf.get(e.from)!);
    expect(bad.map(where)).toEqual([]);
  });

  it('worker threads are started one way: only src/workers/thread.ts calls new Worker()', () => {
    const starters = sources(SRC).filter((f) => /\bnew\s+Worker\s*\(/.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
    expect(starters).toEqual([join('workers', 'thread.ts')]);
  });

  it('docs/architecture.md shows the same layers', () => {
    const doc = readFileSync(join(__dirname, '..', 'docs', 'architecture.md'), 'utf8');
    LAYERS.forEach((parts, r) => {
      const row = `| ${r} | ${parts.map((p) => `\`${p.endsWith('.ts') ? p : `${p}/`}\``).join(' ')} |`;
      expect(doc, `layer row: ${row}`).toContain(row);
    });
  });
});
