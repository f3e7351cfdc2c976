/** changesBetween on real Automerge docs built with the schema's own mutators. */
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { blankCell, deleteComm, insertCell, initNotebookDoc, putComm, setCellSource, setCommState, setDirty, setKernel, type NotebookDoc } from '../../src-shared/schema/notebook-doc';
import { changesBetween, PendingChanges } from './doc-changes';

const comm = (modelName: string) => ({
  targetName: 'jupyter.widget',
  modelModule: '@jupyter-widgets/controls',
  modelModuleVersion: '2.0.0',
  modelName,
  origin: 'kernel' as const,
  stateJson: { value: '1' },
});

function notebook(): A.Doc<NotebookDoc> {
  return A.change(A.init<NotebookDoc>(), (d) =>
    initNotebookDoc(d, {
      nbformat: 4,
      nbformatMinor: 5,
      metadataJson: '{}',
      extraJson: null,
      cells: [{ id: 'c1', cellType: 'code', source: 'x', metadataJson: '{}', executionCount: null, outputsJson: [], attachmentsJson: null, extraJson: null }],
    }),
  );
}

function step(doc: A.Doc<NotebookDoc>, fn: (d: NotebookDoc) => void) {
  const before = A.getHeads(doc);
  const next = A.change(doc, fn);
  return { doc: next, changes: changesBetween(next, before, A.getHeads(next)) };
}

describe('changesBetween', () => {
  it('reports new comms in seq order, a trait change as that comm only, deletions as removed', () => {
    let doc = notebook();
    let r = step(doc, (d) => {
      putComm(d, 'b', comm('IntSliderModel'));
      putComm(d, 'a', comm('LayoutModel'));
      putComm(d, 'c', comm('IntTextModel'));
    });
    expect(r.changes.comms?.upserted.map((c) => c.id)).toEqual(['b', 'a', 'c']);
    expect(r.changes.notebook).toBe(false);
    doc = r.doc;

    r = step(doc, (d) => setCommState(d, 'a', { value: 2 }));
    expect(r.changes.comms).toEqual({ upserted: [expect.objectContaining({ id: 'a', modelName: 'LayoutModel', state: { value: 2 } })], removed: [] });
    doc = r.doc;

    r = step(doc, (d) => deleteComm(d, 'b'));
    expect(r.changes.comms).toEqual({ upserted: [], removed: ['b'] });
    doc = r.doc;

    // A comm created and gone between two flushes: windows may have fetched it; say it went.
    const before = A.getHeads(doc);
    doc = A.change(doc, (d) => putComm(d, 'tmp', comm('ButtonModel')));
    doc = A.change(doc, (d) => deleteComm(d, 'tmp'));
    const net = changesBetween(doc, before, A.getHeads(doc)).comms;
    expect(net === null || (net.upserted.length === 0 && net.removed.every((id) => id === 'tmp'))).toBe(true);
  });

  it('cells, kernel and the dirty flag change the notebook view; a no-op does not', () => {
    let doc = notebook();
    const cases: [(d: NotebookDoc) => unknown, Set<string>][] = [
      [(d) => setCellSource(d, 'c1', 'y'), new Set(['c1'])],
      [(d) => setKernel(d, { status: 'busy' }), new Set()],
      [(d) => setDirty(d, true), new Set()],
    ];
    for (const [fn, cells] of cases) {
      const r = step(doc, fn);
      expect(r.changes).toEqual({ comms: null, notebook: true, cells });
      doc = r.doc;
    }
    expect(step(doc, (d) => setCommState(d, 'missing', { value: 1 })).changes).toEqual({ comms: null, notebook: false, cells: new Set() });
    // A cell added: the windows get the whole notebook.
    expect(step(doc, (d) => insertCell(d, 0, blankCell('c0'))).changes.cells).toBe('all');
  });

  it('from an empty doc (the comms map itself created): everything, and nothing removed', () => {
    const doc = A.change(notebook(), (d) => putComm(d, 'x', comm('IntSliderModel')));
    const changes = changesBetween(doc, [], A.getHeads(doc));
    expect(changes.comms).toEqual({ upserted: [expect.objectContaining({ id: 'x' })], removed: [] });
    expect(changes.notebook).toBe(true);
  });

  it('PendingChanges: patches collected change by change give what one diff over them gives', () => {
    let doc = A.change(notebook(), (d) => putComm(d, 'a', comm('IntSliderModel')));
    const start = A.getHeads(doc);
    const pending = new PendingChanges();
    const apply = (fn: (d: NotebookDoc) => void) => {
      let patches: A.Patch[] = [];
      doc = A.change(doc, { patchCallback: (p) => (patches = p) }, fn);
      pending.add(doc, patches);
    };
    apply((d) => setCommState(d, 'a', { value: 5 }));
    apply((d) => putComm(d, 'b', comm('LayoutModel')));
    apply((d) => setCellSource(d, 'c1', 'changed'));
    apply((d) => setCommState(d, 'a', { value: 6 }));
    const collected = pending.take(doc, () => A.view(doc, start));
    expect(collected).toEqual(changesBetween(doc, start, A.getHeads(doc)));
    expect(collected.comms?.upserted.map((c) => [c.id, c.state.value ?? null])).toEqual([['a', 6], ['b', 1]]);
    expect(collected.cells).toEqual(new Set(['c1']));
    // take() resets.
    expect(pending.take(doc, () => doc)).toEqual({ comms: null, notebook: false, cells: new Set() });
  });
});
