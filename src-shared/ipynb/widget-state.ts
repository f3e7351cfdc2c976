/**
 * Saved ipywidgets state: `metadata.widgets["application/vnd.jupyter.widget-state+json"]`,
 * the format JupyterLab, nbconvert and nbviewer read (widget-state schema, version_major 2).
 * Reading never throws: a notebook with one broken widget entry still opens, with the other
 * widgets intact and the problem reported.
 */

import type { Json, JsonObject, Notebook } from './model';
import { describe } from './describe';
import { isJsonObject, setOwn } from './pynumber';

export const WIDGET_STATE_MIME = 'application/vnd.jupyter.widget-state+json';
const STATE_PATH = `metadata.widgets["${WIDGET_STATE_MIME}"]`;

/** A binary buffer of a widget's state, stored inline (base64 or hex) at `path` inside `state`. */
export interface WidgetBuffer {
  path: (string | number)[];
  encoding: 'base64' | 'hex';
  data: string;
}

export interface WidgetStateRecord {
  model_name: string;
  model_module: string;
  model_module_version: string;
  /** The model's serialized state; numbers keep their Python spelling (PyNumber). */
  state: JsonObject;
  buffers?: WidgetBuffer[];
}

/** model id → record. */
export type WidgetStateRecords = Record<string, WidgetStateRecord>;

export interface WidgetStateReadResult {
  records: WidgetStateRecords;
  /** One line per malformed part, naming its path; those entries are left out of `records`. */
  problems: string[];
}

export function readWidgetState(nb: Notebook): WidgetStateReadResult {
  const records: WidgetStateRecords = {};
  const problems: string[] = [];
  const widgets = nb.metadata['widgets'];
  if (widgets === undefined) return { records, problems };
  if (!isJsonObject(widgets)) {
    problems.push(`metadata.widgets: expected an object; got ${describe(widgets)}`);
    return { records, problems };
  }
  const saved = widgets[WIDGET_STATE_MIME];
  if (saved === undefined) return { records, problems };
  if (!isJsonObject(saved)) {
    problems.push(`${STATE_PATH}: expected an object; got ${describe(saved)}`);
    return { records, problems };
  }
  const major = saved['version_major'];
  if (major !== 2) {
    problems.push(`${STATE_PATH}.version_major: expected 2; got ${describe(major)}`);
    return { records, problems };
  }
  const state = saved['state'];
  if (state === undefined) return { records, problems }; // nothing saved: not a problem
  if (!isJsonObject(state)) {
    problems.push(`${STATE_PATH}.state: expected an object; got ${describe(state)}`);
    return { records, problems };
  }
  for (const [modelId, entry] of Object.entries(state)) {
    const path = `${STATE_PATH}.state[${JSON.stringify(modelId)}]`;
    const result = readRecord(entry, path);
    if (typeof result === 'string') problems.push(result);
    else setOwn(records, modelId, result);
  }
  return { records, problems };
}

/** One record, or a message describing the first thing wrong with it. */
function readRecord(entry: Json, path: string): WidgetStateRecord | string {
  if (!isJsonObject(entry)) return `${path}: expected an object; got ${describe(entry)}`;
  const strings = ['model_name', 'model_module', 'model_module_version'] as const;
  for (const key of strings) {
    const value = entry[key];
    if (typeof value !== 'string') return `${path}.${key}: expected a string; got ${describe(value)}`;
  }
  const state = entry['state'];
  if (!isJsonObject(state)) return `${path}.state: expected an object; got ${describe(state)}`;
  const record: WidgetStateRecord = {
    model_name: entry['model_name'] as string,
    model_module: entry['model_module'] as string,
    model_module_version: entry['model_module_version'] as string,
    state,
  };
  const buffers = entry['buffers'];
  if (buffers === undefined) return record;
  if (!Array.isArray(buffers)) return `${path}.buffers: expected a list; got ${describe(buffers)}`;
  const parsed: WidgetBuffer[] = [];
  for (const [i, buffer] of buffers.entries()) {
    const at = `${path}.buffers[${i}]`;
    if (!isJsonObject(buffer)) return `${at}: expected an object; got ${describe(buffer)}`;
    const { path: bufferPath, encoding, data } = buffer;
    const pathOk =
      Array.isArray(bufferPath) &&
      bufferPath.every((p) => typeof p === 'string' || (typeof p === 'number' && Number.isSafeInteger(p) && p >= 0));
    if (!pathOk) return `${at}.path: expected a list of keys and indices; got ${describe(bufferPath)}`;
    if (encoding !== 'base64' && encoding !== 'hex') {
      return `${at}.encoding: expected "base64" or "hex"; got ${describe(encoding)}`;
    }
    if (typeof data !== 'string') return `${at}.data: expected a string; got ${describe(data)}`;
    parsed.push({ path: bufferPath as (string | number)[], encoding, data });
  }
  record.buffers = parsed;
  return record;
}

/**
 * `nb` with its saved widget state replaced by `records` (version 2.0), or removed when
 * there are none; other keys under `metadata.widgets` are kept. `nb` is not modified.
 */
export function withWidgetState(nb: Notebook, records: Readonly<WidgetStateRecords>): Notebook {
  const existing = nb.metadata['widgets'];
  const widgets: JsonObject = isJsonObject(existing) ? { ...existing } : {};
  const ids = Object.keys(records);
  if (ids.length === 0) {
    delete widgets[WIDGET_STATE_MIME];
  } else {
    const state: JsonObject = {};
    for (const id of ids) {
      const record = records[id];
      if (record !== undefined) setOwn(state, id, recordToJson(record));
    }
    widgets[WIDGET_STATE_MIME] = { version_major: 2, version_minor: 0, state };
  }
  const { widgets: _old, ...metadata } = nb.metadata;
  if (Object.keys(widgets).length > 0) metadata['widgets'] = widgets;
  return { ...nb, metadata };
}

function recordToJson(record: WidgetStateRecord): JsonObject {
  const out: JsonObject = {
    model_name: record.model_name,
    model_module: record.model_module,
    model_module_version: record.model_module_version,
    state: record.state,
  };
  if (record.buffers !== undefined) {
    out['buffers'] = record.buffers.map((b) => ({ path: [...b.path], encoding: b.encoding, data: b.data }));
  }
  return out;
}
