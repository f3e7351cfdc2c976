import { describe, expect, it } from 'vitest';
import { ansiSegments, xterm256 } from './ansi';

describe('ansiSegments', () => {
  it('returns plain text as one unstyled segment', () => {
    expect(ansiSegments('no colours <b>here</b>')).toEqual([{ text: 'no colours <b>here</b>' }]);
  });

  it('maps the 16 colours to theme classes', () => {
    expect(ansiSegments('a\u001b[31mred\u001b[0m b\u001b[92mbright\u001b[0m')).toEqual([
      { text: 'a' },
      { text: 'red', className: 'ansi-red-fg' },
      { text: ' b' },
      { text: 'bright', className: 'ansi-bright-green-fg' },
    ]);
    expect(ansiSegments('\u001b[44mon blue\u001b[0m')).toEqual([{ text: 'on blue', className: 'ansi-blue-bg' }]);
  });

  it('keeps bold, underline and the like as classes', () => {
    expect(ansiSegments('\u001b[1;4;33mloud\u001b[0m')).toEqual([{ text: 'loud', className: 'ansi-yellow-fg ansi-bold ansi-underline' }]);
  });

  it('renders 256-colour and true-colour codes as inline colours, named ones as classes', () => {
    expect(ansiSegments('\u001b[38;5;196mx\u001b[0m')).toEqual([{ text: 'x', style: { color: 'rgb(255, 0, 0)' } }]);
    expect(ansiSegments('\u001b[38;5;1mx\u001b[0m')).toEqual([{ text: 'x', className: 'ansi-red-fg' }]);
    expect(ansiSegments('\u001b[48;2;10;20;30mx\u001b[0m')).toEqual([{ text: 'x', style: { backgroundColor: 'rgb(10, 20, 30)' } }]);
  });

  it('does not carry a true colour over to a later named colour', () => {
    const [, named] = ansiSegments('\u001b[38;2;10;20;30mT\u001b[0m\u001b[32mG\u001b[0m');
    expect(named).toEqual({ text: 'G', className: 'ansi-green-fg' });
  });

  it('swaps colours for reverse video', () => {
    expect(ansiSegments('\u001b[7mrev\u001b[0m')).toEqual([{ text: 'rev', className: 'ansi-black-fg ansi-white-bg' }]);
    expect(ansiSegments('\u001b[7;31mrev\u001b[0m')).toEqual([{ text: 'rev', className: 'ansi-black-fg ansi-red-bg' }]);
  });

  it('passes the text of an IPython traceback through untouched', () => {
    const tb = '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m\n\u001b[0;31mValueError\u001b[0m: boom';
    expect(ansiSegments(tb).map((s) => s.text).join('')).toBe('---------------------------------------------------------------------------\nValueError: boom');
  });
});

describe('xterm256', () => {
  it('follows the xterm cube and grey ramp', () => {
    expect(xterm256(16)).toBe('rgb(0, 0, 0)');
    expect(xterm256(231)).toBe('rgb(255, 255, 255)');
    expect(xterm256(232)).toBe('rgb(8, 8, 8)');
    expect(xterm256(255)).toBe('rgb(238, 238, 238)');
  });
});
