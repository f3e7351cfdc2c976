/**
 * The notebook file as every client sees it (the doc's `file` record), on a real daemon:
 * changes by other programs, save refusal and overwrite, reload, autosave, failed saves.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import type { NotebookSession } from './index';

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { QUIRE_AUTOSAVE_MS: '800', QUIRE_FILE_POLL_MS: '200' } });
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
});

async function twoSessions(name: string, cells: { source: string }[]): Promise<[NotebookSession, NotebookSession]> {
  const path = daemon.notebook(name, cells);
  const a = await (await daemon.client('a')).openNotebook(path);
  const b = await (await daemon.client('b')).openNotebook(path);
  return [a, b];
}

async function settled(nb: NotebookSession, what: string, check: () => boolean): Promise<void> {
  await waitFor(async () => {
    await nb.confirmSync();
    return check();
  }, what);
}

const onDisk = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { cells: { source: string | string[] }[] }).cells.map((c) =>
  Array.isArray(c.source) ? c.source.join('') : c.source,
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('changed on disk', () => {
  it('is noticed; a plain save is refused (autosave too), overwrite replaces the file', async () => {
    const [a, b] = await twoSessions('changed.ipynb', [{ source: 'mine = 1' }]);
    expect(a.getFileState()).toEqual({ savedAt: null, saving: false, error: null, changedOnDisk: false, autosave: true });

    // Same bytes, new mtime (an editor rewriting it unchanged): not a change.
    const later = new Date(Date.now() + 5000);
    utimesSync(a.path, later, later);
    await sleep(1000);
    await b.confirmSync();
    expect(b.getFileState().changedOnDisk).toBe(false);

    daemon.notebook('changed.ipynb', [{ source: 'theirs = 2' }]);
    await settled(b, 'every client to see the change on disk', () => b.getFileState().changedOnDisk);
    a.setCellSource(a.getCells()[0]!.id, 'mine = 3');
    await a.confirmSent();
    await sleep(2000); // several autosave periods: it must not write over their change
    expect(onDisk(a.path)).toEqual(['theirs = 2']);

    const refused = await a.save().catch((e: Error & { code?: string }) => e);
    expect(refused).toMatchObject({ code: 'changed-on-disk' });
    expect((refused as Error).message).toMatch(/changed on disk.*reload.*overwrite/);
    expect(onDisk(a.path)).toEqual(['theirs = 2']);

    const before = Date.now();
    await a.save(undefined, { overwrite: true });
    expect(onDisk(a.path)).toEqual(['mine = 3']);
    await settled(b, 'the save to show', () => b.getFileState().savedAt !== null);
    expect(b.getFileState()).toMatchObject({ changedOnDisk: false, saving: false, error: null });
    expect(b.getFileState().savedAt).toBeGreaterThanOrEqual(before);
    expect(b.isDirty()).toBe(false);
  });
});

describe('reload', () => {
  it("takes the file's cells and metadata; the kernel, its variables and live widgets stay", async () => {
    const [a, b] = await twoSessions('reload.ipynb', [{ source: 'a = 1' }, { source: 'b = 2' }]);
    await a.execute('import ipywidgets as w\ns = w.IntSlider(value=5)\nsecret = 42');
    a.setCellSource(a.getCells()[0]!.id, 'unsaved edit');
    await a.confirmSent();
    daemon.notebook('reload.ipynb', [{ source: 'from disk' }, { source: 'b = 2' }, { source: 'new cell' }]);
    await settled(a, 'the change on disk', () => a.getFileState().changedOnDisk && a.isDirty());

    expect(await a.reload()).toEqual({ path: a.path, cells: 3 });
    await b.confirmSync();
    expect(b.getCells().map((c) => c.source)).toEqual(['from disk', 'b = 2', 'new cell']);
    expect(b.getCells().map((c) => c.id)).toEqual(['cell-0', 'cell-1', 'cell-2']);
    expect(b.isDirty()).toBe(false);
    expect(b.getFileState().changedOnDisk).toBe(false);
    expect(b.getWidgets().find((w) => w.modelName === 'IntSliderModel')?.state.value).toBe(5);
    expect((await a.execute('print(secret)')).outputs[0]).toMatchObject({ text: '42\n' });
  });

  it('a notebook that is not valid on disk is refused and the doc is left alone', async () => {
    const [a] = await twoSessions('reload-bad.ipynb', [{ source: 'keep me' }]);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(a.path, '{ not json');
    await expect(a.reload()).rejects.toMatchObject({ code: 'notebook-invalid' });
    expect(a.getCells().map((c) => c.source)).toEqual(['keep me']);
  });
});

describe('autosave', () => {
  it('saves a dirty notebook once it has been quiet, and says so in the doc', async () => {
    const [a, b] = await twoSessions('autosave.ipynb', [{ source: 'x = 1' }]);
    a.setCellSource(a.getCells()[0]!.id, 'x = "autosaved"');
    await a.confirmSent();
    await waitFor(() => onDisk(a.path)[0] === 'x = "autosaved"', 'the autosave');
    await settled(b, 'the saved state', () => b.getFileState().savedAt !== null && !b.isDirty());
    expect(b.getFileState()).toMatchObject({ saving: false, error: null, autosave: true });
  });
});

describe('failed saves', () => {
  it('are reported with a clear error to the caller and in the doc; nothing is lost', async () => {
    const [a, b] = await twoSessions('fails.ipynb', [{ source: 'x = 1' }]);
    // Saves write a temp file beside the notebook and rename it; a directory in its place makes the write fail.
    const { pid } = await (await daemon.client('status')).status();
    const blocker = `${a.path}.quire-${pid}.tmp`;
    mkdirSync(blocker);
    try {
      a.setCellSource(a.getCells()[0]!.id, 'x = 2');
      const err = await a.save().catch((e: Error & { code?: string }) => e);
      expect(err).toMatchObject({ code: 'save-failed' });
      expect((err as Error).message).toMatch(/could not write .*fails\.ipynb.*nothing was lost/);
      await settled(b, 'the error in the doc', () => b.getFileState().error !== null);
      expect(b.getFileState()).toMatchObject({ saving: false, savedAt: null });
      expect(b.isDirty()).toBe(true);
      expect(onDisk(a.path)).toEqual(['x = 1']);
    } finally {
      rmSync(blocker, { recursive: true, force: true });
    }
    await a.save();
    expect(onDisk(a.path)).toEqual(['x = 2']);
    await settled(b, 'the error to clear', () => b.getFileState().error === null);
    expect(existsSync(blocker)).toBe(false);
  });
});
