import { describe, expect, it } from 'vitest';
import type { NotebookSnapshot } from '../../src-shared/ipc/contract';
import type { CellView } from '../../src-shared/schema/notebook-doc';
import { mergeNotebook } from './useNotebook';

const cell = (id: string, source: string): CellView => ({ id, cellType: 'code', source, executionCount: null, outputs: [], metadata: {}, run: 'idle', lastRun: null });
const base: NotebookSnapshot = {
  path: '/n.ipynb',
  title: 'n.ipynb',
  cells: [cell('a', '1'), cell('b', '2'), cell('c', '3')],
  sourceVersions: { a: 0, b: 0, c: 0 },
  kernel: { status: 'idle', name: null, displayName: null, language: null, error: null },
  kernelspec: null,
  dirty: false,
  file: { savedAt: null, saving: false, error: null, changedOnDisk: false, autosave: true },
  recovery: null,
};

describe('mergeNotebook', () => {
  it('a partial update replaces only its cells and keeps the others as they were', () => {
    const merged = mergeNotebook(base, { ...base, dirty: true, cells: [cell('b', '22')], sourceVersions: { b: 4 }, partial: { order: ['a', 'b', 'c'] } })!;
    expect(merged.cells.map((c) => c.source)).toEqual(['1', '22', '3']);
    expect(merged.cells[0]).toBe(base.cells[0]);
    expect(merged.sourceVersions).toEqual({ a: 0, b: 4, c: 0 });
    expect(merged.dirty).toBe(true);
    expect(merged.partial).toBeUndefined();
  });

  it('a full snapshot replaces everything; a partial one before any snapshot is ignored', () => {
    const full = { ...base, cells: [cell('x', 'new')] };
    expect(mergeNotebook(base, full)).toBe(full);
    expect(mergeNotebook(null, { ...base, partial: { order: ['a'] } })).toBeNull();
  });
});
