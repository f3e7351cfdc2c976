import * as A from '@automerge/automerge';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNotebook, writeNotebook, type JsonObject, type Notebook } from '../../src-shared/ipynb/index';
import {
  WIDGET_STATE_MIME,
  readWidgetState,
  type WidgetStateRecord,
  type WidgetStateRecords,
} from '../../src-shared/ipynb/widget-state';
import {
  blobRef,
  getCommOrigin,
  getComms,
  getNotebookMetadata,
  initNotebookDoc,
  isBlobRef,
  putComm,
  type NotebookDoc,
} from '../../src-shared/schema/notebook-doc';
import { BlobStore } from '../blobs/blob-store';
import { docToNotebook, notebookToDoc, referenceOrder } from './notebook-file';

const FIXTURE = fileURLToPath(new URL('../../src-shared/ipynb/fixtures/jupyterlab-widgets.ipynb', import.meta.url));
const SLIDER = '8a3c0d1e6f2b4a5c9d7e1f0a2b3c4d5e';
const LAYOUT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const STYLE = '5b9e2a1c7d3f4e6a8b0c1d2e3f4a5b6c';

let dir: string;
let blobs: BlobStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quire-notebook-file-'));
  blobs = new BlobStore(join(dir, 'blobs'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A widget-state record, typed so it also fits in notebook JSON. */
function record(state: JsonObject, modelName = 'BoxModel'): WidgetStateRecord & JsonObject {
  return { model_name: modelName, model_module: '@jupyter-widgets/controls', model_module_version: '2.0.0', state };
}

/** A saved notebook (canonical nbformat text) with the given widget-state entry. */
function notebookText(widgetState: JsonObject): string {
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      widgets: { [WIDGET_STATE_MIME]: widgetState },
    },
    cells: [{ id: 'cell-1', cell_type: 'code', source: 'w', metadata: {}, execution_count: 1, outputs: [] }],
  };
  return writeNotebook(nb);
}

const roundTrip = (text: string, store?: BlobStore) => writeNotebook(docToNotebook(notebookToDoc(readNotebook(text), store).doc, store));

describe('referenceOrder', () => {
  it('puts IPY_MODEL_ referenced models before the models that use them', () => {
    const records: WidgetStateRecords = {
      a_box: record({ children: ['IPY_MODEL_z_child', 'IPY_MODEL_m_child'], layout: 'IPY_MODEL_layout' }),
      m_child: record({ layout: 'IPY_MODEL_layout', nested: { deep: ['IPY_MODEL_y_leaf'] } }),
      z_child: record({}),
      layout: record({}, 'LayoutModel'),
      y_leaf: record({}),
    };
    const order = referenceOrder(records);
    expect([...order].sort()).toEqual(Object.keys(records).sort());
    const before = (a: string, b: string) => expect(order.indexOf(a), `${a} before ${b}`).toBeLessThan(order.indexOf(b));
    before('z_child', 'a_box');
    before('m_child', 'a_box');
    before('layout', 'a_box');
    before('layout', 'm_child');
    before('y_leaf', 'm_child');
  });

  it('ignores references to models that are not saved', () => {
    const order = referenceOrder({ a: record({ child: 'IPY_MODEL_missing' }), b: record({}) });
    expect(order).toEqual(['a', 'b']);
  });

  it('a reference cycle does not hang and lists each model once', () => {
    const records: WidgetStateRecords = {
      a: record({ next: 'IPY_MODEL_b' }),
      b: record({ next: 'IPY_MODEL_c' }),
      c: record({ next: 'IPY_MODEL_a' }),
      self: record({ me: 'IPY_MODEL_self' }),
      leaf: record({}),
      user: record({ cycle: 'IPY_MODEL_a', leaf: 'IPY_MODEL_leaf' }),
    };
    const order = referenceOrder(records);
    expect([...order].sort()).toEqual(Object.keys(records).sort());
    expect(order.indexOf('leaf')).toBeLessThan(order.indexOf('user'));
    for (const id of ['a', 'b', 'c']) expect(order.indexOf(id)).toBeLessThan(order.indexOf('user'));
  });
});

