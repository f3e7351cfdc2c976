/**
 * A cell's CodeMirror editor, bound to the cell's shared text through the host's authority
 * (src-shared/cell-text). The notebook's own keys (run, leave edit mode, move between cells,
 * split) go to `keys`; everything else is CodeMirror's.
 */
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { collab } from '@codemirror/collab';
import { Compartment, EditorState, Prec, type Transaction } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { CellTextSync } from '../../../src-shared/cell-text/editor-sync';
import type { CellTextHub } from './cell-text-hub';
import { baseExtensions, languageFor } from './extensions';

export type RunMode = 'advance' | 'stay' | 'insert-below';

export interface EditorKeys {
  run(mode: RunMode): void;
  escape(): void;
  /** Arrow up on the first line / down on the last: the neighbouring cell takes focus. */
  leave(direction: 'up' | 'down'): void;
  split(offset: number): void;
  focused(): void;
}

export interface CellEditorHandle {
  focus(at?: 'start' | 'end'): void;
  /** Resolves once this editor's edits are in the shared doc. */
  flush(): Promise<void>;
  cursor(): number;
}

interface Props {
  cellId: string;
  cellType: string;
  language: string | null;
  source: string;
  version: number;
  clientID: string;
  hub: CellTextHub;
  keys: EditorKeys;
  onError(message: string): void;
}

export const CellEditor = forwardRef<CellEditorHandle, Props>(function CellEditor(props, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const sync = useRef<CellTextSync | null>(null);
  const language = useRef(new Compartment());
  // Callbacks change every render; the editor reads them through a ref.
  const latest = useRef(props);
  latest.current = props;

  useImperativeHandle(ref, () => ({
    focus(at) {
      const v = view.current;
      if (!v) return;
      if (at) v.dispatch({ selection: { anchor: at === 'start' ? 0 : v.state.doc.length } });
      v.focus();
    },
    flush: () => sync.current?.flush() ?? Promise.resolve(),
    cursor: () => view.current?.state.selection.main.head ?? 0,
  }));

  useEffect(() => {
    const { cellId, hub, clientID } = latest.current;
    const notebookKeys = Prec.highest(
      keymap.of([
        { key: 'Shift-Enter', run: () => (latest.current.keys.run('advance'), true) },
        { key: 'Mod-Enter', run: () => (latest.current.keys.run('stay'), true) },
        { key: 'Alt-Enter', run: () => (latest.current.keys.run('insert-below'), true) },
        { key: 'Escape', run: () => (latest.current.keys.escape(), true) },
        { key: 'Mod-Shift--', run: (v) => (latest.current.keys.split(v.state.selection.main.head), true) },
        {
          key: 'ArrowUp',
          run: (v) => {
            const sel = v.state.selection.main;
            if (!sel.empty || v.state.doc.lineAt(sel.head).number !== 1) return false;
            latest.current.keys.leave('up');
            return true;
          },
        },
        {
          key: 'ArrowDown',
          run: (v) => {
            const sel = v.state.selection.main;
            if (!sel.empty || v.state.doc.lineAt(sel.head).number !== v.state.doc.lines) return false;
            latest.current.keys.leave('down');
            return true;
          },
        },
      ]),
    );
    const stateFor = (text: string, version: number) =>
      EditorState.create({
        doc: text,
        extensions: [
          notebookKeys,
          baseExtensions(),
          language.current.of(languageFor(latest.current.cellType, latest.current.language)),
          collab({ startVersion: version, clientID }),
          EditorView.domEventHandlers({ focus: () => latest.current.keys.focused() }),
          EditorView.contentAttributes.of({ 'aria-label': `${latest.current.cellType} cell source` }),
        ],
      });
    const editor = new EditorView({
      parent: host.current!,
      state: stateFor(latest.current.source, latest.current.version),
      dispatchTransactions(trs: readonly Transaction[], v: EditorView) {
        v.update(trs);
        // The authority's own updates change the doc too; pushing then finds nothing to send.
        if (trs.some((tr) => tr.docChanged)) sync.current?.localChange();
      },
    });
    view.current = editor;
    const s = new CellTextSync(
      cellId,
      hub.channel,
      {
        get state() {
          return editor.state;
        },
        dispatch: (tr) => editor.dispatch(tr),
        reset: (text, version) => editor.setState(stateFor(text, version)),
      },
      (err) => latest.current.onError(`Editing ${cellId}: ${err.message}`),
    );
    sync.current = s;
    const unregister = hub.register(s);
    void s.catchUp(); // the snapshot this editor started from may be behind the first events
    return () => {
      unregister();
      s.dispose();
      editor.destroy();
      view.current = null;
      sync.current = null;
    };
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(languageFor(props.cellType, props.language)) });
  }, [props.cellType, props.language]);

  return <div className="editor" ref={host} />;
});
