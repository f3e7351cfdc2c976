/**
 * Cell structure edits through the SDK on a real daemon and kernel: they reach every
 * replica, dirty the notebook, merge with concurrent edits and save as nbformat.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import { heldCell } from '../testing/held-cell';
import type { NotebookSession } from './index';

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { QUIRE_AUTOSAVE_MS: '0' } });
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
});

async function twoSessions(name: string, cells: { cell_type?: 'code' | 'markdown'; source: string }[]): Promise<[NotebookSession, NotebookSession]> {
  const path = daemon.notebook(name, cells);
  const a = await (await daemon.client('a')).openNotebook(path);
  const b = await (await daemon.client('b')).openNotebook(path);
  return [a, b];
}

const sources = (nb: NotebookSession) => nb.getCells().map((c) => c.source);

describe('cell structure through the SDK', () => {
  it('insert, move, type, split, merge, clear and splice reach the other replica, dirty the notebook and save', async () => {
    const [a, b] = await twoSessions('structure.ipynb', [{ source: 'x = 1' }, { source: 'print(x)' }]);
    expect(a.isDirty()).toBe(false);
    const [c0, c1] = a.getCells();
    for (const cell of [c0!, c1!]) expect((await a.execute({ cellId: cell.id })).status).toBe('ok');
    await a.save();

    const title = a.insertCell(0, { cellType: 'markdown', source: '# Title' });
    const tail = a.insertCell(3, { source: 'y = 2\n\nz = 3' });
    a.moveCell(c1!.id, 1);
    a.spliceCellSource(c0!.id, 5, 5, '0');
    const z = a.splitCell(tail, 6);
    a.setCellType(z, 'raw');
    a.setCellType(z, 'code');
    expect(sources(a)).toEqual(['# Title', 'print(x)', 'x = 10', 'y = 2', 'z = 3']);

    await a.confirmSent();
    await waitFor(async () => {
      await b.confirmSync();
      return b.isDirty();
    }, 'the daemon to mark the notebook dirty');
    expect(sources(b)).toEqual(sources(a));
    expect(b.getCells()[1]).toMatchObject({ id: c1!.id, executionCount: 2 });
    expect(b.getCells()[1]!.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '1\n' }]);
    expect(b.getCells()[0]).toMatchObject({ id: title, cellType: 'markdown' });

    b.mergeCells([tail, z]);
    b.clearOutputs(c1!.id);
    await b.confirmSent();
    await a.confirmSync();
    expect(sources(a)).toEqual(['# Title', 'print(x)', 'x = 10', 'y = 2\nz = 3']);
    expect(a.getCells()[1]).toMatchObject({ outputs: [], executionCount: null });

    await a.save();
    const saved = JSON.parse(readFileSync(a.path, 'utf8')) as { cells: { id: string; cell_type: string; source: string | string[] }[] };
    expect(saved.cells.map((c) => c.id)).toEqual(a.getCells().map((c) => c.id));
    expect(saved.cells.map((c) => c.cell_type)).toEqual(['markdown', 'code', 'code', 'code']);
    expect(saved.cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source))).toEqual(sources(a));
    await b.confirmSync();
    expect(b.isDirty()).toBe(false);
  });

  it('concurrent edits in two replicas merge: typing in one cell while another is moved', async () => {
    const [a, b] = await twoSessions('concurrent.ipynb', [{ source: 'one' }, { source: 'two' }, { source: 'three' }]);
    const [c0, , c2] = a.getCells();
    a.moveCell(c2!.id, 0);
    b.spliceCellSource(c0!.id, 3, 3, '!');
    b.spliceCellSource(c0!.id, 0, 0, '1: ');
    await Promise.all([a.confirmSent(), b.confirmSent()]);
    await a.confirmSync();
    await b.confirmSync();
    expect(sources(a)).toEqual(['three', '1: one!', 'two']);
    expect(sources(b)).toEqual(sources(a));
  });

  it('a cell moved while it runs still gets its outputs and timing', async () => {
    const held = heldCell(daemon.home);
    const [a, b] = await twoSessions('moving-run.ipynb', [{ source: `${held.code}\nprint("done")` }, { source: 'pass' }]);
    const [running] = a.getCells();
    const result = a.execute({ cellId: running!.id });
    await waitFor(async () => {
      await b.confirmSync();
      return b.getCells()[0]?.run === 'running';
    }, 'the cell to run');
    b.moveCell(running!.id, 1);
    await b.confirmSent();
    held.release();
    expect((await result).status).toBe('ok');
    await b.confirmSync();
    const moved = b.getCells()[1]!;
    expect(moved.id).toBe(running!.id);
    expect(moved.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'done\n' }]);
    expect(moved.lastRun).toMatchObject({ status: 'ok' });
  });

  it('bad edits throw a clear error, change nothing, and the daemon keeps serving', async () => {
    const [a] = await twoSessions('bad-edits.ipynb', [{ source: 'x' }]);
    const before = JSON.stringify(a.getCells());
    expect(() => a.moveCell('no-such-cell', 0)).toThrow(/no cell with id "no-such-cell"/);
    expect(() => a.insertCell(5)).toThrow(/index 5/);
    expect(() => a.spliceCellSource(a.getCells()[0]!.id, 0, 9, '')).toThrow(/outside the cell's source/);
    expect(() => a.mergeCells([a.getCells()[0]!.id])).toThrow(/at least two/);
    expect(() => a.insertCell(0, { id: 'bad id' })).toThrow(/not a valid cell id/);
    expect(JSON.stringify(a.getCells())).toBe(before);
    expect((await a.execute('print(1)')).status).toBe('ok');
  });
});
