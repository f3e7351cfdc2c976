/**
 * JupyterLab's command-mode shortcuts as a table: key → command. Pure, so the mapping is
 * tested without a browser; the notebook view carries the commands out.
 */
export type NotebookCommand =
  | 'edit'
  | 'run-advance'
  | 'run-stay'
  | 'run-insert'
  | 'insert-above'
  | 'insert-below'
  | 'cut'
  | 'copy'
  | 'paste-below'
  | 'paste-above'
  | 'delete'
  | 'undo-delete'
  | 'to-markdown'
  | 'to-code'
  | 'to-raw'
  | 'select-up'
  | 'select-down'
  | 'extend-up'
  | 'extend-down'
  | 'merge'
  | 'interrupt'
  | 'restart'
  | 'save'
  | 'select-all'
  | 'first'
  | 'last';

export interface KeyStroke {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

/** Keys JupyterLab binds to a double press (D D, I I, 0 0): the first press arms them. */
const DOUBLE: Record<string, NotebookCommand> = { d: 'delete', i: 'interrupt', '0': 'restart' };
export const DOUBLE_PRESS_MS = 800;

export class CommandKeys {
  private armed: { key: string; at: number } | null = null;

  /** The command for a keystroke in command mode, or null to let the browser have it. */
  command(e: KeyStroke, now = Date.now()): NotebookCommand | null {
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (mod && !e.altKey) {
      if (key === 's') return 'save';
      if (key === 'Enter') return 'run-stay';
      if (key === 'a') return 'select-all';
      return null;
    }
    if (e.altKey) return key === 'Enter' ? 'run-insert' : null;
    if (e.shiftKey) {
      switch (key) {
        case 'Enter':
          return 'run-advance';
        case 'ArrowUp':
        case 'k':
          return 'extend-up';
        case 'ArrowDown':
        case 'j':
          return 'extend-down';
        case 'm':
          return 'merge';
        case 'v':
          return 'paste-above';
        default:
          return null;
      }
    }
    const double = DOUBLE[key];
    if (double) {
      const armed = this.armed;
      if (armed && armed.key === key && now - armed.at <= DOUBLE_PRESS_MS) {
        this.armed = null;
        return double;
      }
      this.armed = { key, at: now };
      return null;
    }
    this.armed = null;
    switch (key) {
      case 'Enter':
        return 'edit';
      case 'a':
        return 'insert-above';
      case 'b':
        return 'insert-below';
      case 'x':
        return 'cut';
      case 'c':
        return 'copy';
      case 'v':
        return 'paste-below';
      case 'z':
        return 'undo-delete';
      case 'm':
        return 'to-markdown';
      case 'y':
        return 'to-code';
      case 'r':
        return 'to-raw';
      case 'ArrowUp':
      case 'k':
        return 'select-up';
      case 'ArrowDown':
      case 'j':
        return 'select-down';
      case 'Home':
        return 'first';
      case 'End':
        return 'last';
      default:
        return null;
    }
  }
}
