/**
 * Shared cell editing end to end, without a browser: real CodeMirror states with the collab
 * extension (the code a window's editor runs, src-shared/cell-text/editor-sync.ts) talk to the
 * real core over its IPC router, against a real daemon; a second host is a plain SDK client.
 * Concurrent typing in two windows and a second host converges with no lost keystroke, and
 * undo takes back only the window's own edits.
 */
import { EditorState, type Transaction } from '@codemirror/state';
import { collab } from '@codemirror/collab';
import { history, undo } from '@codemirror/commands';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellTextEvent, CellTextPull, NotebookSnapshot } from '../../src-shared/ipc/contract';
import { CellTextSync, type SyncedEditor } from '../../src-shared/cell-text/editor-sync';
import { startTestDaemon, waitFor, type TestDaemon } from '../../src-client/testing/daemon-harness';
import type { NotebookSession, QuireClient } from '../../src-client/sdk/index';
import { QuireCore, type WindowSink } from './quire-core';

let daemon: TestDaemon;
let core: QuireCore;
let otherHost: QuireClient;

beforeAll(async () => {
  daemon = await startTestDaemon();
  core = new QuireCore({ connect: { env: daemon.env, autostart: false }, log: () => {} });
  await core.start();
  otherHost = await daemon.client('other-host');
}, 60_000);

afterAll(async () => {
  await core?.close();
  await daemon?.stop();
});

/** A window with one headless editor on one cell, wired exactly as the renderer wires it. */
class HeadlessEditorWindow implements WindowSink, SyncedEditor {
  state!: EditorState;
  sync!: CellTextSync;
  readonly windowId: number;
  readonly errors: Error[] = [];

  constructor(
    path: string,
    private readonly cellId: string,
    readonly clientID: string,
  ) {
    this.windowId = core.openWindow(path, this);
  }

  async start(): Promise<void> {
    const snapshot = await this.invoke<NotebookSnapshot>('notebook:get', {});
    const cell = snapshot.cells.find((c) => c.id === this.cellId)!;
    this.reset(cell.source, snapshot.sourceVersions[this.cellId]!);
    this.sync = new CellTextSync(
      this.cellId,
      {
        push: (cellId, version, updates) => this.invoke('cell:push', { cellId, version, updates }),
        pull: (cellId, version) => this.invoke<CellTextPull>('cell:pull', { cellId, version }),
      },
      this,
      (err) => this.errors.push(err),
    );
    await this.sync.catchUp();
  }

  send(event: string, payload: unknown): void {
    // Through JSON, as both transports deliver it; asynchronously, as they do.
    const copy = JSON.parse(JSON.stringify(payload)) as CellTextEvent;
    if (event === 'cell:text') setTimeout(() => this.sync?.receive(copy), 0);
  }

  dispatch(tr: Transaction): void {
    this.state = tr.state;
  }

  reset(text: string, version: number): void {
    this.state = EditorState.create({
      doc: text,
      extensions: [EditorState.lineSeparator.of('\n'), history(), collab({ startVersion: version, clientID: this.clientID })],
    });
  }

  /** Types `text` at `pos` as a person would: one transaction per character. */
  type(pos: number, text: string): void {
    for (const [i, ch] of [...text].entries()) {
      const at = Math.min(pos + i, this.state.doc.length);
      this.dispatch(this.state.update({ changes: { from: at, insert: ch }, userEvent: 'input.type' }));
      this.sync.localChange();
    }
  }

  undo(): void {
    undo({ state: this.state, dispatch: (tr) => this.dispatch(tr) });
    this.sync.localChange();
  }

  get text(): string {
    return this.state.doc.toString();
  }

  private async invoke<T>(channel: string, payload: unknown): Promise<T> {
    const reply = await core.handle(this.windowId, channel, payload);
    if (!reply.ok) throw new Error(reply.error);
    return reply.result as T;
  }
}

const sourceOf = (s: NotebookSession, id: string) => s.getCells().find((c) => c.id === id)?.source;

