/**
 * The daemon is SIGKILLed: its recovery snapshot brings back every edit it had persisted,
 * and a replica that outlived it resends the edits the daemon never received.
 */
import { readFileSync, rmSync } from 'node:fs';
import * as A from '@automerge/automerge';
import { afterAll, describe, expect, it } from 'vitest';
import { readSnapshotsIn } from '../../src-shared/node/recovery-snapshot';
import { getCells } from '../../src-shared/schema/notebook-doc';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';

const daemons: TestDaemon[] = [];
let home = '';

const homes: string[] = [];

afterAll(async () => {
  for (const d of daemons) await d.stop();
  for (const h of [home, ...homes]) if (h) rmSync(h, { recursive: true, force: true });
});

const firstSource = (path: string): string => {
  const source = (JSON.parse(readFileSync(path, 'utf8')) as { cells: { source: string | string[] }[] }).cells[0]!.source;
  return Array.isArray(source) ? source.join('') : source;
};

/** Waits until `count` rooms' recovery snapshots hold `source` as their first cell (the daemon writes them at most once a second). */
async function snapshotted(home: string, source: string, count = 1): Promise<void> {
  const holding = () => readSnapshotsIn(home).filter((doc) => getCells(doc)[0]?.source === source).length;
  await waitFor(() => holding() >= count, `${count} recovery snapshot(s) holding the edit`, 10_000);
}

async function killHard(d: TestDaemon): Promise<void> {
  d.process.kill('SIGKILL');
  await waitFor(() => d.process.exitCode !== null || d.process.signalCode !== null, 'the daemon to die');
}

describe('daemon crash recovery', () => {
  it('reopening after a SIGKILL restores unsaved edits; a surviving replica resends what the daemon missed', async () => {
    const first = await startTestDaemon({ keepHome: true });
    daemons.push(first);
    home = first.home;
    const path = first.notebook('recover.ipynb', [{ source: 'x = 1' }, { source: 'print(x)' }]);
    const client = await first.client('writer');
    const nb = await client.openNotebook(path);
    await nb.execute('import ipywidgets as w\ns = w.IntSlider(value=4)');
    const [c0, c1] = nb.getCells();
    nb.setCellSource(c0!.id, 'x = 42');
    await nb.confirmSent();
    await snapshotted(first.home, 'x = 42');

    const closed = new Promise((r) => client.onDisconnect(r));
    await killHard(first);
    await closed;
    // Edited while the daemon is dead: only this replica has it.
    nb.setCellSource(c1!.id, 'print(x * 2)');
    const orphan = nb.current;

    const second = await startTestDaemon({ home, keepHome: true });
    daemons.push(second);
    const reader = await (await second.client('reader')).openNotebook(path);
    expect(reader.getCells()[0]?.source).toBe('x = 42'); // from the recovery snapshot
    expect(reader.getCells()[1]?.source).toBe('print(x)'); // the daemon never had the second edit
    // The kernel outlived the crash and was re-adopted (kernel-survival.test.ts covers it)…
    expect(reader.getKernel().status).not.toBe('dead');
    const slider = reader.getWidgets().find((w) => w.modelName === 'IntSliderModel');
    expect(slider?.state.value).toBe(4); // …so its widgets stay, with their state

    const rejoined = await (await second.client('writer-again')).openNotebook(path);
    expect(rejoined.adopt(orphan)).toBe(true);
    await rejoined.confirmSent();
    await waitFor(async () => {
      await reader.confirmSync();
      return reader.getCells()[1]?.source === 'print(x * 2)';
    }, 'the resent edit to reach another client');
    expect(reader.getCells()[0]?.source).toBe('x = 42');
    expect(A.getHeads(rejoined.current).sort()).toEqual(A.getHeads(reader.current).sort());
  });

  it('a notebook changed on disk since the snapshot loads from the file instead', async () => {
    const d = await startTestDaemon();
    daemons.push(d);
    const path = d.notebook('changed.ipynb', [{ source: 'a = 1' }]);
    const nb = await (await d.client()).openNotebook(path);
    nb.setCellSource(nb.getCells()[0]!.id, 'a = 2');
    await nb.confirmSent();
    await nb.save();
    d.notebook('changed.ipynb', [{ source: 'written by another program' }]);
    await killHard(d);
    const again = await startTestDaemon({ home: d.home });
    daemons.push(again);
    const reopened = await (await again.client()).openNotebook(path);
    expect(reopened.getCells()[0]?.source).toBe('written by another program');
  });

  it('a restored notebook offers recovery: no autosave until the user decides; keep keeps the edits, discard reloads the file', async () => {
    const first = await startTestDaemon({ keepHome: true, env: { QUIRE_AUTOSAVE_MS: '0' } });
    daemons.push(first);
    homes.push(first.home);
    const keepPath = first.notebook('keep.ipynb', [{ source: 'on disk' }]);
    const dropPath = first.notebook('drop.ipynb', [{ source: 'on disk' }]);
    const writer = await first.client('writer');
    for (const path of [keepPath, dropPath]) {
      const nb = await writer.openNotebook(path);
      nb.setCellSource(nb.getCells()[0]!.id, 'recovered edit');
      await nb.confirmSent();
    }
    await snapshotted(first.home, 'recovered edit', 2);
    await killHard(first);

    const second = await startTestDaemon({ home: first.home, keepHome: true, env: { QUIRE_AUTOSAVE_MS: '300' } });
    daemons.push(second);
    const openedAt = Date.now();
    const client = await second.client('reader');
    const kept = await client.openNotebook(keepPath);
    const dropped = await client.openNotebook(dropPath);
    for (const nb of [kept, dropped]) {
      expect(nb.getCells()[0]?.source).toBe('recovered edit');
      expect(nb.isDirty()).toBe(true);
      const offer = nb.getRecovery();
      expect(offer?.restoredAt).toBeGreaterThanOrEqual(openedAt - 1000);
      expect(offer?.snapshotAt).toBeLessThanOrEqual(offer!.restoredAt);
    }
    await new Promise((r) => setTimeout(r, 1200)); // four autosave periods: it waits for the decision
    expect(firstSource(keepPath)).toBe('on disk');

    expect(await kept.resolveRecovery(true)).toEqual({ resolved: true });
    expect(kept.getRecovery()).toBeNull();
    expect(kept.getCells()[0]?.source).toBe('recovered edit');
    await waitFor(() => firstSource(keepPath) === 'recovered edit', 'the autosave once the edits were kept');
    expect(await kept.resolveRecovery(false)).toEqual({ resolved: false }); // already decided: nothing reloads
    expect(kept.getCells()[0]?.source).toBe('recovered edit');

    expect(await dropped.resolveRecovery(false)).toEqual({ resolved: true });
    expect(dropped.getRecovery()).toBeNull();
    expect(dropped.getCells()[0]?.source).toBe('on disk');
    expect(dropped.isDirty()).toBe(false);
    expect(firstSource(dropPath)).toBe('on disk');
  });
});
