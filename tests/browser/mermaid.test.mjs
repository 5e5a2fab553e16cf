// Every ```mermaid block of docs/*.md and README.md renders: the `mermaid` package from npm
// (frontend's devDependency) in a blank page of Debian's Chromium via playwright-core; each block
// goes through mermaid.render, which throws on a syntax error. Run: `make browser-test`, or
// `node --test tests/browser/mermaid.test.mjs` after `npm ci` in frontend/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const requireFromFrontend = createRequire(path.join(ROOT, 'frontend', 'package.json'));
const { chromium } = requireFromFrontend('playwright-core');
const MERMAID_JS = path.join(path.dirname(requireFromFrontend.resolve('mermaid/package.json')), 'dist', 'mermaid.min.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

function mermaidBlocks() {
  const files = [path.join(ROOT, 'README.md'),
    ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(ROOT, 'docs', f))];
  const blocks = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)) {
      blocks.push({ where: `${path.relative(ROOT, file)}:${text.slice(0, match.index).split('\n').length}`, source: match[1] });
    }
  }
  return blocks;
}

let browser;
let page;
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ path: MERMAID_JS });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
});
after(async () => {
  await browser?.close();
});

const blocks = mermaidBlocks();

test('the docs have Mermaid blocks', () => {
  assert.ok(blocks.length >= 4, `found ${blocks.length}`);
});

for (const [index, block] of blocks.entries()) {
  test(`renders ${block.where}`, async () => {
    const result = await page.evaluate(async ({ id, source }) => {
      try {
        const { svg } = await window.mermaid.render(id, source);
        return { ok: true, length: svg.length, error: svg.includes('Syntax error') };
      } catch (error) {
        return { ok: false, message: String(error && error.message ? error.message : error) };
      }
    }, { id: `diagram${index}`, source: block.source });
    assert.ok(result.ok, `${block.where}: ${result.message}`);
    assert.ok(!result.error && result.length > 500, `${block.where}: rendered an error diagram`);
  });
}
