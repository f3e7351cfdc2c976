import { describe, expect, it } from 'vitest';
import { rebaseText, spliceBetween } from './rebase-text';

describe('rebaseText', () => {
  it('finds the one splice between two texts', () => {
    expect(spliceBetween('hello world', 'hello brave world')).toEqual({ start: 6, deleted: 0, inserted: 'brave ' });
    expect(spliceBetween('abc', 'abc')).toEqual({ start: 3, deleted: 0, inserted: '' });
  });

  it('keeps both edits when they do not overlap, in either order', () => {
    const base = 'x = 1\ny = 2\n';
    expect(rebaseText(base, 'x = 10\ny = 2\n', 'x = 1\ny = 2\nz = 3\n')).toBe('x = 10\ny = 2\nz = 3\n');
    expect(rebaseText(base, 'x = 1\ny = 2\nz = 3\n', 'x = 10\ny = 2\n')).toBe('x = 10\ny = 2\nz = 3\n');
  });

  it('takes the remote text when there is no local edit, and the local one on overlap', () => {
    expect(rebaseText('abc', 'abc', 'abcd')).toBe('abcd');
    expect(rebaseText('abc', 'aXc', 'aYc')).toBe('aXc');
  });
});
