/**
 * One kernel OS process: spawn with output to a log file, signal it, wait for it to exit.
 *
 * On POSIX the kernel gets its own process group (like jupyter_client's start_new_session),
 * so a Ctrl-C aimed at the daemon's terminal does not interrupt every kernel, and signals
 * we send reach the subprocesses the kernel started too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, stat } from 'node:fs/promises';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnKernelOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}

const isWindows = process.platform === 'win32';

export class KernelProcess {
  /** Set once the process has exited; undefined while it runs. */
  exit: ProcessExit | undefined;
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<ProcessExit>;
  private readonly exitListeners = new Set<(exit: ProcessExit) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        for (const listener of this.exitListeners) listener(this.exit);
      });
    });
  }

  static async spawn(options: SpawnKernelOptions): Promise<KernelProcess> {
    const [command, ...args] = options.argv;
    if (!command) throw new Error('kernel argv is empty');
    // spawn reports a missing cwd as ENOENT on the command, which sends people looking in the wrong place.
    const cwdStat = await stat(options.cwd).catch(() => undefined);
    if (!cwdStat?.isDirectory()) throw new Error(`Kernel working directory does not exist: ${options.cwd}`);

    const log = await open(options.logFile, 'a', 0o600);
    try {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', log.fd, log.fd],
        detached: !isWindows,
        windowsHide: true,
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      // Later errors (e.g. a failed kill) must not become uncaught exceptions.
      child.on('error', () => {});
      return new KernelProcess(child, child.pid!, options.logFile);
    } finally {
      // The child holds its own copy of the descriptor.
      await log.close();
    }
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  onExit(listener: (exit: ProcessExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Signals the kernel's process group (POSIX) or the process itself; false if it is gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      if (!isWindows) {
        process.kill(-this.pid, signal);
        return true;
      }
    } catch {
      // The group may be gone while the leader lingers; fall through to the pid.
    }
    try {
      return this.child.kill(signal);
    } catch {
      return false;
    }
  }

  /** True if the process exited within `ms`. */
  async waitForExit(ms: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** SIGTERM, then SIGKILL; resolves when the process is gone. */
  async terminate(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    if (await this.waitForExit(graceMs)) return;
    await this.kill();
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
  }
}

export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`;
}

/** Last lines of a kernel log, for error messages a user can act on. */
export async function readLogTail(file: string, maxLines = 25, maxBytes = 8192): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-maxLines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
