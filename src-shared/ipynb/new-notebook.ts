/**
 * A fresh nbformat 4.5 notebook as plain JSON, for tools and tests that write notebook files
 * (the test harnesses, e2e specs). The default kernelspec is the `python3` every Jupyter
 * install has.
 */
export interface NewCellSpec {
  cell_type?: 'code' | 'markdown' | 'raw';
  /** A string, or lines (joined with "\n" between them, as nbformat's multiline strings). */
  source: string | string[];
  id?: string;
}

export function newNotebookJson(cells: readonly NewCellSpec[], kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' }): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec, language_info: { name: kernelspec.language } },
    cells: cells.map((c, i) => {
      const type = c.cell_type ?? 'code';
      const source = Array.isArray(c.source) ? c.source.map((line, j) => (j < c.source.length - 1 ? `${line}\n` : line)) : c.source;
      return {
        id: c.id ?? `cell-${i}`,
        cell_type: type,
        metadata: {},
        source,
        ...(type === 'code' ? { execution_count: null, outputs: [] } : {}),
      };
    }),
  };
}
