/**
 * The daemon is SIGKILLed: its recovery snapshot brings back every edit it had persisted,
 * and a replica that outlived it resends the edits the daemon never received.
 */
import { rmSync } from 'node:fs';
import * as A from '@automerge/automerge';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';

const daemons: TestDaemon[] = [];
let home = '';

afterAll(async () => {
  for (const d of daemons) await d.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

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
    await new Promise((r) => setTimeout(r, 1500)); // the snapshot is written within a second

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
    expect(reader.getKernel().status).toBe('unknown'); // the old kernel is gone…
    const slider = reader.getWidgets().find((w) => w.modelName === 'IntSliderModel');
    expect(slider?.state.value).toBe(4); // …its widgets stay visible, read-only

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
});
