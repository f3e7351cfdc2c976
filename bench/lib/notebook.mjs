// Writes the small .ipynb files the scenarios run (nbformat 4.5, the bench venv's kernelspec).
import { writeFileSync } from 'node:fs';

/** cells: array of code-cell sources (strings). The kernelspec name is the bench venv's `python3`. */
export function writeNotebook(file, cells) {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (bench venv)', language: 'python' },
      language_info: { name: 'python' },
    },
    cells: cells.map((source, i) => ({
      id: `bench-${i}`,
      cell_type: 'code',
      metadata: {},
      execution_count: null,
      outputs: [],
      source,
    })),
  };
  writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}

/** Python string literal for a path (JSON strings are valid Python strings). */
export const py = (s) => JSON.stringify(s);
