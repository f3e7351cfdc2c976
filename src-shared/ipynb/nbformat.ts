/** The .ipynb (nbformat 4.0–4.5) codec: typed model, reader, byte-stable writer, helpers. */

export * from './model';
export { notebookFromJson, readNotebook } from './read';
export { type ToJsonOptions, notebookToJson, writeNotebook } from './write';
export { splitLines } from './splitlines';
export { ensureCellIds, isValidCellId, newCellId } from './cell-id';
export {
  WIDGET_STATE_MIME,
  type WidgetBuffer,
  type WidgetStateReadResult,
  type WidgetStateRecord,
  type WidgetStateRecords,
  readWidgetState,
  withWidgetState,
} from './widget-state';
