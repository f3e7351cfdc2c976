/**
 * The core's IPC router and change fan-out against a real daemon process and a real
 * ipykernel (no mocks): validation, sender checks, shared replicas, comms:changed deltas,
 * notebook:changed throttling, custom messages both ways, save.
 */
import { join } from 'node:path';
import { ChangeSet } from '@codemirror/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommRecord } from '../../src-shared/schema/notebook-doc';
import type { CommsChange, NotebookSnapshot } from '../../src-shared/ipc/contract';
import type { ExecuteResult } from '../../src-shared/protocol/messages';
import { startTestDaemon, waitFor, type TestDaemon } from '../../src-client/testing/daemon-harness';
import type { NotebookSession, QuireClient } from '../../src-client/sdk/index';
import { QuireCore } from './quire-core';
import { RecordingWindow } from './test-support';

let daemon: TestDaemon;
let core: QuireCore;
let other: QuireClient;

beforeAll(async () => {
  daemon = await startTestDaemon();
  core = new QuireCore({ connect: { env: daemon.env, autostart: false }, log: () => {} });
  await core.start();
  other = await daemon.client('other-process');
}, 60_000);

afterAll(async () => {
  await core?.close();
  await daemon?.stop();
});

async function ok<T>(windowId: number, channel: string, payload: unknown = {}): Promise<T> {
  const reply = await core.handle(windowId, channel, payload);
  if (!reply.ok) throw new Error(reply.error);
  return reply.result as T;
}

/** Replaces a cell's whole source the way an editor would: one update on top of the current version. */
async function replaceSource(windowId: number, cellId: string, source: string): Promise<void> {
  const snapshot = await ok<NotebookSnapshot>(windowId, 'notebook:get');
  const before = snapshot.cells.find((c) => c.id === cellId)!.source;
  const changes = ChangeSet.of({ from: 0, to: before.length, insert: source }, before.length).toJSON();
  const pushed = await ok<{ accepted: boolean }>(windowId, 'cell:push', { cellId, version: snapshot.sourceVersions[cellId], updates: [{ clientID: 'test', changes }] });
  expect(pushed.accepted).toBe(true);
}

async function roomClients(path: string): Promise<number> {
  const status = await other.status();
  return status.rooms.find((r) => r.path === path)?.clients ?? 0;
}

const SLIDERS = 'import ipywidgets as w\na = w.IntSlider(value=1)\nb = w.IntSlider(value=2)\nc = w.IntSlider(value=3)\ndisplay(a, b, c)';

describe('the IPC router refuses what it must', () => {
  it('requests from a window that is not registered (or no longer is)', async () => {
    const reply = await core.handle(424242, 'comms:get', {});
    expect(reply).toEqual({ ok: false, error: expect.stringMatching(/not a registered Quire window/) });

    const win = new RecordingWindow();
    const id = core.openWindow(daemon.notebook('closed-window.ipynb', [{ source: '1' }]), win);
    await core.whenOpen(id);
    core.closeWindow(id);
    expect(await core.handle(id, 'notebook:get', {})).toEqual({ ok: false, error: expect.stringMatching(/not a registered/) });
  });

  it('unknown channels and payloads that do not match the contract', async () => {
    const id = core.openWindow(daemon.notebook('validation.ipynb', [{ source: '1' }]), new RecordingWindow());
    const cases: [string, unknown, RegExp][] = [
      ['fs:read', { path: '/etc/passwd' }, /unknown IPC channel "fs:read"/],
      ['__proto__', {}, /unknown IPC channel/],
      ['widget:update', { patch: {} }, /widget:update: id/],
      ['widget:update', { id: 'x', patch: 'no' }, /widget:update: patch/],
      ['blob:get', { hash: '../../etc/passwd' }, /blob:get: hash/],
      ['cell:push', { cellId: 'cell-0', version: 0, updates: [{ clientID: 'w', changes: 'no' }] }, /cell:push: updates.0.changes/],
      ['cell:pull', { cellId: 'cell-0', version: -1 }, /cell:pull: version/],
      ['custom:send', { id: 'x', content: {}, buffers: Array(65).fill('') }, /custom:send: buffers/],
      ['notebook:get', 'not an object', /notebook:get/],
    ];
    for (const [channel, payload, error] of cases) {
      const reply = await core.handle(id, channel, payload);
      expect(reply.ok, channel).toBe(false);
      expect(reply.ok ? '' : reply.error, channel).toMatch(error);
    }
    // Well-formed requests the daemon cannot honour fail with its reason, and main keeps serving.
    expect(await core.handle(id, 'widget:update', { id: 'nope', patch: { value: 1 } })).toMatchObject({ ok: false, error: /no widget nope/ });
    expect(await core.handle(id, 'cell:execute', { cellId: 'nope' })).toMatchObject({ ok: false, error: /no cell nope/ });
    expect(await core.handle(id, 'blob:get', { hash: 'a'.repeat(64) })).toMatchObject({ ok: false, error: /no blob/ });
    const snapshot = await ok<NotebookSnapshot>(id, 'notebook:get');
    expect(snapshot).toMatchObject({ title: 'validation.ipynb', dirty: false, cells: [{ id: 'cell-0', source: '1' }] });
    core.closeWindow(id);
  });
});

