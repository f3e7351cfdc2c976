/** Recovery snapshots: a base plus an append-only log, on real files and real Automerge docs. */
import * as A from '@automerge/automerge';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, editCellSource, getCellSource, getComms, getDocId, initNotebookDoc, putComm, setCellSource, setCommState, setDirty, type NotebookDoc } from '../../src-shared/schema/notebook-doc';
import { seededRandom } from '../../src-shared/testing/seeded-random';
import { COMPACT_CHANGES, DocSnapshots } from './doc-snapshots';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'qsnap-'));
  dirs.push(dir);
  const notebook = join(dir, 'n.ipynb');
  writeFileSync(notebook, '{}');
  const warnings: string[] = [];
  const logger = { info: () => {}, warn: (m: string) => warnings.push(m), error: () => {}, debug: () => {} };
  const snapshots = new DocSnapshots(join(dir, 'docs'), logger as never, 10);
  let doc = A.change(A.init<NotebookDoc>(), (d) =>
    initNotebookDoc(d, {
      nbformat: 4,
      nbformatMinor: 5,
      metadataJson: '{}',
      extraJson: null,
      cells: [{ id: 'c', cellType: 'code', source: '', metadataJson: '{}', executionCount: null, outputsJson: [], attachmentsJson: null, extraJson: null }],
    }),
  );
  snapshots.setSource('room', notebook);
  const append = (text: string) => {
    doc = A.change(doc, (d) => {
      const length = getCellSource(d, 'c')!.length;
      editCellSource(d, 'c', [{ from: length, to: length, insert: text }]);
      setDirty(d, true);
    });
    snapshots.flush('room', doc);
  };
  const edit = (text: string) => {
    doc = A.change(doc, (d) => {
      setCellSource(d, 'c', text);
      setDirty(d, true);
    });
    snapshots.flush('room', doc);
    return doc;
  };
  const current = () => doc;
  const change = (f: (d: NotebookDoc) => void) => (doc = A.change(doc, f));
  return { dir, notebook, snapshots, edit, append, change, current, warnings, base: join(dir, 'docs', 'room.automerge') };
}