describe('notebookToDoc / docToNotebook with saved widget state', () => {
  it('loads the JupyterLab fixture widgets as saved comms, children first', () => {
    const nb = readNotebook(readFileSync(FIXTURE, 'utf8'));
    const { doc, warnings } = notebookToDoc(nb, blobs);
    expect(warnings).toEqual([]);
    const comms = getComms(doc);
    expect(comms.map((c) => c.id).sort()).toEqual([LAYOUT, SLIDER, STYLE].sort());
    const ids = comms.map((c) => c.id);
    expect(ids.indexOf(LAYOUT)).toBeLessThan(ids.indexOf(SLIDER));
    expect(ids.indexOf(STYLE)).toBeLessThan(ids.indexOf(SLIDER));
    const slider = comms.find((c) => c.id === SLIDER)!;
    expect(slider).toMatchObject({ targetName: 'jupyter.widget', modelName: 'IntSliderModel', modelModule: '@jupyter-widgets/controls' });
    expect(slider.state).toMatchObject({ value: 7, max: 10, description: 'x', layout: `IPY_MODEL_${LAYOUT}` });
    for (const id of ids) expect(getCommOrigin(doc, id)).toBe('saved');
    // Widget state lives in comms, not in the doc's notebook metadata.
    expect(getNotebookMetadata(doc)).not.toHaveProperty('widgets');
  });

  it('the untouched JupyterLab fixture saves back byte-identically (also after Automerge save/load)', () => {
    const text = readFileSync(FIXTURE, 'utf8');
    expect(roundTrip(text, blobs)).toBe(text);
    const { doc } = notebookToDoc(readNotebook(text), blobs);
    const reloaded = A.load<NotebookDoc>(A.save(doc));
    expect(writeNotebook(docToNotebook(reloaded, blobs))).toBe(text);
  });

  it('a changed trait is written back into the saved widget state', () => {
    const nb = readNotebook(readFileSync(FIXTURE, 'utf8'));
    let { doc } = notebookToDoc(nb, blobs);
    doc = A.change(doc, (d) => {
      d.comms[SLIDER]!.state.value = new A.ImmutableString('9');
    });
    const saved = readNotebook(writeNotebook(docToNotebook(doc, blobs)));
    const { records, problems } = readWidgetState(saved);
    expect(problems).toEqual([]);
    expect(records[SLIDER]!.state.value).toBe(9);
    expect(records[SLIDER]!.state.max).toBe(10);
    expect(Object.keys(records).sort()).toEqual([LAYOUT, SLIDER, STYLE].sort());
  });

  it('keeps other keys under metadata.widgets', () => {
    const text = writeNotebook({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        widgets: {
          [WIDGET_STATE_MIME]: { version_major: 2, version_minor: 0, state: { w: record({ value: 1 }) } },
          'application/x-other': { keep: true },
        },
      },
      cells: [],
    });
    const { doc } = notebookToDoc(readNotebook(text), blobs);
    expect(getNotebookMetadata(doc)).toEqual({ widgets: { 'application/x-other': { keep: true } } });
    expect(roundTrip(text, blobs)).toBe(text);
  });

  it('a doc with a blob ref in widget state saves it as a base64 buffer at its path', () => {
    const image = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const nested = new Uint8Array([10, 20, 30]);
    const hash = blobs.put(image);
    const nestedHash = blobs.put(nested);
    let doc = A.change(A.init<NotebookDoc>(), (d) =>
      initNotebookDoc(d, { nbformat: 4, nbformatMinor: 5, metadataJson: '{}', extraJson: null, cells: [] }),
    );
    doc = A.change(doc, (d) => {
      putComm(d, 'img', {
        targetName: 'jupyter.widget',
        modelModule: '@jupyter-widgets/controls',
        modelModuleVersion: '2.0.0',
        modelName: 'ImageModel',
        origin: 'kernel',
        stateJson: {
          format: '"png"',
          value: JSON.stringify(blobRef(hash)),
          extra: JSON.stringify({ list: [1, blobRef(nestedHash)] }),
        },
      });
    });
    const saved = readNotebook(writeNotebook(docToNotebook(doc, blobs)));
    const { records, problems } = readWidgetState(saved);
    expect(problems).toEqual([]);
    const rec = records['img']!;
    expect(rec.model_name).toBe('ImageModel');
    expect(rec.state.format).toBe('png');
    const buffers = [...(rec.buffers ?? [])].sort((a, b) => JSON.stringify(a.path).localeCompare(JSON.stringify(b.path)));
    expect(buffers).toEqual([
      { path: ['extra', 'list', 1], encoding: 'base64', data: Buffer.from(nested).toString('base64') },
      { path: ['value'], encoding: 'base64', data: Buffer.from(image).toString('base64') },
    ]);
    // No blob reference leaks into the file.
    expect(JSON.stringify(saved.metadata)).not.toContain('$quireBlob');
    expect((rec.state.extra as { list: unknown[] }).list[0]).toBe(1);
  });

  it('saved buffers load into the blob store and the doc holds only their hash', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 7, 7]);
    const text = notebookText({
      version_major: 2,
      version_minor: 0,
      state: {
        img: {
          ...record({ format: 'png' }, 'ImageModel'),
          buffers: [{ path: ['value'], encoding: 'base64', data: png.toString('base64') }],
        },
      },
    });
    const { doc } = notebookToDoc(readNotebook(text), blobs);
    const value = getComms(doc)[0]!.state.value;
    expect(isBlobRef(value)).toBe(true);
    expect(Buffer.from(blobs.get((value as { $quireBlob: string }).$quireBlob)!)).toEqual(png);
    const rec = readWidgetState(docToNotebook(doc, blobs)).records['img']!;
    expect(rec.buffers).toEqual([{ path: ['value'], encoding: 'base64', data: png.toString('base64') }]);
  });

  // BUG (src-daemon/ipynb/notebook-file.ts, extractBuffers line 243: `return null` for a blob
  // ref): ipywidgets (Python `_remove_buffers`, JS `remove_buffers`) *delete* a dict key that
  // held a buffer and only null out list slots, so JupyterLab saves an Image as
  // `state` without `value` plus `buffers: [{path: ["value"], ...}]`. Quire writes
  // `"value": null` into state, so an untouched notebook with binary widget state does not
  // round-trip byte-stably (DESIGN.md: "Untouched notebooks round-trip byte-stably").
  it('an untouched notebook with a saved binary buffer round-trips byte-identically', () => {
    const text = notebookText({
      version_major: 2,
      version_minor: 0,
      state: {
        img: {
          ...record({ format: 'png', width: '' }, 'ImageModel'),
          buffers: [{ encoding: 'base64', path: ['value'], data: Buffer.from([1, 2, 3]).toString('base64') }],
        },
      },
    });
    expect(roundTrip(text, blobs)).toBe(text);
  });

  // BUG (src-daemon/ipynb/notebook-file.ts, notebookToDoc lines 88 and 119 `problems.length === 0`
  // gates, plus docToNotebook line 209 calling withWidgetState with no records): when any saved widget entry
  // is malformed, no saved widget is loaded (contrary to LoadedNotebook.warnings / readWidgetState:
  // "the affected widgets are skipped, the rest load"), and on save withWidgetState({}) deletes
  // metadata.widgets[WIDGET_STATE_MIME] entirely, so the good widgets' saved state is lost too.
  it('a notebook with one malformed widget entry loads the good ones and loses nothing on save', () => {
    const text = notebookText({
      version_major: 2,
      version_minor: 0,
      state: {
        good: record({ value: 1 }, 'IntSliderModel'),
        bad: { model_module: '@jupyter-widgets/controls', model_module_version: '2.0.0', state: {} },
      },
    });
    const { doc, warnings } = notebookToDoc(readNotebook(text), blobs);
    expect(warnings).toHaveLength(1);
    expect(readWidgetState(docToNotebook(doc, blobs)).records['good']?.state.value).toBe(1);
    expect(getComms(doc).map((c) => c.id)).toEqual(['good']);
  });
});
