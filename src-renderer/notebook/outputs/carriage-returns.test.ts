import { describe, expect, it } from 'vitest';
import { applyCarriageReturns } from './carriage-returns';

describe('applyCarriageReturns', () => {
  it('shows the last frame of a progress bar', () => {
    expect(applyCarriageReturns(' 10%|#    |\r 50%|#####|\r100%|##########|\ndone\n')).toBe('100%|##########|\ndone\n');
  });
  it('overwrites only as many columns as the new text has, like a terminal', () => {
    expect(applyCarriageReturns('abcdef\rXY')).toBe('XYcdef');
  });
  it('treats \\r\\n as a newline and a trailing \\r as nothing yet', () => {
    expect(applyCarriageReturns('a\r\nb\r\n')).toBe('a\nb\n');
    expect(applyCarriageReturns('50%\r')).toBe('50%');
  });
  it('returns text without carriage returns unchanged', () => {
    const text = 'plain\ntext\n';
    expect(applyCarriageReturns(text)).toBe(text);
  });
});
