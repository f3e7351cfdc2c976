/**
 * Mutated notebooks: every mutation of real notebooks either opens (and then saves
 * without error) or fails with a NotebookFormatError that names the problem — never a
 * crash of another kind. Deterministic: a failure names its case for replay.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NotebookFormatError, readNotebook, writeNotebook } from '../../src-shared/ipynb/index';
import { docToNotebook, notebookToDoc } from './notebook-file';
import { seededRandom } from '../../src-shared/testing/seeded-random';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = [
  join(REPO_ROOT, 'src-shared', 'ipynb', 'fixtures', 'jupyterlab-widgets.ipynb'),
  join(REPO_ROOT, 'resources', 'demo.ipynb'),
];
const CASES_PER_FILE = 600;

const ODD_VALUES: unknown[] = [null, 0, -1, 1.5, '', 'x', [], {}, [1, 'a'], { a: 1 }, true, 4.0, 'IPY_MODEL_nope', 1e308];

/** Walks to a random node of a JSON tree and replaces, deletes or retypes it. */
function mutateJson(root: unknown, r: () => number): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  const containers: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach((v, i) => (containers.push([node, i]), walk(v)));
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) (containers.push([node as Record<string, unknown>, k]), walk(v));
  };
  walk(copy);
  const [parent, key] = containers[Math.floor(r() * containers.length)]!;
  const roll = r();
  if (roll < 0.3) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (roll < 0.9) {
    (parent as Record<string | number, unknown>)[key] = ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
  } else {
    (parent as Record<string | number, unknown>)[key] = 'x'.repeat(200_000); // a huge value
  }
  return copy;
}

function mutateText(text: string, r: () => number): string {
  const roll = r();
  const at = Math.floor(r() * text.length);
  if (roll < 0.4) return text.slice(0, at); // truncated file
  if (roll < 0.8) return text.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(at + 1); // flipped byte
  return text.slice(0, at) + text.slice(at + Math.floor(r() * 50)); // a hole
}

describe('notebook mutations', () => {
  for (const file of CORPUS) {
    it(`${CASES_PER_FILE} mutations of ${file.split('/').pop()} open or fail with a clear NotebookFormatError`, () => {
      const text = readFileSync(file, 'utf8');
      const json = JSON.parse(text) as unknown;
      let opened = 0;
      let refused = 0;
      for (let i = 0; i < CASES_PER_FILE; i++) {
        const r = seededRandom(i);
        const mutated = i % 2 === 0 ? JSON.stringify(mutateJson(json, r), null, 1) : mutateText(text, r);
        try {
          const nb = readNotebook(mutated);
          // Opened: it must also make it through the doc and back to a file.
          writeNotebook(docToNotebook(notebookToDoc(nb).doc));
          opened++;
        } catch (err) {
          if (!(err instanceof NotebookFormatError)) throw new Error(`case ${i}: ${(err as Error).stack}`);
          expect(err.message, `case ${i}`).toMatch(/^Cannot open notebook: .+: .+\. The file was not changed\.$/s);
          refused++;
        }
      }
      console.log(`${file.split('/').pop()}: ${opened} mutations opened, ${refused} refused with a clear message`);
      expect(opened).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    }, 120_000);
  }
});
