/**
 * Cell structure mutators, run timing, file/recovery records and reload: pure functions on
 * real Automerge docs (two replicas where merging is the point).
 */
import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import {
  blankCell,
  clearOutputs,
  deleteCell,
  finishCellRun,
  getCells,
  getComms,
  getFileState,
  getRecovery,
  initNotebookDoc,
  insertCell,
  markKernelGone,
  mergeCells,
  moveCell,
  pathChangesNotebookView,
  pathDirties,
  putComm,
  replaceNotebookContent,
  setCellRun,
  setCellType,
  setFileState,
  setRecovery,
  spliceCellSource,
  splitCell,
  startCellRun,
  type NewCell,
  type NewComm,
  type NotebookDoc,
} from './notebook-doc';

const ACTOR_A = 'aa'.repeat(16);
const ACTOR_B = 'bb'.repeat(16);

function code(id: string, source: string, extra: Partial<NewCell> = {}): NewCell {
  return { ...blankCell(id, 'code', source), ...extra };
}

const OUT = '{"output_type":"stream","name":"stdout","text":"1\\n"}';

function docWith(cells: NewCell[], actor = ACTOR_A): A.Doc<NotebookDoc> {
  return A.change(A.init<NotebookDoc>({ actor }), (d) =>
    initNotebookDoc(d, { nbformat: 4, nbformatMinor: 5, metadataJson: '{}', extraJson: null, cells }),
  );
}

function threeCells(): A.Doc<NotebookDoc> {
  return docWith([
    code('a', 'x = 1', { executionCount: 1, outputsJson: [OUT], metadataJson: '{"tags":["t"]}' }),
    { ...blankCell('m', 'markdown', '# Title'), attachmentsJson: '{"a.png":{"image/png":"AAAA"}}' },
    code('c', 'print(x)', { executionCount: 2, outputsJson: [OUT] }),
  ]);
}

const ids = (doc: NotebookDoc) => getCells(doc).map((c) => c.id);

/** Paths a change wrote, and whether the daemon would mark the notebook dirty for them. */
function dirtiesOf(before: A.Doc<NotebookDoc>, after: A.Doc<NotebookDoc>): boolean {
  return A.diff(after, A.getHeads(before), A.getHeads(after)).some((p) => pathDirties(p.path));
}

function expectRejected(doc: A.Doc<NotebookDoc>, fn: (d: NotebookDoc) => void, message: RegExp): void {
  // Automerge docs are linear: try the change on a copy so the original can be changed again.
  expect(() => A.change(A.clone(doc), fn)).toThrow(message);
}

describe('insertCell / deleteCell', () => {
  it('inserts at the start, middle and end, and the change dirties the notebook', () => {
    const doc = threeCells();
    let next = A.change(doc, (d) => insertCell(d, 0, blankCell('n0')));
    next = A.change(next, (d) => insertCell(d, 2, blankCell('n2', 'markdown', 'hi')));
    next = A.change(next, (d) => insertCell(d, 5, blankCell('n5', 'raw')));
    expect(ids(next)).toEqual(['n0', 'a', 'n2', 'm', 'c', 'n5']);
    expect(getCells(next)[2]).toMatchObject({ cellType: 'markdown', source: 'hi', outputs: [], executionCount: null, lastRun: null });
    expect(dirtiesOf(doc, next)).toBe(true);
  });

  it('refuses a bad index, a taken id, an invalid id or type, and leaves the doc unchanged', () => {
    const doc = threeCells();
    expectRejected(doc, (d) => insertCell(d, 4, blankCell('z')), /index 4.*3 cells/);
    expectRejected(doc, (d) => insertCell(d, -1, blankCell('z')), /index -1/);
    expectRejected(doc, (d) => insertCell(d, 1.5, blankCell('z')), /index 1.5/);
    expectRejected(doc, (d) => insertCell(d, 0, blankCell('a')), /"a" already exists/);
    expectRejected(doc, (d) => insertCell(d, 0, blankCell('has space')), /not a valid cell id/);
    expectRejected(doc, (d) => insertCell(d, 0, blankCell('ok', 'python' as never)), /code, markdown or raw/);
    expect(ids(doc)).toEqual(['a', 'm', 'c']);
  });

  it('deletes by id; an unknown id says so', () => {
    const doc = A.change(threeCells(), (d) => deleteCell(d, 'm'));
    expect(ids(doc)).toEqual(['a', 'c']);
    expectRejected(doc, (d) => deleteCell(d, 'm'), /no cell with id "m"/);
  });
});

