// Writes the small .ipynb files the scenarios run (nbformat 4.5, the bench venv's kernelspec).
import { writeFileSync } from 'node:fs';

/** The bench venv's kernelspec: both apps resolve `python3` to bench/.venv's interpreter. */
const METADATA = {
  kernelspec: { name: 'python3', display_name: 'Python 3 (bench venv)', language: 'python' },
  language_info: { name: 'python' },
};

/** Writes nbformat 4.5 with these cells (nbformat cell dicts) and extra notebook metadata. */
export function writeNotebookJson(file, cells, metadata = {}) {
  writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { ...METADATA, ...metadata }, cells }, null, 1) + '\n');
}

/** cells: array of code-cell sources (strings). */
export function writeNotebook(file, cells) {
  writeNotebookJson(
    file,
    cells.map((source, i) => ({ id: `bench-${i}`, cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source })),
  );
}

/** Python string literal for a path (JSON strings are valid Python strings). */
export const py = (s) => JSON.stringify(s);
