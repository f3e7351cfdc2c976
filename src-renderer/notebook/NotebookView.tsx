import type { NotebookSnapshot, QuireApi } from '../../src-shared/ipc/contract';
import type { WidgetHost } from '../widgets/index';
import { CellView } from './CellView';

export function NotebookView(props: {
  api: QuireApi;
  notebook: NotebookSnapshot;
  widgets: WidgetHost;
  onError(message: string): void;
}) {
  const { cells } = props.notebook;
  const focusCell = (index: number) => {
    const next = document.querySelectorAll<HTMLTextAreaElement>('.cell textarea')[index];
    next?.focus();
  };
  return (
    <main className="notebook">
      {cells.length === 0 && <p className="empty">This notebook has no cells.</p>}
      {cells.map((cell, index) => (
        <CellView
          key={cell.id}
          cell={cell}
          api={props.api}
          widgets={props.widgets}
          onError={props.onError}
          onRan={() => focusCell(index + 1)}
        />
      ))}
    </main>
  );
}