describe('moveCell', () => {
  it('moves down and up keeping id, source, outputs, metadata and execution count', () => {
    const doc = threeCells();
    const before = getCells(doc).find((c) => c.id === 'a');
    const down = A.change(doc, (d) => moveCell(d, 'a', 2));
    expect(ids(down)).toEqual(['m', 'c', 'a']);
    expect(getCells(down)[2]).toEqual(before);
    const up = A.change(down, (d) => moveCell(d, 'a', 0));
    expect(ids(up)).toEqual(['a', 'm', 'c']);
    expect(getCells(up)[0]).toEqual(before);
    expect(dirtiesOf(doc, down)).toBe(true);
  });

  it('a moved cell keeps taking text edits (its source is still Automerge text)', () => {
    const moved = A.change(threeCells(), (d) => moveCell(d, 'c', 0));
    const edited = A.change(moved, (d) => spliceCellSource(d, 'c', 0, 0, '# '));
    expect(getCells(edited)[0]?.source).toBe('# print(x)');
  });

  it('moving to its own index changes nothing; out-of-range targets are refused', () => {
    const doc = threeCells();
    expect(A.getHeads(A.change(doc, (d) => moveCell(d, 'm', 1)))).toEqual(A.getHeads(doc));
    expectRejected(doc, (d) => moveCell(d, 'm', 3), /index 3.*0\.\.2/);
    expectRejected(doc, (d) => moveCell(d, 'nope', 0), /no cell with id "nope"/);
  });
});

describe('setCellType', () => {
  it('code → markdown drops outputs, execution count and timing; metadata and source stay', () => {
    let doc = A.change(threeCells(), (d) => {
      startCellRun(d, 'a', 1000);
      finishCellRun(d, 'a', 'ok', 1500);
    });
    doc = A.change(doc, (d) => setCellType(d, 'a', 'markdown'));
    expect(getCells(doc)[0]).toMatchObject({
      cellType: 'markdown',
      source: 'x = 1',
      outputs: [],
      executionCount: null,
      lastRun: null,
      metadata: { tags: ['t'] },
    });
  });

  it('markdown → code drops attachments (code cells have none in nbformat)', () => {
    const doc = A.change(threeCells(), (d) => setCellType(d, 'm', 'code'));
    expect(getCells(doc)[1]?.cellType).toBe('code');
    expect(doc.cells[1]?.attachments).toBeNull();
  });

  it('the same type is no change; an unknown type is refused', () => {
    const doc = threeCells();
    expect(A.getHeads(A.change(doc, (d) => setCellType(d, 'a', 'code')))).toEqual(A.getHeads(doc));
    expectRejected(doc, (d) => setCellType(d, 'a', 'heading' as never), /code, markdown or raw/);
  });
});

