/**
 * Finds the user's daemon, starting one (detached, logging to its file) when none runs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quirePaths, type QuirePaths } from '../../src-shared/runtime-paths';

export function defaultPaths(env: NodeJS.ProcessEnv = process.env): QuirePaths {
  return quirePaths(env, homedir());
}

/** How to start a daemon: by default this checkout's `bin/quire.mjs daemon`. */
export function defaultDaemonCommand(): string[] {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'quire.mjs');
  return [process.execPath, bin, 'daemon', '--detached'];
}

export function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export function readToken(paths: QuirePaths): string {
  try {
    return readFileSync(paths.token, 'utf8').trim();
  } catch (err) {
    throw new Error(`cannot read the daemon token ${paths.token}: ${(err as Error).message}`);
  }
}

export interface EnsureOptions {
  paths: QuirePaths;
  autostart: boolean;
  daemonCommand?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Connects to the daemon socket, starting the daemon first when allowed and needed. */
export async function ensureDaemonSocket(options: EnsureOptions): Promise<Socket> {
  try {
    return await openSocket(options.paths.socket);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!options.autostart || (code !== 'ENOENT' && code !== 'ECONNREFUSED')) {
      throw new Error(
        `no Quire daemon answers on ${options.paths.socket} (${code ?? (err as Error).message}); start one with \`quire daemon\``,
      );
    }
  }
  const [cmd, ...args] = options.daemonCommand ?? defaultDaemonCommand();
  const child = spawn(cmd!, args, {
    detached: true,
    stdio: 'ignore',
    env: options.env ?? process.env,
  });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  child.unref();
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      return await openSocket(options.paths.socket);
    } catch (err) {
      lastError = err;
      // Exit code 3: another daemon won the race; keep polling for its socket.
      if (exited !== null && exited !== 3 && exited !== 0) break;
    }
  }
  throw new Error(
    `started a Quire daemon but its socket ${options.paths.socket} did not answer (${(lastError as Error)?.message ?? 'timeout'}); see ${options.paths.log}`,
  );
}
