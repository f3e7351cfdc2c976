/**
 * A long history of unsaved edits is written compacted when no replica can come back to merge
 * into it, and kept whole when one can (DocSnapshots.close vs flush, Daemon.writeLastSnapshot).
 * Seen from a client: the doc a later daemon restores, its history length and its docId.
 */
import * as A from '@automerge/automerge';
import { afterAll, describe, expect, it } from 'vitest';
import { getDocId } from '../../src-shared/schema/notebook-doc';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import type { NotebookSession } from './notebook-session';

const COMPACT_ABOVE = 10_000; // src-daemon/rooms/doc-snapshots.ts COMPACT_CHANGES
const daemons: TestDaemon[] = [];
afterAll(async () => {
  for (const d of daemons) await d.stop();
});

/** More edits than the compaction threshold, each its own change (as keystrokes are). */
async function longHistory(nb: NotebookSession): Promise<string> {
  const cell = nb.getCells()[0]!.id;
  let source = '';
  for (let i = 0; i <= COMPACT_ABOVE; i++) {
    source = `x = ${i}`;
    nb.setCellSource(cell, source);
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  await nb.confirmSent(60_000);
  expect(A.getAllChanges(nb.current).length).toBeGreaterThan(COMPACT_ABOVE);
  return source;
}

async function reopen(home: string, path: string): Promise<NotebookSession> {
  const d = await startTestDaemon({ home, keepHome: false });
  daemons.push(d);
  return (await d.client('reader')).openNotebook(path);
}

describe('history compaction', () => {
  it('a notebook its client closed, kernel still running when the daemon stops, is restored from one change under a new docId', async () => {
    const d = await startTestDaemon({ keepHome: true });
    const path = d.notebook('long.ipynb', [{ source: 'x = 0' }]);
    const nb = await (await d.client()).openNotebook(path);
    await nb.execute('y = 1'); // a live kernel keeps the room open after the close
    const last = await longHistory(nb);
    const docId = getDocId(nb.current);
    await nb.close();
    await d.stop();

    const restored = await reopen(d.home, path);
    expect(restored.getCells()[0]?.source).toBe(last);
    expect(restored.getRecovery()).not.toBeNull(); // unsaved edits: offered for recovery
    expect(getDocId(restored.current)).not.toBe(docId);
    // The compacted change, plus the restore's own (recovery marker, kernel state).
    expect(A.getAllChanges(restored.current).length).toBeLessThan(10);
  }, 120_000);

  it('a notebook still open in a client when the daemon stops keeps its history: that replica may merge back', async () => {
    const d = await startTestDaemon({ keepHome: true });
    const path = d.notebook('open.ipynb', [{ source: 'x = 0' }]);
    const nb = await (await d.client()).openNotebook(path);
    const last = await longHistory(nb);
    const docId = getDocId(nb.current);
    d.process.kill('SIGTERM'); // with the client still attached (d.stop() would disconnect it first)
    await waitFor(() => d.process.exitCode !== null || d.process.signalCode !== null, 'the daemon to stop');
    await d.stop();

    const restored = await reopen(d.home, path);
    expect(restored.getCells()[0]?.source).toBe(last);
    expect(getDocId(restored.current)).toBe(docId);
    expect(A.getAllChanges(restored.current).length).toBeGreaterThan(COMPACT_ABOVE);
    expect(restored.adopt(nb.current)).toBe(true); // the old replica still merges
  }, 120_000);
});
