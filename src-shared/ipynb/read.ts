/**
 * .ipynb text → Notebook. Validates the nbformat 4 structure the rest of Quire relies on,
 * naming the exact path of the first problem, and joins multi-line text the way nbformat's
 * `reads` (rejoin_lines / _rejoin_mimebundle) does. Unknown keys are kept in `extra`.
 *
 * Deliberately lenient where nbformat's own reader is: `metadata`, `outputs`, `data` and
 * `execution_count` default when missing (Jupyter opens such files too). Writing those
 * notebooks back adds the defaulted keys; files Jupyter wrote always have them.
 */

import {
  type Attachments,
  CELL_TYPES,
  type Cell,
  type Json,
  type JsonObject,
  MAX_MINOR,
  type MarkdownCell,
  type MimeBundle,
  MIN_MINOR,
  type Notebook,
  NotebookFormatError,
  OUTPUT_TYPES,
  type Output,
  type RawCell,
  isJsonMime,
} from './model';
import { JsonSyntaxError, parseJson } from './parse';
import { childPath, describe } from './describe';
import { PyNumber, isJsonObject, setOwn } from './pynumber';

export function readNotebook(text: string): Notebook {
  let json: Json;
  try {
    // A UTF-8 BOM is not JSON, but some editors add one; it is not worth refusing the file.
    json = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new NotebookFormatError('notebook', `not valid JSON (${err.message})`, { cause: err });
    }
    throw err;
  }
  return notebookFromJson(json);
}

/** The Notebook in already-parsed JSON (e.g. from parseJson), validated and joined like readNotebook. */
export function notebookFromJson(json: Json): Notebook {
  const root = expectObject(json, '');
  const nbformat = root['nbformat'];
  if (nbformat === undefined) fail('nbformat', 'missing; this file is not a Jupyter notebook');
  if (nbformat !== 4) {
    const version = typeof nbformat === 'number' || nbformat instanceof PyNumber ? String(nbformat) : null;
    if (version === null || Number(version) === 4) {
      fail('nbformat', `expected the integer 4; got ${describe(nbformat)}`);
    }
    const hint = Number(version) < 4 ? ' (open and save it once in Jupyter to upgrade it)' : '';
    fail('nbformat', `this is an nbformat ${version} notebook; Quire opens nbformat 4.0–4.5 only${hint}`);
  }
  const minor = root['nbformat_minor'];
  if (minor === undefined) fail('nbformat_minor', 'missing');
  if (!isNonNegativeInteger(minor)) fail('nbformat_minor', `expected an integer; got ${describe(minor)}`);
  if (minor < MIN_MINOR || minor > MAX_MINOR) {
    fail('nbformat_minor', `nbformat 4.${minor} is newer than Quire supports (4.0–4.${MAX_MINOR})`);
  }
  const metadata = root['metadata'] === undefined ? {} : expectObject(root['metadata'], 'metadata');
  const cells = root['cells'];
  if (cells === undefined) fail('cells', 'missing; a notebook needs a list of cells');
  if (!Array.isArray(cells)) fail('cells', `expected a list; got ${describe(cells)}`);

  const notebook: Notebook = {
    nbformat: 4,
    nbformat_minor: minor,
    metadata,
    cells: cells.map((cell, i) => readCell(cell, `cells[${i}]`)),
  };
  return withExtra(notebook, root, ['nbformat', 'nbformat_minor', 'metadata', 'cells']);
}

function readCell(json: Json, path: string): Cell {
  const obj = expectObject(json, path);
  const cellType = obj['cell_type'];
  if (cellType === undefined) fail(`${path}.cell_type`, 'missing');
  if (cellType !== 'markdown' && cellType !== 'code' && cellType !== 'raw') {
    fail(`${path}.cell_type`, `expected one of ${CELL_TYPES.join(', ')}; got ${describe(cellType)}`);
  }
  const id = obj['id'];
  if (id !== undefined && typeof id !== 'string') fail(`${path}.id`, `expected a string; got ${describe(id)}`);
  const source = readMultiline(obj['source'], `${path}.source`);
  const metadata = obj['metadata'] === undefined ? {} : expectObject(obj['metadata'], `${path}.metadata`);
  const common = { ...(id === undefined ? {} : { id }), source, metadata };

  if (cellType === 'code') {
    const outputs = obj['outputs'] ?? [];
    if (!Array.isArray(outputs)) fail(`${path}.outputs`, `expected a list; got ${describe(outputs)}`);
    const cell: Cell = {
      cell_type: 'code',
      ...common,
      execution_count: readExecutionCount(obj['execution_count'], `${path}.execution_count`),
      outputs: outputs.map((output, i) => readOutput(output, `${path}.outputs[${i}]`)),
    };
    const known = ['cell_type', 'id', 'source', 'metadata', 'execution_count', 'outputs'];
    const withUnknown = withExtra(cell, obj, known);
    // nbformat rejoins attachments on every cell type, though the schema allows them only on
    // markdown and raw cells; do the same to stay byte-compatible.
    const stray = withUnknown.extra?.['attachments'];
    if (withUnknown.extra && isJsonObject(stray) && Object.values(stray).every(isJsonObject)) {
      setOwn(withUnknown.extra, 'attachments', readAttachments(stray, `${path}.attachments`));
    }
    return withUnknown;
  }
  const cell: MarkdownCell | RawCell = { cell_type: cellType, ...common };
  if (obj['attachments'] !== undefined) cell.attachments = readAttachments(obj['attachments'], `${path}.attachments`);
  return withExtra(cell, obj, ['cell_type', 'id', 'source', 'metadata', 'attachments']);
}