describe('cell text shared by windows and hosts', () => {
  it('two windows and a second host typing in one cell at once converge with every keystroke kept', async () => {
    const path = daemon.notebook('typing.ipynb', [{ source: 'AB' }]);
    const w1 = new HeadlessEditorWindow(path, 'cell-0', 'w1');
    const w2 = new HeadlessEditorWindow(path, 'cell-0', 'w2');
    await Promise.all([w1.start(), w2.start()]);
    const peer = await otherHost.openNotebook(path);
    await peer.confirmSync();

    const one = 'one one one one';
    const two = 'two two two two';
    const three = 'xyz';
    // Interleaved: each window types between A and B, the other host appends at the end.
    const typing = [...Array(Math.max(one.length, two.length)).keys()].map(async (i) => {
      await new Promise((r) => setTimeout(r, i % 3));
      if (i < one.length) w1.type(w1.text.indexOf('B'), one[i]!);
      if (i < two.length) w2.type(w2.text.indexOf('B'), two[i]!);
      if (i < three.length) {
        const current = peer.getCells()[0]!.source;
        peer.editCellSource('cell-0', [{ from: current.length, to: current.length, insert: three[i]! }]);
      }
    });
    await Promise.all(typing);
    await Promise.all([w1.sync.flush(), w2.sync.flush()]);

    await waitFor(async () => {
      await peer.confirmSync();
      return w1.text === w2.text && w1.text === sourceOf(peer, 'cell-0');
    }, 'windows and the other host to converge');
    const final = w1.text;
    // Every keystroke survives: each typist's characters are all there, in their order.
    const keep = (s: string, chars: string) => [...s].filter((c) => chars.includes(c)).join('');
    expect(final.length).toBe(2 + one.length + two.length + three.length);
    expect(keep(final, 'xyz')).toBe('xyz');
    expect(final.startsWith('A')).toBe(true);
    expect(w1.errors).toEqual([]);
    expect(w2.errors).toEqual([]);
    core.closeWindow(w1.windowId);
    core.closeWindow(w2.windowId);
    await peer.close();
  });

  it("undo takes back the window's own edit and keeps the other window's", async () => {
    const path = daemon.notebook('undo.ipynb', [{ source: 'x = 1' }]);
    const w1 = new HeadlessEditorWindow(path, 'cell-0', 'w1');
    const w2 = new HeadlessEditorWindow(path, 'cell-0', 'w2');
    await Promise.all([w1.start(), w2.start()]);
    w1.type(5, '0');
    await w1.sync.flush();
    await waitFor(() => w2.text === 'x = 10', 'window 2 to see window 1');
    w2.type(0, '# ');
    await w2.sync.flush();
    await waitFor(() => w1.text === '# x = 10', 'window 1 to see window 2');
    w1.undo();
    await w1.sync.flush();
    await waitFor(() => w2.text === '# x = 1' && w1.text === '# x = 1', 'both windows to show the undo');
    core.closeWindow(w1.windowId);
    core.closeWindow(w2.windowId);
  });

  it('an editor further behind than the log, or pushing a broken change, is handled without loss', async () => {
    const path = daemon.notebook('behind.ipynb', [{ source: '' }]);
    const w1 = new HeadlessEditorWindow(path, 'cell-0', 'w1');
    await w1.start();
    const pull = await core.handle(w1.windowId, 'cell:pull', { cellId: 'cell-0', version: 10_000 });
    expect(pull).toEqual({ ok: true, result: { reset: { version: 0, text: '' } } });
    const broken = await core.handle(w1.windowId, 'cell:push', { cellId: 'cell-0', version: 0, updates: [{ clientID: 'x', changes: [5, [0, 'a']] }] });
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/does not fit its text/);
    const unknown = await core.handle(w1.windowId, 'cell:pull', { cellId: 'nope', version: 0 });
    expect(!unknown.ok && unknown.error).toMatch(/no cell nope/);
    w1.type(0, 'ok');
    await w1.sync.flush();
    const snapshot = await core.handle(w1.windowId, 'notebook:get', {});
    expect(snapshot.ok && (snapshot.result as NotebookSnapshot).cells[0]?.source).toBe('ok');
    core.closeWindow(w1.windowId);
  });
});