describe('splitCell', () => {
  it('splits at an offset like JupyterLab: newlines trimmed, outputs go with the second part', () => {
    const doc = docWith([code('a', 'x = 1\n\ny = 2\n', { executionCount: 4, outputsJson: [OUT], metadataJson: '{"k":1}' })]);
    const split = A.change(doc, (d) => splitCell(d, 'a', 6, 'b'));
    const [first, second] = getCells(split);
    expect(first).toMatchObject({ id: 'a', source: 'x = 1', outputs: [], executionCount: null, metadata: { k: 1 } });
    expect(second).toMatchObject({ id: 'b', cellType: 'code', source: 'y = 2', executionCount: null, metadata: { k: 1 } });
    expect(second?.outputs).toEqual([JSON.parse(OUT)]);
  });

  it('offsets count UTF-16 code units (an emoji is two)', () => {
    const doc = docWith([blankCell('a', 'markdown', 'ab😀cd')]);
    const split = A.change(A.clone(doc), (d) => splitCell(d, 'a', 4, 'b'));
    expect(getCells(split).map((c) => c.source)).toEqual(['ab😀', 'cd']);
    expectRejected(doc, (d) => splitCell(d, 'a', 3, 'b'), /surrogate pair/);
  });

  it('at the start or end gives an empty cell', () => {
    const doc = docWith([code('a', 'x')]);
    expect(getCells(A.change(A.clone(doc), (d) => splitCell(d, 'a', 0, 'b'))).map((c) => c.source)).toEqual(['', 'x']);
    expect(getCells(A.change(A.clone(doc), (d) => splitCell(d, 'a', 1, 'b'))).map((c) => c.source)).toEqual(['x', '']);
  });

  it('typing before the split point in another replica merges into the first part', () => {
    const base = docWith([code('a', 'one\ntwo')], ACTOR_A);
    let a = A.change(base, (d) => splitCell(d, 'a', 4, 'b'));
    let b = A.change(A.clone(base, { actor: ACTOR_B }), (d) => spliceCellSource(d, 'a', 0, 0, 'the '));
    a = A.merge(a, b);
    b = A.merge(b, a);
    expect(getCells(a).map((c) => c.source)).toEqual(['the one', 'two']);
    expect(getCells(b)).toEqual(getCells(a));
  });

  it('refuses an offset outside the source and a taken id', () => {
    const doc = docWith([code('a', 'xy'), code('b', '')]);
    expectRejected(doc, (d) => splitCell(d, 'a', 3, 'n'), /split offset 3.*0\.\.2/);
    expectRejected(doc, (d) => splitCell(d, 'a', 1, 'b'), /"b" already exists/);
  });
});

describe('mergeCells', () => {
  it('joins sources in notebook order into the first cell, whatever order the ids come in', () => {
    const doc = threeCells();
    let merged = '';
    const next = A.change(doc, (d) => {
      merged = mergeCells(d, ['c', 'a']);
    });
    expect(merged).toBe('a');
    expect(ids(next)).toEqual(['a', 'm']);
    expect(getCells(next)[0]).toMatchObject({ source: 'x = 1\nprint(x)', outputs: [], executionCount: null, metadata: { tags: ['t'] } });
    expect(dirtiesOf(doc, next)).toBe(true);
  });

  it('markdown cells combine their attachments; a separator can be chosen', () => {
    const doc = docWith([
      { ...blankCell('m1', 'markdown', 'one'), attachmentsJson: '{"a.png":{"image/png":"AA"}}' },
      { ...blankCell('m2', 'markdown', 'two'), attachmentsJson: '{"b.png":{"image/png":"BB"}}' },
    ]);
    const next = A.change(doc, (d) => void mergeCells(d, ['m1', 'm2'], '\n\n'));
    expect(getCells(next)).toHaveLength(1);
    expect(getCells(next)[0]?.source).toBe('one\n\ntwo');
    expect(JSON.parse(next.cells[0]!.attachments!.val)).toEqual({ 'a.png': { 'image/png': 'AA' }, 'b.png': { 'image/png': 'BB' } });
  });

  it('refuses fewer than two cells, repeats and unknown ids', () => {
    const doc = threeCells();
    expectRejected(doc, (d) => void mergeCells(d, ['a']), /at least two/);
    expectRejected(doc, (d) => void mergeCells(d, ['a', 'a']), /listed twice/);
    expectRejected(doc, (d) => void mergeCells(d, ['a', 'zz']), /no cell with id "zz"/);
  });
});

describe('clearOutputs', () => {
  it('clears one code cell, or all of them, with their execution counts', () => {
    const doc = threeCells();
    const one = A.change(A.clone(doc), (d) => clearOutputs(d, 'c'));
    expect(getCells(one).map((c) => [c.outputs.length, c.executionCount])).toEqual([
      [1, 1],
      [0, null],
      [0, null],
    ]);
    const all = A.change(doc, (d) => clearOutputs(d));
    expect(getCells(all).every((c) => c.outputs.length === 0 && c.executionCount === null)).toBe(true);
    expect(A.getHeads(A.change(all, (d) => clearOutputs(d)))).toEqual(A.getHeads(all));
  });
});

