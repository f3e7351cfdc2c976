/**
 * `stop` while work is under way: a kernel still starting is cancelled and cleaned up with the
 * others (it used to come up owned by no room and keep a socketless daemon alive), and a
 * connection that asks for more during the stop is told so instead of starting anything.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../src-shared/node/process-alive';
import { REPO_ROOT, startTestDaemon, waitFor } from '../testing/daemon-harness';
import { defaultPaths } from './daemon-launcher';

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

/** A kernelspec whose process never answers (it sleeps): its start lasts until the handshake times out (60 s). */
function slowKernelPrefix(name: string): string {
  const prefix = mkdtempSync(join(tmpdir(), 'quire-kernels-'));
  const dir = join(prefix, 'share', 'jupyter', 'kernels', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kernel.json'),
    JSON.stringify({
      argv: [join(REPO_ROOT, '.venv', 'bin', 'python'), '-c', 'import time; time.sleep(120)', '{connection_file}'],
      display_name: 'Never ready (test)',
      language: 'python',
    }),
  );
  return prefix;
}

describe('daemon stop', () => {
  it('cancels a kernel that is still starting, refuses requests during the stop, and exits', async () => {
    const prefix = slowKernelPrefix('quire-test-never-ready');
    const daemon = await startTestDaemon({ env: { QUIRE_KERNEL_PREFIXES: prefix } });
    try {
      const client = await daemon.client();
      const nb = await client.openNotebook(daemon.notebook('starting.ipynb', [{ source: '1' }]));
      await nb.setKernel('quire-test-never-ready');
      const run = nb.execute('print("ran")').then(
        () => 'finished',
        (err: Error) => err.message,
      );
      await waitFor(async () => {
        await nb.confirmSync();
        return nb.getKernel().status === 'starting' && processesUnder(daemon.home).length > 0;
      }, 'the kernel process to be starting');
      await client.stopDaemon();
      const refused = await nb.execute('1').then(
        () => 'ran',
        (err: Error) => err.message,
      );
      expect(refused).toMatch(/stopping/);
      // Well before the start's own 60 s timeout: the stop cancelled it.
      await waitFor(() => daemon.process.exitCode !== null, 'the daemon to exit', 20_000);
      expect(daemon.process.exitCode).toBe(0);
      expect(await run).toMatch(/shut down while it was starting|connection closed/);
      expect(processesUnder(daemon.home)).toEqual([]);
    } finally {
      await daemon.stop();
      rmSync(prefix, { recursive: true, force: true });
    }
  }, 60_000);

  it('quire stop also stops a daemon that no longer answers on its socket, and says so only once it has exited', async () => {
    const daemon = await startTestDaemon();
    try {
      // What a stop already under way, or a daemon still starting up, looks like from outside.
      rmSync(defaultPaths(daemon.env).socket);
      const result = await daemon.cli(['stop']);
      expect(result.stdout, result.stderr).toContain('daemon stopped');
      expect(processAlive(daemon.process.pid!)).toBe(false);
    } finally {
      await daemon.stop();
    }
  });
});
