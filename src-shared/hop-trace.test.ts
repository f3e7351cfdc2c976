import { afterEach, describe, expect, it } from 'vitest';
import { startHopTrace, traceHop } from './hop-trace';

describe('hop trace', () => {
  let stop: (() => void) | null = null;
  afterEach(() => {
    stop?.();
    stop = null;
  });

  it('records nothing until started', () => {
    traceHop('daemon:committed');
    const written: string[] = [];
    stop = startHopTrace((lines) => written.push(lines));
    stop();
    stop = null;
    expect(written).toEqual([]);
  });

  it('hands over hop, key and wall-clock time, in order, and flushes on stop', () => {
    const written: string[] = [];
    stop = startHopTrace((lines) => written.push(lines), 60_000);
    const before = Date.now();
    traceHop('daemon:comm-update', 2001);
    traceHop('daemon:committed', 'not a number');
    expect(written).toEqual([]); // buffered, off the update's path
    stop();
    stop = null;
    const lines = written.join('').trim().split('\n').map((l) => l.split(' '));
    expect(lines.map(([hop, key]) => [hop, key])).toEqual([
      ['daemon:comm-update', '2001'],
      ['daemon:committed', '-'],
    ]);
    for (const [, , t] of lines) expect(Math.abs(Number(t) - before)).toBeLessThan(1000);
    traceHop('daemon:committed');
    expect(written.join('').trim().split('\n')).toHaveLength(2); // stopped: no more marks
  });

  it('flushes every interval', async () => {
    const written: string[] = [];
    stop = startHopTrace((lines) => written.push(lines), 10);
    traceHop('replica:sync-received');
    await new Promise((r) => setTimeout(r, 50));
    expect(written.join('')).toMatch(/^replica:sync-received - \d+\.\d{3}\n$/);
  });
});