describe('spliceCellSource', () => {
  it('inserts, deletes and replaces at UTF-16 offsets', () => {
    let doc = docWith([code('a', 'héllo 😀 world')]);
    doc = A.change(doc, (d) => spliceCellSource(d, 'a', 8, 8, '!'));
    expect(getCells(doc)[0]?.source).toBe('héllo 😀! world');
    doc = A.change(doc, (d) => spliceCellSource(d, 'a', 0, 5, 'bye'));
    expect(getCells(doc)[0]?.source).toBe('bye 😀! world');
    doc = A.change(doc, (d) => spliceCellSource(d, 'a', 4, 7, ''));
    expect(getCells(doc)[0]?.source).toBe('bye  world');
  });

  it('two replicas typing in one cell at once both keep their text', () => {
    const base = docWith([code('a', 'ab')], ACTOR_A);
    let a = A.change(base, (d) => spliceCellSource(d, 'a', 0, 0, 'X'));
    let b = A.change(A.clone(base, { actor: ACTOR_B }), (d) => spliceCellSource(d, 'a', 2, 2, 'Y'));
    a = A.merge(a, b);
    b = A.merge(b, a);
    expect(getCells(a)[0]?.source).toBe('XabY');
    expect(getCells(b)[0]?.source).toBe('XabY');
  });

  it('refuses ranges outside the source, reversed ranges and split surrogate pairs', () => {
    const doc = docWith([code('a', 'a😀')]);
    expectRejected(doc, (d) => spliceCellSource(d, 'a', 0, 4, ''), /to 4.*0\.\.3/);
    expectRejected(doc, (d) => spliceCellSource(d, 'a', 1, 0, ''), /reversed/);
    expectRejected(doc, (d) => spliceCellSource(d, 'a', 2, 2, 'x'), /surrogate pair/);
    expectRejected(doc, (d) => spliceCellSource(d, 'zz', 0, 0, 'x'), /no cell/);
  });
});

describe('run timing', () => {
  it('a run records its start, then its duration and status; run state is not a file change', () => {
    const doc = threeCells();
    const queued = A.change(doc, (d) => setCellRun(d, 'a', 'queued'));
    const started = A.change(queued, (d) => startCellRun(d, 'a', 10_000));
    expect(getCells(started)[0]).toMatchObject({ run: 'running', lastRun: { startedAt: 10_000, durationMs: null, status: null } });
    const done = A.change(started, (d) => finishCellRun(d, 'a', 'error', 10_250));
    expect(getCells(done)[0]).toMatchObject({ run: 'idle', lastRun: { startedAt: 10_000, durationMs: 250, status: 'error' } });
    expect(dirtiesOf(doc, done)).toBe(false);
  });

  it('a cell aborted before it started records the abort', () => {
    let doc = A.change(threeCells(), (d) => {
      startCellRun(d, 'a', 1);
      finishCellRun(d, 'a', 'ok', 2);
    });
    doc = A.change(doc, (d) => setCellRun(d, 'a', 'queued'));
    doc = A.change(doc, (d) => finishCellRun(d, 'a', 'aborted', 5000));
    expect(getCells(doc)[0]).toMatchObject({ run: 'idle', lastRun: { startedAt: 5000, durationMs: null, status: 'aborted' } });
  });

  it('markKernelGone aborts running and queued cells', () => {
    let doc = A.change(threeCells(), (d) => {
      startCellRun(d, 'a', 100);
      setCellRun(d, 'c', 'queued');
    });
    doc = A.change(doc, (d) => markKernelGone(d, 400));
    const [a, , c] = getCells(doc);
    expect(a).toMatchObject({ run: 'idle', lastRun: { startedAt: 100, durationMs: 300, status: 'aborted' } });
    expect(c).toMatchObject({ run: 'idle', lastRun: { startedAt: 400, durationMs: null, status: 'aborted' } });
  });

  it('docs without lastRun (written before it existed) read as null', () => {
    const old = A.change(A.init<NotebookDoc>(), (d) => {
      initNotebookDoc(d, { nbformat: 4, nbformatMinor: 5, metadataJson: '{}', extraJson: null, cells: [code('a', '')] });
      delete (d.cells[0] as { lastRun?: unknown }).lastRun;
    });
    expect(getCells(old)[0]?.lastRun).toBeNull();
  });
});

