/**
 * `stop` while work is under way: a kernel still starting is shut down with the others (it
 * would otherwise come up owned by no room, and keep a socketless daemon alive), and a
 * connection that asks for more during the stop is told so instead of starting anything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTestDaemon, waitFor } from '../testing/daemon-harness';

/** Pids of live processes whose command line mentions `dir` (a kernel's connection file is in the home). */
function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

describe('daemon stop', () => {
  it('a kernel still starting when the stop arrives is shut down too; requests during the stop are refused', async () => {
    const daemon = await startTestDaemon();
    try {
      const client = await daemon.client();
      const nb = await client.openNotebook(daemon.notebook('starting.ipynb', [{ source: '1' }]));
      const run = nb.execute('print("ran")').then(
        () => 'finished',
        (err: Error) => err.message,
      );
      await waitFor(() => nb.getKernel().status === 'starting', 'the kernel to be starting');
      await client.stopDaemon();
      const refused = await nb.execute('1').then(
        () => 'ran',
        (err: Error) => err.message,
      );
      expect(refused).toMatch(/stopping/);
      await waitFor(() => daemon.process.exitCode !== null, 'the daemon to exit', 30_000);
      expect(daemon.process.exitCode).toBe(0);
      await run; // whatever became of it, it ended
      await waitFor(() => processesUnder(daemon.home).length === 0, 'no kernel left running', 10_000).catch(() => {
        throw new Error(`processes still running under ${daemon.home}: ${processesUnder(daemon.home).join(', ')}`);
      });
    } finally {
      await daemon.stop();
    }
  }, 60_000);
});
