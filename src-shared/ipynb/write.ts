/**
 * Notebook → .ipynb text, byte-identical to `nbformat.write` (what Jupyter Server uses when
 * JupyterLab saves): split_lines, strip_transient, then
 * `json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)` and a trailing newline.
 */

import { dumps } from './dumps';
import type { Attachments, Cell, Json, JsonObject, MimeBundle, Notebook, Output } from './model';
import { isJsonObject, setOwn } from './pynumber';
import { splitLines } from './splitlines';

export function writeNotebook(nb: Notebook): string {
  return dumps(notebookToJson(nb), { indent: 1, sortKeys: true }) + '\n';
}

export interface ToJsonOptions {
  /** Store multi-line text as lists of lines, as nbformat does on disk (default true). */
  splitLines?: boolean;
}

/** The on-disk JSON of a notebook: multi-line text split into lines, transient keys dropped. */
export function notebookToJson(nb: Notebook, opts: ToJsonOptions = {}): JsonObject {
  const lines: Lines = opts.splitLines === false ? (text) => text : splitLines;
  // nbformat's strip_transient: keys that only ever meant something to the process that read the file.
  const { orig_nbformat: _a, orig_nbformat_minor: _b, signature: _c, ...metadata } = nb.metadata;
  return {
    ...nb.extra,
    nbformat: nb.nbformat,
    nbformat_minor: nb.nbformat_minor,
    metadata,
    cells: nb.cells.map((cell) => cellToJson(cell, lines)),
  };
}

/** How multi-line text is stored: split into lines, or left whole. */
type Lines = (text: string) => Json;

function cellToJson(cell: Cell, lines: Lines): JsonObject {
  const { trusted: _trusted, ...metadata } = cell.metadata;
  const out: JsonObject = { ...cell.extra };
  if (cell.id !== undefined) out['id'] = cell.id;
  out['cell_type'] = cell.cell_type;
  out['metadata'] = metadata;
  out['source'] = lines(cell.source);
  if (cell.cell_type === 'code') {
    out['execution_count'] = cell.execution_count;
    out['outputs'] = cell.outputs.map((output) => outputToJson(output, lines));
    // nbformat splits attachments on any cell type; code cells only have them as an unknown key.
    const stray = out['attachments'];
    if (isJsonObject(stray) && Object.values(stray).every(isJsonObject)) {
      out['attachments'] = attachmentsToJson(stray as Attachments, lines);
    }
  } else if (cell.attachments !== undefined) {
    out['attachments'] = attachmentsToJson(cell.attachments, lines);
  }
  return out;
}

function outputToJson(output: Output, lines: Lines): JsonObject {
  const out: JsonObject = { ...output.extra, output_type: output.output_type };
  switch (output.output_type) {
    case 'stream':
      out['name'] = output.name;
      out['text'] = lines(output.text);
      break;
    case 'execute_result':
      out['execution_count'] = output.execution_count;
      out['data'] = mimeBundleToJson(output.data, lines);
      out['metadata'] = output.metadata;
      break;
    case 'display_data':
      out['data'] = mimeBundleToJson(output.data, lines);
      out['metadata'] = output.metadata;
      break;
    case 'error':
      out['ename'] = output.ename;
      out['evalue'] = output.evalue;
      out['traceback'] = output.traceback;
      break;
  }
  return out;
}

function attachmentsToJson(attachments: Attachments, lines: Lines): JsonObject {
  const out: JsonObject = {};
  for (const [name, bundle] of Object.entries(attachments)) setOwn(out, name, mimeBundleToJson(bundle, lines));
  return out;
}

/** Mime types nbformat stores as lists of lines besides text/*. */
const SPLIT_NON_TEXT_MIMES = new Set(['application/javascript', 'image/svg+xml']);

/** nbformat's `_split_mimebundle`. */
function mimeBundleToJson(bundle: MimeBundle, lines: Lines): JsonObject {
  const out: JsonObject = {};
  for (const [mime, value] of Object.entries(bundle)) {
    const split = typeof value === 'string' && (mime.startsWith('text/') || SPLIT_NON_TEXT_MIMES.has(mime));
    setOwn(out, mime, split ? lines(value) : value);
  }
  return out;
}
