/**
 * One driver of front-end widgets (Play's timer) per notebook across every host process: the
 * daemon elects it among the clients that offer to drive, on a real daemon.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon();
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
});

describe('widget driver election', () => {
  it('the earliest host that offers drives; withdrawing or leaving hands over; a headless client never drives', async () => {
    const path = daemon.notebook('driver.ipynb', [{ source: '' }]);
    const headless = await (await daemon.client('headless')).openNotebook(path);
    const hostA = await (await daemon.client('host-a')).openNotebook(path, { drivesWidgets: true });
    const hostB = await (await daemon.client('host-b')).openNotebook(path, { drivesWidgets: true });
    expect([headless.isWidgetDriver(), hostA.isWidgetDriver(), hostB.isWidgetDriver()]).toEqual([false, true, false]);

    // Host A's last window closes (it keeps the notebook open): B takes over.
    expect(await hostA.setDrivesWidgets(false)).toBe(false);
    await waitFor(() => hostB.isWidgetDriver(), 'host B to be told it drives');
    // A offers again: B keeps driving (windows already follow it).
    expect(await hostA.setDrivesWidgets(true)).toBe(false);
    expect(hostB.isWidgetDriver()).toBe(true);

    // B leaves: A is the only candidate.
    await hostB.close();
    await waitFor(() => hostA.isWidgetDriver(), 'host A to be told it drives again');
    expect(headless.isWidgetDriver()).toBe(false);
  });

  it('a reply does not undo a newer election read in the same chunk', async () => {
    const path = daemon.notebook('driver-race.ipynb', [{ source: '' }]);
    const hostA = await (await daemon.client('race-a')).openNotebook(path, { drivesWidgets: true });
    const hostB = await (await daemon.client('race-b')).openNotebook(path, { drivesWidgets: true });
    expect([hostA.isWidgetDriver(), hostB.isWidgetDriver()]).toEqual([true, false]);
    // B offers again (A keeps driving: reply false), then A withdraws (broadcast: B drives).
    // Both frames reach B while this process is busy, so B reads them in one chunk.
    const offering = hostB.setDrivesWidgets(true);
    const withdrawing = hostA.setDrivesWidgets(false);
    const busyUntil = Date.now() + 300;
    while (Date.now() < busyUntil) {
      // Block the event loop: the daemon answers both meanwhile.
    }
    await Promise.all([offering, withdrawing]);
    expect(hostB.isWidgetDriver()).toBe(true);
    expect(hostA.isWidgetDriver()).toBe(false);
  });
});
