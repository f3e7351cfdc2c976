import { describe, expect, it } from 'vitest';
import { defaultMaxBufferedBytes } from './connection';

describe('the per-client output cap', () => {
  it('is 256 MiB unless QUIRE_MAX_CLIENT_BUFFER_BYTES holds a positive integer', () => {
    const fallback = 256 * 1024 * 1024;
    expect(defaultMaxBufferedBytes({})).toBe(fallback);
    expect(defaultMaxBufferedBytes({ QUIRE_MAX_CLIENT_BUFFER_BYTES: '524288' })).toBe(524288);
    // A typo must not leave the daemon without a cap (NaN compares false) or with a zero one
    // (every client cut off at its first frame).
    for (const bad of ['', 'abc', '0', '-5', '1.5', '1e400']) {
      expect(defaultMaxBufferedBytes({ QUIRE_MAX_CLIENT_BUFFER_BYTES: bad }), bad).toBe(fallback);
    }
  });
});
