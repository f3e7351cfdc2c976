import { describe, expect, it } from 'vitest';
import { CommandKeys, DOUBLE_PRESS_MS, type KeyStroke } from './command-keys';

const k = (key: string, mods: Partial<KeyStroke> = {}): KeyStroke => ({ key, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe("JupyterLab's command-mode keys", () => {
  it('single keys', () => {
    const keys = new CommandKeys();
    const table: [KeyStroke, string | null][] = [
      [k('Enter'), 'edit'],
      [k('a'), 'insert-above'],
      [k('B', { shiftKey: false }), 'insert-below'],
      [k('x'), 'cut'],
      [k('c'), 'copy'],
      [k('v'), 'paste-below'],
      [k('V', { shiftKey: true }), 'paste-above'],
      [k('z'), 'undo-delete'],
      [k('m'), 'to-markdown'],
      [k('y'), 'to-code'],
      [k('ArrowDown'), 'select-down'],
      [k('k'), 'select-up'],
      [k('ArrowUp', { shiftKey: true }), 'extend-up'],
      [k('M', { shiftKey: true }), 'merge'],
      [k('Enter', { shiftKey: true }), 'run-advance'],
      [k('Enter', { ctrlKey: true }), 'run-stay'],
      [k('Enter', { altKey: true }), 'run-insert'],
      [k('s', { metaKey: true }), 'save'],
      [k('q'), null],
      [k('c', { ctrlKey: true }), null], // the browser's copy, not the cell's
    ];
    for (const [stroke, command] of table) expect([stroke.key, keys.command(stroke)]).toEqual([stroke.key, command]);
  });

  it('D D, I I and 0 0 need two presses close together', () => {
    const keys = new CommandKeys();
    expect(keys.command(k('d'), 0)).toBeNull();
    expect(keys.command(k('d'), 100)).toBe('delete');
    expect(keys.command(k('d'), 200)).toBeNull();
    expect(keys.command(k('d'), 200 + DOUBLE_PRESS_MS + 1)).toBeNull(); // too slow: arms again
    expect(keys.command(k('d'), 300 + DOUBLE_PRESS_MS)).toBe('delete');
    expect(keys.command(k('i'), 5000)).toBeNull();
    expect(keys.command(k('0'), 5010)).toBeNull(); // a different key re-arms
    expect(keys.command(k('0'), 5020)).toBe('restart');
    expect(keys.command(k('i'), 6000)).toBeNull();
    expect(keys.command(k('a'), 6010)).toBe('insert-above'); // anything else disarms
    expect(keys.command(k('i'), 6020)).toBeNull();
  });
});
