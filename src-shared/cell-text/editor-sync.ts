/**
 * The editor side of cell text sync: keeps one CodeMirror state (with the collab extension)
 * in step with the host's authority (./authority.ts). Pure: no DOM, so the same code runs in
 * a window's editor and in tests against the real main-process core.
 *
 * Local edits are pushed as soon as the previous push has returned; pushes made on an old
 * version are refused, the missing updates are pulled and CodeMirror rebases the pending
 * edits over them before the next push. Events from the host (`cell:text`) carry every
 * accepted update, this editor's own included: receiving its own update is what confirms it.
 */
import { ChangeSet, type EditorState, type Transaction } from '@codemirror/state';
import { getSyncedVersion, receiveUpdates, sendableUpdates } from '@codemirror/collab';
import type { CellTextEvent, CellTextPull, CellTextUpdate } from '../ipc/contract';

export interface CellTextChannel {
  push(cellId: string, version: number, updates: CellTextUpdate[]): Promise<{ accepted: boolean; version: number }>;
  pull(cellId: string, version: number): Promise<CellTextPull>;
}

/** The editor the sync drives: a CodeMirror EditorView, or a bare state in tests. */
export interface SyncedEditor {
  readonly state: EditorState;
  dispatch(tr: Transaction): void;
  /** Replaces the document wholesale (the editor fell behind the authority's log). */
  reset(text: string, version: number): void;
}

export class CellTextSync {
  private pushing = false;
  private pulling: Promise<void> | null = null;
  private disposed = false;

  constructor(
    readonly cellId: string,
    private readonly channel: CellTextChannel,
    private readonly editor: SyncedEditor,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /** Call after every local transaction that changed the document. */
  localChange(): void {
    void this.pushLoop();
  }

  /** An accepted-updates event from the host. */
  receive(event: CellTextEvent): void {
    if (this.disposed || event.cellId !== this.cellId) return;
    const synced = getSyncedVersion(this.editor.state);
    if (event.version > synced) {
      void this.catchUp(); // missed something (e.g. the editor was created from an older snapshot)
      return;
    }
    const fresh = event.updates.slice(synced - event.version);
    if (fresh.length > 0) this.apply(fresh);
  }

  /** Fetches whatever the editor has not seen yet (once at start, and after gaps). */
  catchUp(): Promise<void> {
    if (this.pulling) return this.pulling;
    this.pulling = (async () => {
      try {
        const result = await this.channel.pull(this.cellId, getSyncedVersion(this.editor.state));
        if (this.disposed) return;
        if ('reset' in result) {
          this.editor.reset(result.reset.text, result.reset.version);
        } else {
          const synced = getSyncedVersion(this.editor.state);
          const fresh = result.updates.slice(synced - result.version);
          if (synced >= result.version && fresh.length > 0) this.apply(fresh);
        }
      } catch (err) {
        this.onError(err as Error);
      } finally {
        this.pulling = null;
      }
    })();
    return this.pulling;
  }

  /** Resolves once every local edit is confirmed by the authority (e.g. before running the cell). */
  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (sendableUpdates(this.editor.state).length > 0) {
      if (this.disposed) return;
      if (Date.now() > deadline) throw new Error('the cell edit was not confirmed in time');
      await this.pushLoop();
      if (sendableUpdates(this.editor.state).length > 0) {
        await this.catchUp();
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  dispose(): void {
    this.disposed = true;
  }

  private apply(updates: readonly CellTextUpdate[]): void {
    this.editor.dispatch(
      receiveUpdates(
        this.editor.state,
        updates.map((u) => ({ clientID: u.clientID, changes: ChangeSet.fromJSON(u.changes) })),
      ),
    );
  }

  private async pushLoop(): Promise<void> {
    if (this.pushing || this.disposed) return;
    this.pushing = true;
    try {
      for (let rounds = 0; rounds < 50 && !this.disposed; rounds++) {
        const pending = sendableUpdates(this.editor.state);
        if (pending.length === 0) return;
        const version = getSyncedVersion(this.editor.state);
        const sent = pending.map((u) => ({ clientID: u.clientID, changes: u.changes.toJSON() as unknown[] }));
        const result = await this.channel.push(this.cellId, version, sent);
        if (this.disposed) return;
        if (result.accepted) {
          // The authority appended exactly these at `version`: confirm them now unless their
          // event already did, rather than waiting for it.
          if (getSyncedVersion(this.editor.state) === version) this.apply(sent);
        } else {
          // Someone else's updates came first: fetch them (CodeMirror rebases ours) and retry.
          await this.catchUp();
        }
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.pushing = false;
    }
  }
}