describe('replicas', () => {
  it('two windows on one notebook share one replica, which closes with the last window', async () => {
    const path = daemon.notebook('shared.ipynb', [{ source: 'x = 1' }]);
    const before = core.openNotebookCount;
    const w1 = core.openWindow(path, new RecordingWindow());
    // Another spelling of the same file is the same notebook.
    const w2 = core.openWindow(join(daemon.home, '.', 'shared.ipynb'), new RecordingWindow());
    await Promise.all([core.whenOpen(w1), core.whenOpen(w2)]);
    expect(core.replicaOf(w1)).not.toBeNull();
    expect(core.replicaOf(w1)).toBe(core.replicaOf(w2));
    expect(core.openNotebookCount).toBe(before + 1);
    expect(core.windowsOf(path).sort()).toEqual([w1, w2].sort());
    expect(await roomClients(core.windowPath(w1)!)).toBe(1); // one daemon peer for both windows

    core.closeWindow(w1);
    expect(core.openNotebookCount).toBe(before + 1);
    core.closeWindow(w2);
    expect(core.openNotebookCount).toBe(before);
    await waitFor(async () => (await roomClients(core.windowPath(w1) ?? path)) === 0, 'the replica to leave the room');
  });

  it('a window reopening a notebook right after its last window closed gets a working replica', async () => {
    const path = daemon.notebook('reopen.ipynb', [{ source: 'y = 2' }]);
    const w1 = core.openWindow(path, new RecordingWindow());
    await core.whenOpen(w1);
    core.closeWindow(w1);
    const w2 = core.openWindow(path, new RecordingWindow());
    await replaceSource(w2, 'cell-0', 'y = 3');
    expect((await ok<NotebookSnapshot>(w2, 'notebook:get')).cells[0]?.source).toBe('y = 3');
    core.closeWindow(w2);
  });
});

