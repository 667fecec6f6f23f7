// `npm run docs:options`: writes the option lists of the docs from the
// table, between their option markers (test/options-table.test.ts fails
// when a list and the table disagree).
import { readFileSync, writeFileSync } from 'node:fs';
import { OPTION_DOCS, markdownOptions, spliceDoc } from './help.js';

for (const { path, command } of OPTION_DOCS) {
  writeFileSync(path, spliceDoc(readFileSync(path, 'utf8'), markdownOptions(command)));
  process.stdout.write(`${path}: option list written\n`);
}
