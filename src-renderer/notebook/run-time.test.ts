import { describe, expect, it } from 'vitest';
import { formatDuration } from './run-time';

describe('formatDuration', () => {
  it('reads like JupyterLab', () => {
    expect(formatDuration(12.4)).toBe('12ms');
    expect(formatDuration(1440)).toBe('1.4s');
    expect(formatDuration(123_000)).toBe('2m 03s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });
});
