/**
 * `quire daemon`: the daemon process. One per user (per QUIRE_HOME): a lock file and a
 * live-socket check refuse a second instance; socket and token are 0600 in a 0700 dir.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quirePaths, type QuirePaths } from '../src-shared/runtime-paths';
import { Daemon } from './daemon';
import { DEFAULT_AUTOSAVE_MS, DEFAULT_FILE_POLL_MS } from './rooms/file-state';
import { LocalKernelProvider } from './kernels/local-kernel';
import { DEFAULT_ORPHAN_KERNEL_MS } from './kernels/kernel-registry';
import { fileLogger, type Logger } from './log';
import { traceHopsToFileFromEnv } from '../src-shared/node/hop-trace-file';
import { processAlive } from '../src-shared/node/process-alive';

export class AlreadyRunningError extends Error {}

function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Takes the single-instance lock, clearing a stale one left by a crashed daemon. */
async function takeLock(paths: QuirePaths): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSync(paths.lock, 'utf8'), 10);
      if ((Number.isFinite(pid) && pid !== process.pid && processAlive(pid)) || (await socketAnswers(paths.socket))) {
        throw new AlreadyRunningError(`a Quire daemon is already running (pid ${pid}, socket ${paths.socket})`);
      }
      rmSync(paths.lock, { force: true });
    }
  }
  throw new AlreadyRunningError(`could not take the daemon lock ${paths.lock}`);
}

/** Kernel prefixes searched besides JUPYTER_PATH and the user/system dirs: QUIRE_KERNEL_PREFIXES and the project venv. */
function kernelPrefixes(): string[] {
  const prefixes = (process.env.QUIRE_KERNEL_PREFIXES ?? '').split(delimiter).filter(Boolean);
  const projectVenv = process.env.QUIRE_VENV ?? join(dirname(fileURLToPath(import.meta.url)), '..', '.venv');
  if (existsSync(projectVenv)) prefixes.push(projectVenv);
  return prefixes;
}

/**
 * A duration from the environment: QUIRE_AUTOSAVE_MS (how long a dirty notebook stays quiet
 * before the daemon saves it; 0 disables; default 120000 as in JupyterLab) and
 * QUIRE_FILE_POLL_MS (how often open notebooks' files are checked for outside changes).
 */
function msFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, logger: Logger): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const ms = Number(raw);
  if (Number.isInteger(ms) && ms >= 0) return ms;
  logger.warn(`${name}=${JSON.stringify(raw)} is not a whole number of milliseconds; using ${fallback}`);
  return fallback;
}

export interface RunningDaemon {
  daemon: Daemon;
  paths: QuirePaths;
  stopped: Promise<void>;
}

export async function startDaemon(options: { foreground: boolean; env?: NodeJS.ProcessEnv }): Promise<RunningDaemon> {
  const env = options.env ?? process.env;
  const paths = quirePaths(env, homedir());
  process.umask(0o077);
  for (const dir of [paths.home, paths.runDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const logger: Logger = fileLogger(paths.log, options.foreground);
  await takeLock(paths);
  rmSync(paths.socket, { force: true });
  const token = randomBytes(32).toString('hex');
  writeFileSync(`${paths.token}.tmp`, token, { mode: 0o600 });
  renameSync(`${paths.token}.tmp`, paths.token);

  let markStopped!: () => void;
  const stopped = new Promise<void>((r) => (markStopped = r));
  const cleanup = () => {
    for (const f of [paths.socket, paths.token, paths.lock]) rmSync(f, { force: true });
  };
  const provider = new LocalKernelProvider({
    runtimeDir: paths.kernels,
    prefixes: kernelPrefixes(),
    logger,
    // In the state dir, not the runtime dir: the records must survive exactly what the kernels survive.
    recordsDir: join(paths.home, 'kernels'),
    orphanTimeoutMs: msFromEnv(env, 'QUIRE_ORPHAN_KERNEL_MS', DEFAULT_ORPHAN_KERNEL_MS, logger),
  });
  const daemon = new Daemon({
    paths,
    token,
    provider,
    logger,
    autosaveMs: msFromEnv(env, 'QUIRE_AUTOSAVE_MS', DEFAULT_AUTOSAVE_MS, logger),
    filePollMs: msFromEnv(env, 'QUIRE_FILE_POLL_MS', DEFAULT_FILE_POLL_MS, logger) || DEFAULT_FILE_POLL_MS,
    onStopped: () => {
      cleanup();
      markStopped();
    },
  });
  // Started before the socket answers, in the background: an open of a notebook whose kernel is
  // being re-adopted waits for it (claimSurvivor); everything else is served at once.
  void provider.recoverSurvivors();
  try {
    await daemon.listen();
  } catch (err) {
    cleanup();
    throw err;
  }
  return { daemon, paths, stopped };
}

/** Entry point for `quire daemon`. */
export async function main(argv: string[]): Promise<number> {
  const foreground = !argv.includes('--detached');
  let running: RunningDaemon;
  try {
    running = await startDaemon({ foreground });
  } catch (err) {
    process.stderr.write(`quire daemon: ${(err as Error).message}\n`);
    return err instanceof AlreadyRunningError ? 3 : 1;
  }
  const log = fileLogger(running.paths.log, foreground);
  traceHopsToFileFromEnv('daemon');
  process.on('uncaughtException', (err) => {
    // A broken stdio pipe is not the daemon's problem; logging it would only repeat it.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    log.error(`uncaught: ${err.stack ?? err.message}`);
  });
  process.on('unhandledRejection', (err) => log.error(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void running.daemon.stop());
  }
  if (foreground) process.stderr.write(`quire daemon listening on ${running.paths.socket} (pid ${process.pid})\n`);
  await running.stopped;
  return 0;
}
