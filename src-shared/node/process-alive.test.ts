import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from './process-alive';

describe('processAlive', () => {
  it('is true for a running process and false once it has exited', async () => {
    const child = spawn('sleep', ['30']);
    expect(processAlive(child.pid!)).toBe(true);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(processAlive(child.pid!)).toBe(false);
  });

  it('is false for a zombie (exited, not yet reaped), though signal 0 still reaches it', () => {
    const child = spawn('true');
    // Blocking the event loop keeps Node from reaping the child: it stays a zombie meanwhile.
    execFileSync('sleep', ['0.5']);
    expect(() => process.kill(child.pid!, 0)).not.toThrow();
    expect(processAlive(child.pid!)).toBe(false);
  });
});