describe('file and recovery records', () => {
  it('an old doc has no file record and reads as nothing known', () => {
    expect(getFileState(threeCells())).toEqual({ savedAt: null, saving: false, error: null, changedOnDisk: false, autosave: false });
    expect(getRecovery(threeCells())).toBeNull();
  });

  it('setFileState writes only what changed and never dirties the notebook', () => {
    const doc = threeCells();
    const next = A.change(doc, (d) => setFileState(d, { autosave: true, saving: true }));
    expect(getFileState(next)).toMatchObject({ autosave: true, saving: true, error: null });
    const failed = A.change(next, (d) => setFileState(d, { saving: false, error: 'disk full' }));
    expect(getFileState(failed)).toMatchObject({ saving: false, error: 'disk full' });
    expect(A.getHeads(A.change(failed, (d) => setFileState(d, { saving: false, error: 'disk full' })))).toEqual(A.getHeads(failed));
    expect(dirtiesOf(doc, failed)).toBe(false);
    const paths = A.diff(failed, A.getHeads(doc), A.getHeads(failed)).map((p) => p.path);
    expect(paths.every((p) => pathChangesNotebookView(p))).toBe(true);
  });

  it('recovery is set and cleared', () => {
    const doc = A.change(threeCells(), (d) => setRecovery(d, { restoredAt: 2, snapshotAt: 1 }));
    expect(getRecovery(doc)).toEqual({ restoredAt: 2, snapshotAt: 1 });
    expect(getRecovery(A.change(doc, (d) => setRecovery(d, null)))).toBeNull();
  });
});

describe('replaceNotebookContent (reload)', () => {
  const slider = (value: number, origin: NewComm['origin']): NewComm => ({
    targetName: 'jupyter.widget',
    modelModule: '@jupyter-widgets/controls',
    modelModuleVersion: '2.0.0',
    modelName: 'IntSliderModel',
    origin,
    stateJson: { value: String(value) },
  });

  it('takes cells and metadata from the file; kept cells are edited in place, live widgets stay', () => {
    let doc = A.change(threeCells(), (d) => {
      putComm(d, 'live', slider(1, 'kernel'));
      putComm(d, 'old-saved', slider(2, 'saved'));
      startCellRun(d, 'c', 5);
    });
    const file = A.change(
      docWith([code('a', 'x = 1', { metadataJson: '{}' }), code('new', 'z = 3'), code('c', 'print(x + 1)')]),
      (d) => {
        d.metadata = new A.ImmutableString('{"from":"disk"}');
        putComm(d, 'file-saved', slider(3, 'saved'));
        putComm(d, 'live', slider(99, 'saved'));
      },
    );
    // Another replica types in cell c while the reload happens: its edit merges.
    let other = A.change(A.clone(doc, { actor: ACTOR_B }), (d) => spliceCellSource(d, 'c', 0, 0, '#'));
    doc = A.change(doc, (d) => replaceNotebookContent(d, file));
    other = A.merge(other, doc);
    expect(ids(doc)).toEqual(['a', 'new', 'c']);
    expect(getCells(doc).map((c) => c.source)).toEqual(['x = 1', 'z = 3', 'print(x + 1)']);
    expect(getCells(doc)[2]).toMatchObject({ run: 'running', outputs: [] });
    expect(getCells(doc)[0]).toMatchObject({ metadata: {}, outputs: [], executionCount: null });
    expect(doc.metadata.val).toBe('{"from":"disk"}');
    expect(getCells(other)[2]?.source).toBe('#print(x + 1)');
    const comms = Object.fromEntries(getComms(doc).map((c) => [c.id, c.state.value]));
    expect(comms).toEqual({ live: 1, 'file-saved': 3 });
  });

  it('follows a reordering in the file; a moved cell keeps its run state', () => {
    const doc = A.change(threeCells(), (d) => startCellRun(d, 'c', 5));
    const next = A.change(doc, (d) => replaceNotebookContent(d, docWith([code('c', 'print(x)'), code('a', 'x = 1')])));
    expect(ids(next)).toEqual(['c', 'a']);
    expect(getCells(next)[0]).toMatchObject({ run: 'running', lastRun: { startedAt: 5 } });
  });

  it('reloading the same content changes nothing', () => {
    const doc = threeCells();
    expect(A.getHeads(A.change(doc, (d) => replaceNotebookContent(d, threeCells())))).toEqual(A.getHeads(doc));
  });
});