function readOutput(json: Json, path: string): Output {
  const obj = expectObject(json, path);
  const outputType = obj['output_type'];
  if (outputType === undefined) fail(`${path}.output_type`, 'missing');
  switch (outputType) {
    case 'stream': {
      const output: Output = {
        output_type: 'stream',
        name: expectString(obj['name'], `${path}.name`),
        text: readMultiline(obj['text'], `${path}.text`),
      };
      return withExtra(output, obj, ['output_type', 'name', 'text']);
    }
    case 'display_data':
    case 'execute_result': {
      const data = obj['data'] === undefined ? {} : readMimeBundle(obj['data'], `${path}.data`);
      const metadata = obj['metadata'] === undefined ? {} : expectObject(obj['metadata'], `${path}.metadata`);
      if (outputType === 'display_data') {
        const output: Output = { output_type: 'display_data', data, metadata };
        return withExtra(output, obj, ['output_type', 'data', 'metadata']);
      }
      const executionCount = readExecutionCount(obj['execution_count'], `${path}.execution_count`);
      const output: Output = { output_type: 'execute_result', execution_count: executionCount, data, metadata };
      return withExtra(output, obj, ['output_type', 'execution_count', 'data', 'metadata']);
    }
    case 'error': {
      const traceback = obj['traceback'];
      if (traceback === undefined) fail(`${path}.traceback`, 'missing');
      if (!isStringList(traceback)) fail(`${path}.traceback`, `expected a list of strings; got ${describe(traceback)}`);
      const output: Output = {
        output_type: 'error',
        ename: expectString(obj['ename'], `${path}.ename`),
        evalue: expectString(obj['evalue'], `${path}.evalue`),
        traceback,
      };
      return withExtra(output, obj, ['output_type', 'ename', 'evalue', 'traceback']);
    }
    default:
      fail(`${path}.output_type`, `expected one of ${OUTPUT_TYPES.join(', ')}; got ${describe(outputType)}`);
  }
}

function readAttachments(json: Json, path: string): Attachments {
  const obj = expectObject(json, path);
  const out: Attachments = {};
  for (const [name, bundle] of Object.entries(obj)) setOwn(out, name, readMimeBundle(bundle, childPath(path, name)));
  return out;
}

/** nbformat's `_rejoin_mimebundle`: lists of strings under non-JSON mime types become one string. */
function readMimeBundle(json: Json, path: string): MimeBundle {
  const obj = expectObject(json, path);
  const out: MimeBundle = {};
  for (const [mime, value] of Object.entries(obj)) {
    setOwn(out, mime, !isJsonMime(mime) && isStringList(value) ? value.join('') : value);
  }
  return out;
}

function readMultiline(json: Json | undefined, path: string): string {
  if (json === undefined) fail(path, 'missing');
  if (typeof json === 'string') return json;
  if (isStringList(json)) return json.join('');
  return fail(path, `expected a string or a list of strings; got ${describe(json)}`);
}

function readExecutionCount(json: Json | undefined, path: string): number | null {
  if (json === undefined || json === null) return null;
  if (isNonNegativeInteger(json)) return json;
  return fail(path, `expected a non-negative integer or null; got ${describe(json)}`);
}

/** Copies the keys of `source` not in `known` into `target.extra` (only when there are any). */
function withExtra<T extends { extra?: JsonObject }>(target: T, source: JsonObject, known: readonly string[]): T {
  let extra: JsonObject | undefined;
  for (const [key, value] of Object.entries(source)) {
    if (known.includes(key)) continue;
    extra ??= {};
    setOwn(extra, key, value);
  }
  if (extra !== undefined) target.extra = extra;
  return target;
}

function expectObject(json: Json | undefined, path: string): JsonObject {
  if (isJsonObject(json)) return json;
  return fail(path || 'notebook', json === undefined ? 'missing' : `expected an object; got ${describe(json)}`);
}

function expectString(json: Json | undefined, path: string): string {
  if (typeof json === 'string') return json;
  return fail(path, json === undefined ? 'missing' : `expected a string; got ${describe(json)}`);
}

function isStringList(json: Json | undefined): json is string[] {
  return Array.isArray(json) && json.every((item) => typeof item === 'string');
}

function isNonNegativeInteger(json: Json | undefined): json is number {
  return typeof json === 'number' && Number.isSafeInteger(json) && json >= 0;
}

function fail(path: string, detail: string): never {
  throw new NotebookFormatError(path, detail);
}
