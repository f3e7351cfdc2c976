/**
 * Test harness: a real daemon process in a throwaway QUIRE_HOME, real clients over its
 * socket, and the real CLI as separate processes.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newNotebookJson } from '../../src-shared/ipynb/new-notebook';
import { connect, type QuireClient } from '../sdk/index';
import { defaultPaths, openSocket } from '../sdk/daemon-launcher';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const QUIRE_BIN = join(REPO_ROOT, 'bin', 'quire.mjs');

export interface TestDaemon {
  home: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  /** A new client connection (its own replicas). */
  client(name?: string): Promise<QuireClient>;
  /** Runs the real `quire` CLI in a child process against this daemon. */
  cli(args: string[], options?: { timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A notebook path inside the test dir, optionally written with `cells` first. */
  notebook(name: string, cells?: { cell_type?: 'code' | 'markdown'; source: string }[]): string;
  stop(): Promise<void>;
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function cliIn(env: NodeJS.ProcessEnv, cwd: string) {
  return (args: string[], options: { timeoutMs?: number } = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [QUIRE_BIN, ...args],
        { env, cwd, timeout: options.timeoutMs ?? 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
}

/**
 * Starts `quire daemon` in the foreground in a fresh QUIRE_HOME (short path: unix sockets cap
 * at ~100 bytes). `env` adds variables for the daemon (and the clients and CLI run against it).
 */
export async function startTestDaemon(
  options: { home?: string; keepHome?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<TestDaemon> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'qd-'));
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, QUIRE_HOME: home };
  const child = spawn(process.execPath, [QUIRE_BIN, 'daemon'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const paths = defaultPaths(env);
  // Connectable, not merely present: a crashed predecessor leaves its socket file behind.
  const answers = () =>
    openSocket(paths.socket).then(
      (s) => (s.destroy(), true),
      () => false,
    );
  // Started means `startDaemon` returned (its line on stderr), not merely that the socket
  // answers: the socket accepts connections before the daemon has finished setting it up.
  await waitFor(
    async () => child.exitCode !== null || (stderr.includes('quire daemon listening on') && existsSync(paths.socket) && (await answers())),
    'the daemon socket',
    30_000,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}\n${stderr}`);
  });
  if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${stderr}`);
  const clients: QuireClient[] = [];
  const diagnostics = { home, stderr: () => stderr };
  liveDaemons.add(diagnostics);
  return {
    home,
    env,
    process: child,
    async client(name = 'test') {
      const c = await connect({ env, autostart: false, clientName: name });
      clients.push(c);
      return c;
    },
    cli: cliIn(env, home),
    notebook(name, cells) {
      const path = join(home, name);
      if (cells) {
        writeFileSync(path, JSON.stringify(newNotebookJson(cells)));
      }
      return path;
    },
    async stop() {
      for (const c of clients) c.connection.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await waitFor(() => child.exitCode !== null || child.signalCode !== null, 'the daemon to exit', 15_000).catch(() => child.kill('SIGKILL'));
      }
      liveDaemons.delete(diagnostics);
      if (!options.keepHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Daemons started and not yet stopped in this test file, for `describeLiveDaemons`. */
const liveDaemons = new Set<{ home: string; stderr: () => string }>();

/**
 * What each live daemon and its kernels logged (the tails): a test that failed in CI can only
 * be understood from this, since the daemon's home is deleted when the file ends.
 */
export function describeLiveDaemons(maxLines = 60): string {
  const tail = (text: string) => text.trimEnd().split('\n').slice(-maxLines).join('\n');
  const sections: string[] = [];
  for (const d of liveDaemons) {
    sections.push(`--- daemon in ${d.home}, stderr:\n${tail(d.stderr()) || '(empty)'}`);
    for (const log of kernelLogs(d.home)) sections.push(`--- ${log}:\n${tail(readFileSync(log, 'utf8'))}`);
  }
  return sections.join('\n');
}

function kernelLogs(dir: string, depth = 3): string[] {
  if (depth === 0) return [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return kernelLogs(full, depth - 1);
    return /^kernel-.*\.log$/.test(e.name) ? [full] : [];
  });
}

/** Resident and peak-resident memory of a process, in bytes (Linux /proc). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/**
 * Samples a process's RSS every `intervalMs` until stopped; `peak` is the highest sample.
 * (VmHWM alone would also count whatever happened before the phase being measured.)
 */
export function sampleRss(pid: number, intervalMs = 100): { stop(): { peak: number; samples: number } } {
  let peak = memoryOf(pid).rss;
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryOf(pid).rss);
      samples++;
    } catch {
      // The process exited; the assertions that follow will say so.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, memoryOf(pid).rss);
      return { peak, samples: samples + 1 };
    },
  };
}

export const MiB = 1024 * 1024;

/** CPU time (user + system) a process has used, in ms (Linux /proc; CLK_TCK is 100). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