describe('change fan-out', () => {
  let path: string;
  let win1: RecordingWindow;
  let win2: RecordingWindow;
  let w1: number;
  let w2: number;
  let sliders: CommRecord[];
  let peer: NotebookSession;

  beforeAll(async () => {
    path = daemon.notebook('fanout.ipynb', [{ source: SLIDERS }, { source: 'a.send({"hello": "windows"})' }]);
    win1 = new RecordingWindow();
    win2 = new RecordingWindow();
    w1 = core.openWindow(path, win1);
    w2 = core.openWindow(path, win2);
    const result = await ok<ExecuteResult>(w1, 'cell:execute', { cellId: 'cell-0' });
    expect(result.status).toBe('ok');
    await waitFor(
      async () => (await ok<CommRecord[]>(w1, 'comms:get')).filter((c) => c.modelName === 'IntSliderModel').length === 3,
      'three sliders',
    );
    sliders = (await ok<CommRecord[]>(w1, 'comms:get')).filter((c) => c.modelName === 'IntSliderModel');
    peer = await other.openNotebook(path);
  }, 60_000);

  /** The comm ids each comms:changed (since the last clear) carried. */
  const idsIn = (win: RecordingWindow) => win.of('comms:changed').flatMap((c) => [...c.upserted.map((u) => u.id), ...c.removed]);

  it('executing a cell sent both windows the new comms in seq order and the new outputs', async () => {
    for (const win of [win1, win2]) {
      const upserted = win.of('comms:changed').flatMap((c) => c.upserted);
      for (const s of sliders) expect(upserted.some((u) => u.id === s.id)).toBe(true);
      const seqs = win.of('comms:changed').flatMap((c) => c.upserted.map((u) => u.seq));
      for (const change of win.of('comms:changed')) {
        const s = change.upserted.map((u) => u.seq);
        expect(s).toEqual([...s].sort((x, y) => x - y));
      }
      expect(seqs.length).toBeGreaterThan(0);
      const events = win.of('notebook:changed');
      // The newest view of the cell that ran (a later event may carry only the kernel's status).
      const ran = events.flatMap((e) => e.cells.filter((c) => c.id === 'cell-0')).at(-1);
      expect(ran?.executionCount).toBe(1);
      expect(ran?.outputs.length).toBeGreaterThan(0);
      // Only what changed travels: the cell that ran, never the notebook's other cell.
      const partial = events.filter((e) => e.partial);
      expect(partial.length).toBeGreaterThan(0);
      for (const e of partial) {
        expect(e.partial?.order).toEqual(['cell-0', 'cell-1']);
        expect(e.cells.map((c) => c.id).filter((id) => id !== 'cell-0')).toEqual([]);
      }
      expect(events.at(-1)?.kernel.status).not.toBe('unknown');
    }
    // Throttled to one notebook:changed per frame per notebook.
    const times = win1.events.filter((e) => e.event === 'notebook:changed').map((e) => e.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(14);
  });

  it('a widget:update from one window reaches both windows as only that comm', async () => {
    const [a, , c] = sliders;
    await new Promise((r) => setTimeout(r, 300));
    win1.clear();
    win2.clear();
    await ok(w1, 'widget:update', { id: a!.id, patch: { value: 9 } });
    for (const win of [win1, win2]) {
      await waitFor(() => win.of('comms:changed').some((ch) => ch.upserted.some((u) => u.id === a!.id && u.state.value === 9)), 'a=9');
    }
    await waitFor(async () => (await peer.execute('print(a.value)')).outputs.some((o) => String(o.text).trim() === '9'), 'the kernel to see a=9');
    for (const win of [win1, win2]) {
      expect(new Set(idsIn(win))).toEqual(new Set([a!.id]));
      // A whole record, not just the trait.
      const record = win.of('comms:changed').flatMap((ch) => ch.upserted).find((u) => u.id === a!.id)!;
      expect(record).toMatchObject({ modelName: 'IntSliderModel', modelModule: '@jupyter-widgets/controls', state: { value: 9, max: 100 } });
    }
    expect(idsIn(win1)).not.toContain(c!.id);
  });

  it('a kernel-side change from another process reaches the windows as only that comm', async () => {
    const [, b] = sliders;
    await new Promise((r) => setTimeout(r, 300));
    win1.clear();
    await peer.execute('b.value = 7');
    await waitFor(() => win1.of('comms:changed').some((ch) => ch.upserted.some((u) => u.id === b!.id && u.state.value === 7)), 'b=7');
    await new Promise((r) => setTimeout(r, 200));
    expect(new Set(idsIn(win1))).toEqual(new Set([b!.id]));
    expect(win1.of('comms:changed').every((ch) => ch.removed.length === 0)).toBe(true);
  });

  it('a closed comm arrives as removed', async () => {
    const [, , c] = sliders;
    win1.clear();
    await peer.execute('c.close()');
    await waitFor(() => win1.of('comms:changed').some((ch: CommsChange) => ch.removed.includes(c!.id)), 'c removed');
    expect((await ok<CommRecord[]>(w2, 'comms:get')).some((x) => x.id === c!.id)).toBe(false);
  });

  it('custom messages go kernel → windows and window → kernel, never into the doc', async () => {
    const [a] = sliders;
    win1.clear();
    win2.clear();
    const result = await ok<ExecuteResult>(w2, 'cell:execute', { cellId: 'cell-1' });
    expect(result.status).toBe('ok');
    for (const win of [win1, win2]) {
      await waitFor(() => win.of('custom').length > 0, 'the custom message');
      expect(win.of('custom')[0]).toEqual({ id: a!.id, content: { hello: 'windows' }, buffers: [] });
    }
    await peer.execute('got = []\na.on_msg(lambda widget, content, buffers: got.append((content, [bytes(b) for b in buffers])))');
    await ok(w1, 'custom:send', { id: a!.id, content: { from: 'window' }, buffers: [Buffer.from('hi').toString('base64')] });
    await waitFor(
      async () => (await peer.execute('print(got)')).outputs.some((o) => String(o.text).includes("({'from': 'window'}, [b'hi'])")),
      'the kernel to receive the custom message',
    );
    expect(JSON.stringify(await ok(w1, 'comms:get'))).not.toContain('windows');
  });

  it('editing a source marks the notebook dirty; saving clears it', async () => {
    win1.clear();
    await replaceSource(w1, 'cell-1', '# edited');
    await waitFor(() => win1.of('notebook:changed').some((s) => s.dirty && s.cells.find((c) => c.id === 'cell-1')?.source === '# edited'), 'a dirty snapshot');
    expect(win1.of('comms:changed')).toEqual([]);
    const saved = await ok<{ path: string; bytes: number }>(w2, 'notebook:save');
    expect(saved.path).toBe(core.windowPath(w2));
    expect(saved.bytes).toBeGreaterThan(0);
    await waitFor(() => win2.of('notebook:changed').at(-1)?.dirty === false, 'a clean snapshot');
  });

  it('interrupt and restart; a restart removes every comm', async () => {
    expect(await core.handle(w1, 'kernel:interrupt', {})).toEqual({ ok: true, result: null });
    win2.clear();
    expect(await core.handle(w1, 'kernel:restart', {})).toEqual({ ok: true, result: null });
    await waitFor(async () => (await ok<CommRecord[]>(w2, 'comms:get')).length === 0, 'no comms after restart');
    await waitFor(() => idsIn(win2).includes(sliders[0]!.id), 'removals');
    expect(win2.of('comms:changed').flatMap((c) => c.removed)).toContain(sliders[1]!.id);
  });
});

describe('front-end-driven widgets and front-end bytes', () => {
  it('one driver window per notebook: the oldest; when it closes the next one is told', async () => {
    const path = daemon.notebook('driver.ipynb', [{ source: '1' }]);
    const [a, b, c] = [new RecordingWindow(), new RecordingWindow(), new RecordingWindow()];
    const ia = core.openWindow(path, a);
    const ib = core.openWindow(path, b);
    const ic = core.openWindow(path, c);
    const otherNotebook = core.openWindow(daemon.notebook('driver-other.ipynb', [{ source: '1' }]), new RecordingWindow());
    await core.whenOpen(ia);
    const driverOf = async (id: number) => (await ok<{ driver: boolean }>(id, 'widgets:driver')).driver;
    expect([await driverOf(ia), await driverOf(ib), await driverOf(ic)]).toEqual([true, false, false]);
    expect(await driverOf(otherNotebook)).toBe(true); // per notebook, not per process
    core.closeWindow(ia);
    expect(b.of('widgets:driver')).toEqual([{ driver: true }]);
    expect(c.of('widgets:driver')).toEqual([]);
    expect([await driverOf(ib), await driverOf(ic)]).toEqual([true, false]);
    core.closeWindow(ib);
    expect(c.of('widgets:driver')).toEqual([{ driver: true }]);
    core.closeWindow(ic);
    core.closeWindow(otherNotebook);
  });

  it('blob:put stores bytes in the daemon; blob:get returns them; bad base64 is refused', async () => {
    const id = core.openWindow(daemon.notebook('blob-put.ipynb', [{ source: '1' }]), new RecordingWindow());
    const base64 = Buffer.from('bytes from a window\u0000\u00ff').toString('base64');
    const { hash } = await ok<{ hash: string }>(id, 'blob:put', { base64 });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await ok<{ base64: string }>(id, 'blob:get', { hash })).base64).toBe(base64);
    expect(await core.handle(id, 'blob:put', { base64: 'not base64!' })).toEqual({ ok: false, error: expect.stringMatching(/blob:put: base64/) });
    core.closeWindow(id);
  });
});
