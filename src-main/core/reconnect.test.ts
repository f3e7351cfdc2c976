/**
 * The daemon dies (SIGKILL); the core says so to every window, starts a new daemon,
 * reopens the notebook, resyncs the windows and says it is back. Real daemon, real kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommRecord } from '../../src-shared/schema/notebook-doc';
import type { NotebookSnapshot } from '../../src-shared/ipc/contract';
import type { ExecuteResult } from '../../src-shared/protocol/messages';
import { processAlive } from '../../src-shared/node/process-alive';
import { startTestDaemon, waitFor, type TestDaemon } from '../../src-client/testing/daemon-harness';
import { QuireCore } from './quire-core';
import { RecordingWindow } from './test-support';

let daemon: TestDaemon;
let core: QuireCore;
/** Processes that must be gone before the test's QUIRE_HOME is removed. */
const lingering: number[] = [];

beforeAll(async () => {
  daemon = await startTestDaemon();
  core = new QuireCore({
    // autostart: the reconnect starts a new daemon in the same QUIRE_HOME, as the app would.
    connect: { env: daemon.env, autostart: true },
    log: () => {},
    reconnectDelayMs: { initial: 100, max: 1000 },
  });
  await core.start();
}, 60_000);

afterAll(async () => {
  await core?.close();
  await daemon?.cli(['stop']); // the daemon the core started
  // The new daemon and the killed daemon's orphaned kernel may still be writing into QUIRE_HOME.
  await waitFor(() => !lingering.some(processAlive), 'the daemon and kernels to exit', 15_000).catch(() => {});
  await daemon?.stop();
});

async function ok<T>(windowId: number, channel: string, payload: unknown = {}): Promise<T> {
  const reply = await core.handle(windowId, channel, payload);
  if (!reply.ok) throw new Error(reply.error);
  return reply.result as T;
}

async function daemonStatus(): Promise<{ pid: number; rooms: { kernel: { pid: number | null } | null }[] }> {
  const { stdout } = await daemon.cli(['status', '--json']);
  return JSON.parse(stdout) as { pid: number; rooms: { kernel: { pid: number | null } | null }[] };
}

async function daemonPid(): Promise<number> {
  const status = await daemonStatus();
  lingering.push(status.pid);
  for (const room of status.rooms) if (room.kernel?.pid) lingering.push(room.kernel.pid);
  return status.pid;
}

describe('reconnect', () => {
  it('after the daemon is killed, windows hear it, and get a resynced notebook from a new daemon', async () => {
    const path = daemon.notebook('reconnect.ipynb', [{ source: 'import ipywidgets as w\ns = w.IntSlider(value=4)\ns' }, { source: 'z = 1' }]);
    const win1 = new RecordingWindow();
    const win2 = new RecordingWindow();
    const w1 = core.openWindow(path, win1);
    const w2 = core.openWindow(path, win2);
    expect((await ok<ExecuteResult>(w1, 'cell:execute', { cellId: 'cell-0' })).status).toBe('ok');
    await waitFor(async () => (await ok<CommRecord[]>(w1, 'comms:get')).some((c) => c.modelName === 'IntSliderModel'), 'the slider');
    const before = await ok<CommRecord[]>(w1, 'comms:get');
    const oldPid = await daemonPid();
    expect(oldPid).toBe(daemon.process.pid);
    win1.clear();
    win2.clear();

    daemon.process.kill('SIGKILL');

    for (const win of [win1, win2]) {
      await waitFor(() => win.of('host:status').some((s) => !s.connected), 'host:status connected:false', 10_000);
    }
    // Requests made while reconnecting wait for the notebook instead of failing.
    const during = ok<NotebookSnapshot>(w2, 'notebook:get');
    for (const win of [win1, win2]) {
      await waitFor(() => win.of('host:status').some((s) => s.connected), 'host:status connected:true', 40_000);
      const order = win.events.map((e) => e.event);
      const back = order.lastIndexOf('host:status');
      const resyncNotebook = order.indexOf('notebook:changed');
      const resyncComms = order.indexOf('comms:changed');
      expect(order.indexOf('host:status')).toBe(0);
      expect(resyncNotebook).toBeGreaterThan(0);
      expect(resyncComms).toBeGreaterThan(0);
      expect(back).toBeGreaterThan(Math.max(resyncNotebook, resyncComms));
    }
    expect((await during).cells.map((c) => c.id)).toEqual(['cell-0', 'cell-1']);
    expect(await daemonPid()).not.toBe(oldPid);

    // What the window was told since the crash, applied to what it had, is the whole truth. (The
    // kernel outlives the daemon and is re-adopted, so its widgets may come back in a later
    // change than the first resync.)
    const told = () => {
      const ids = new Set(before.map((c) => c.id));
      for (const change of win1.of('comms:changed')) {
        for (const c of change.upserted) ids.add(c.id);
        for (const id of change.removed) ids.delete(id);
      }
      return [...ids].sort();
    };
    await waitFor(async () => told().join() === (await ok<CommRecord[]>(w1, 'comms:get')).map((c) => c.id).sort().join(), 'the window to hold what the doc holds');
    expect(win1.of('comms:changed').length).toBeGreaterThan(0);

    // The notebook works on the new daemon: a new kernel, new widgets, fanned out as before.
    win2.clear();
    expect((await ok<ExecuteResult>(w2, 'cell:execute', { cellId: 'cell-0' })).status).toBe('ok');
    await waitFor(() => win1.of('comms:changed').some((c) => c.upserted.some((u) => u.modelName === 'IntSliderModel' && u.state.value === 4)), 'a new slider in window 1');
    expect(core.replicaOf(w1)).toBe(core.replicaOf(w2));
    core.closeWindow(w1);
    core.closeWindow(w2);
  });
});
