/**
 * nbformat 4 in memory, in the shape nbformat's own reader gives: multi-line text is one
 * string (joined from the on-disk list of lines). Fields the schema does not name are kept,
 * verbatim, in `extra` so that writing a notebook loses nothing we did not understand.
 */

import type { Json, JsonObject } from './pynumber';

export type { Json, JsonObject };

/** mime type → value. Text values are joined strings; JSON mime types hold their JSON as-is. */
export type MimeBundle = { [mime: string]: Json };

/** attachment file name → mime bundle (markdown and raw cells). */
export type Attachments = { [name: string]: MimeBundle };

export interface Notebook {
  nbformat: 4;
  /** 0–5; callers that want 4.5 features (cell ids) upgrade with `ensureCellIds`. */
  nbformat_minor: number;
  metadata: JsonObject;
  cells: Cell[];
  /** Top-level keys nbformat does not define. */
  extra?: JsonObject;
}

export type Cell = CodeCell | MarkdownCell | RawCell;
export type CellType = Cell['cell_type'];

interface CellCommon {
  /** Present only when the file had one (nbformat ≥ 4.5); the reader never invents ids. */
  id?: string;
  source: string;
  metadata: JsonObject;
  /** Cell keys nbformat does not define for this cell type. */
  extra?: JsonObject;
}

export interface CodeCell extends CellCommon {
  cell_type: 'code';
  execution_count: number | null;
  outputs: Output[];
}

export interface MarkdownCell extends CellCommon {
  cell_type: 'markdown';
  attachments?: Attachments;
}

export interface RawCell extends CellCommon {
  cell_type: 'raw';
  attachments?: Attachments;
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;
export type OutputType = Output['output_type'];

interface OutputCommon {
  /** Output keys nbformat does not define for this output type. */
  extra?: JsonObject;
}

export interface StreamOutput extends OutputCommon {
  output_type: 'stream';
  /** "stdout" or "stderr" in practice. */
  name: string;
  text: string;
}

export interface DisplayDataOutput extends OutputCommon {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: JsonObject;
}

export interface ExecuteResultOutput extends OutputCommon {
  output_type: 'execute_result';
  execution_count: number | null;
  data: MimeBundle;
  metadata: JsonObject;
}

export interface ErrorOutput extends OutputCommon {
  output_type: 'error';
  ename: string;
  evalue: string;
  /** Lines of the traceback, usually with ANSI colour codes. */
  traceback: string[];
}

export const CELL_TYPES: readonly CellType[] = ['markdown', 'code', 'raw'];
export const OUTPUT_TYPES: readonly OutputType[] = ['stream', 'display_data', 'execute_result', 'error'];

/** nbformat minor versions this codec reads and writes. */
export const MIN_MINOR = 0;
export const MAX_MINOR = 5;

/** `application/json` and `application/*+json` values are JSON, never joined or split. */
export function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

/** Thrown by readNotebook when a file is not a notebook we can open as-is. */
export class NotebookFormatError extends Error {
  override readonly name = 'NotebookFormatError';
  constructor(
    /** Where in the document, e.g. `cells[3].outputs[0].output_type`; "notebook" for the root. */
    readonly path: string,
    /** What is wrong there. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot open notebook: ${path}: ${detail}. The file was not changed.`, options);
  }
}