describe('recovery snapshots', () => {
  it('after the first full snapshot, writes append only the changes, and a restore replays them', () => {
    const { snapshots, edit, notebook, base } = setup();
    edit('x = 1');
    const baseSize = statSync(base).size;
    for (let i = 2; i <= 50; i++) edit(`x = ${i}`);
    expect(statSync(base).size).toBe(baseSize); // the base was not rewritten
    expect(statSync(`${base}.log`).size).toBeGreaterThan(0);
    const restored = snapshots.restore('room', notebook)!;
    expect(getCellSource(restored, 'c')).toBe('x = 50');
  });

  it('a torn last record (a crash mid-append) is ignored: everything before it is restored', () => {
    const { snapshots, edit, notebook, base, warnings } = setup();
    edit('a');
    edit('ab');
    edit('abc');
    appendFileSync(`${base}.log`, Buffer.from([0, 0, 1, 0, 42, 42])); // claims 256 bytes, has 2
    const restored = snapshots.restore('room', notebook)!;
    expect(getCellSource(restored, 'c')).toBe('abc');
    expect(warnings.join()).toMatch(/torn last record/);
  });

  it('a log longer than its base (and 256 KiB) is folded into a new base', () => {
    const { snapshots, append, base, notebook } = setup();
    append('start');
    // Incompressible text: ~4 KiB of changes per write.
    const random = seededRandom(7);
    const text = () => Array.from({ length: 4096 }, () => String.fromCharCode(33 + Math.floor(random() * 90))).join('');
    const logSizes: number[] = [];
    for (let i = 0; i < 150; i++) {
      append(text());
      logSizes.push(statSync(`${base}.log`, { throwIfNoEntry: false })?.size ?? 0);
    }
    // The log grew, was folded (back to nothing) once it passed 256 KiB, and grew again.
    const folded = logSizes.findIndex((size, i) => i > 0 && size < logSizes[i - 1]!);
    expect(folded).toBeGreaterThan(0);
    expect(logSizes[folded - 1]).toBeGreaterThan(256 * 1024);
    expect(statSync(base).size).toBeGreaterThan(256 * 1024);
    expect(getCellSource(snapshots.restore('room', notebook)!, 'c')?.length).toBe(5 + 150 * 4096);
  });

  it('a room closing with a long history is written compacted: same notebook, one change, a new docId', () => {
    const { snapshots, change, current, notebook } = setup();
    change((d) => {
      putComm(d, 'w', { targetName: 'jupyter.widget', modelModule: '@jupyter-widgets/controls', modelModuleVersion: '2.0.0', modelName: 'IntSliderModel', origin: 'kernel', stateJson: { value: '0', description: '"n"' } });
    });
    // A long session of separate edits, each its own change (a 60 Hz drag makes 60 a second).
    for (let i = 1; i <= COMPACT_CHANGES; i++) change((d) => void setCommState(d, 'w', { value: i }));
    change((d) => {
      setCellSource(d, 'c', 'x = 1  # unsaved');
      setDirty(d, true);
    });
    const long = current();
    snapshots.close('room', long, { compact: false }); // a replica may come back: kept whole
    const kept = snapshots.restore('room', notebook)!;
    expect(getDocId(kept)).toBe(getDocId(long));
    expect(A.stats(kept).numChanges).toBeGreaterThan(COMPACT_CHANGES);

    snapshots.close('room', long, { compact: true });
    const restored = snapshots.restore('room', notebook)!;
    expect(getCellSource(restored, 'c')).toBe('x = 1  # unsaved');
    expect(getComms(restored)).toEqual(getComms(long));
    expect(A.stats(restored).numChanges).toBeLessThanOrEqual(2); // the copy, and restore's own change
    expect(getDocId(restored)).not.toBe(getDocId(long)); // an old replica cannot merge into it
  });

  it("writes nothing of a closed room's later changes (a stopping daemon's kernel shutdown) until it is opened again", async () => {
    const { snapshots, edit, change, current, notebook } = setup();
    const last = edit('y = 2');
    snapshots.close('room', last, { compact: true });
    change((d) => setCellSource(d, 'c', 'after the close'));
    snapshots.schedule('room', current);
    await new Promise((r) => setTimeout(r, 50)); // the interval here is 10 ms
    expect(getCellSource(snapshots.restore('room', notebook)!, 'c')).toBe('y = 2');

    snapshots.schedule('room', current); // restored: the room writes snapshots again
    await new Promise((r) => setTimeout(r, 50));
    expect(getCellSource(snapshots.restore('room', notebook)!, 'c')).toBe('after the close');
  });

  it('a doc that lacks the heads of the last snapshot (a new history) gets a new base, not a log of both', () => {
    const { snapshots, edit, notebook } = setup();
    edit('x = 1');
    const other = A.change(A.init<NotebookDoc>(), (d) =>
      initNotebookDoc(d, { nbformat: 4, nbformatMinor: 5, metadataJson: '{}', extraJson: null, cells: [{ id: 'c', cellType: 'code', source: 'other history', metadataJson: '{}', executionCount: null, outputsJson: [], attachmentsJson: null, extraJson: null }] }),
    );
    const written = A.change(other, (d) => setDirty(d, true));
    snapshots.flush('room', written);
    const restored = snapshots.restore('room', notebook)!;
    expect(getCellSource(restored, 'c')).toBe('other history');
    expect(getDocId(restored)).toBe(getDocId(other));
    expect(A.stats(restored).numChanges).toBe(A.stats(written).numChanges + 1); // + restore's own change
  });

  it('a room closing with a short history keeps it (and its docId)', () => {
    const { snapshots, edit, notebook } = setup();
    const doc = edit('y = 2');
    snapshots.close('room', doc, { compact: true });
    const restored = snapshots.restore('room', notebook)!;
    expect(getCellSource(restored, 'c')).toBe('y = 2');
    expect(getDocId(restored)).toBe(getDocId(doc));
    expect(A.stats(restored).numChanges).toBe(A.stats(doc).numChanges + 1);
  });

  it("restoring an older daemon's doc marks it with the current schema version", () => {
    const { snapshots, change, current, notebook } = setup();
    change((d) => {
      d.schemaVersion = 1;
      setDirty(d, true);
    });
    snapshots.flush('room', current());
    expect(snapshots.restore('room', notebook)!.schemaVersion).toBe(SCHEMA_VERSION);
  });
});
