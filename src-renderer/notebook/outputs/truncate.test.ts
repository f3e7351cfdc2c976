import { describe, expect, it } from 'vitest';
import { countLines, DEFAULT_TEXT_LIMITS, truncateText } from './truncate';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');

describe('countLines', () => {
  it('counts a final newline as ending a line', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('a')).toBe(1);
    expect(countLines('a\n')).toBe(1);
    expect(countLines('a\nb')).toBe(2);
    expect(countLines('\n\n')).toBe(2);
  });
});

describe('truncateText', () => {
  it('leaves text within the limits alone', () => {
    expect(truncateText(lines(DEFAULT_TEXT_LIMITS.maxLines))).toBeNull();
    expect(truncateText('x'.repeat(DEFAULT_TEXT_LIMITS.maxChars))).toBeNull();
  });

  it('keeps the head and tail of a long print and counts what is hidden', () => {
    const text = lines(5000);
    const t = truncateText(text)!;
    expect(t.totalLines).toBe(5000);
    expect(countLines(t.head)).toBe(DEFAULT_TEXT_LIMITS.headLines);
    expect(countLines(t.tail)).toBe(DEFAULT_TEXT_LIMITS.tailLines);
    expect(t.head.startsWith('line 1\n')).toBe(true);
    expect(t.head.endsWith(`line ${DEFAULT_TEXT_LIMITS.headLines}\n`)).toBe(true);
    expect(t.tail).toBe(lines(5000).slice(text.indexOf(`line ${5000 - DEFAULT_TEXT_LIMITS.tailLines + 1}\n`)));
    expect(t.hiddenLines).toBe(5000 - DEFAULT_TEXT_LIMITS.headLines - DEFAULT_TEXT_LIMITS.tailLines);
    expect(t.head.length + t.hiddenChars + t.tail.length).toBe(text.length);
  });

  it('cuts one enormous line by characters', () => {
    const text = 'y'.repeat(1_000_000);
    const t = truncateText(text)!;
    expect(t.totalLines).toBe(1);
    expect(t.head.length).toBe(DEFAULT_TEXT_LIMITS.headChars);
    expect(t.tail.length).toBe(DEFAULT_TEXT_LIMITS.tailChars);
    expect(t.hiddenChars).toBe(1_000_000 - DEFAULT_TEXT_LIMITS.headChars - DEFAULT_TEXT_LIMITS.tailChars);
  });

  it('does not leave half an escape sequence at the end of the head', () => {
    const limits = { ...DEFAULT_TEXT_LIMITS, maxChars: 10, headChars: 6, tailChars: 2 };
    const t = truncateText('abc\u001b[31mred and more', limits)!;
    expect(t.head).toBe('abc');
  });

  it('never lets head and tail overlap', () => {
    const limits = { ...DEFAULT_TEXT_LIMITS, maxLines: 3, headLines: 3, tailLines: 3 };
    const text = lines(4);
    const t = truncateText(text, limits)!;
    expect(t.head + t.tail).toBe(text);
    expect(t.hiddenLines).toBe(0);
  });
});
