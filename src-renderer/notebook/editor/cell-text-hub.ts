/** Routes the host's `cell:text` events to the editor of each cell (one subscription per window). */
import type { CellTextEvent, QuireApi } from '../../../src-shared/ipc/contract';
import type { CellTextChannel, CellTextSync } from '../../../src-shared/cell-text/editor-sync';

export class CellTextHub {
  private readonly syncs = new Map<string, CellTextSync>();
  private readonly off: () => void;
  readonly channel: CellTextChannel;

  constructor(api: QuireApi) {
    this.channel = { push: (c, v, u) => api.pushCellText(c, v, u), pull: (c, v) => api.pullCellText(c, v) };
    this.off = api.onCellText((event: CellTextEvent) => this.syncs.get(event.cellId)?.receive(event));
  }

  register(sync: CellTextSync): () => void {
    this.syncs.set(sync.cellId, sync);
    return () => {
      if (this.syncs.get(sync.cellId) === sync) this.syncs.delete(sync.cellId);
    };
  }

  /** Confirms every cell's pending edits (before running or saving). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.syncs.values()].map((s) => s.flush()));
  }

  flush(cellId: string): Promise<void> {
    return this.syncs.get(cellId)?.flush() ?? Promise.resolve();
  }

  dispose(): void {
    this.off();
    this.syncs.clear();
  }
}
