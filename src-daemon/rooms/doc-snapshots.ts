/**
 * Crash-recovery snapshots: each room's doc saved to `<home>/docs/<roomId>.automerge`,
 * at most once a second while it changes, and on close/stop. (Restoring them on reopen
 * is the crash-recovery issue's work; the files are what it will read.)
 */
import * as A from '@automerge/automerge';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NotebookDoc } from '../../src-shared/schema/notebook-doc';
import type { Logger } from '../log';

export class DocSnapshots {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  schedule(roomId: string, doc: () => A.Doc<NotebookDoc>): void {
    if (this.timers.has(roomId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(roomId);
      this.write(roomId, doc());
    }, this.intervalMs);
    timer.unref();
    this.timers.set(roomId, timer);
  }

  flush(roomId: string, doc: A.Doc<NotebookDoc>): void {
    clearTimeout(this.timers.get(roomId));
    this.timers.delete(roomId);
    this.write(roomId, doc);
  }

  private write(roomId: string, doc: A.Doc<NotebookDoc>): void {
    const file = join(this.dir, `${roomId}.automerge`);
    try {
      writeFileSync(`${file}.tmp`, A.save(doc), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.logger.warn(`snapshot of room ${roomId} failed: ${(err as Error).message}`);
    }
  }
}
