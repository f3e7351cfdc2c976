/**
 * One kernel OS process: spawn with output to a log file, signal it, wait for it to exit.
 *
 * On POSIX the kernel gets its own process group (like jupyter_client's start_new_session),
 * so a Ctrl-C aimed at the daemon's terminal does not interrupt every kernel, and signals
 * we send reach the subprocesses the kernel started too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { recordedProcessLiveness } from './kernel-records';

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

/** What the connection needs of a kernel process, whether we spawned it or adopted it. */
export interface KernelProcessHandle {
  readonly pid: number;
  readonly exit: ProcessExit | undefined;
  readonly exited: Promise<ProcessExit>;
  readonly running: boolean;
  onExit(listener: (exit: ProcessExit) => void): () => void;
  signal(signal: NodeJS.Signals): boolean;
  waitForExit(ms: number): Promise<boolean>;
  terminate(graceMs: number): Promise<void>;
  kill(): Promise<void>;
}

export class KernelProcess implements KernelProcessHandle {
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
  terminate(graceMs: number): Promise<void> {
    return terminateGracefully(this, graceMs);
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
  }
}

/**
 * A kernel process a previous daemon spawned: not our child, so there is no 'exit' event.
 * Its exit is noticed by polling its identity (pid + start time + argv), which also keeps a
 * reused pid from ever being signalled.
 */
export class AdoptedKernelProcess implements KernelProcessHandle {
  exit: ProcessExit | undefined;
  readonly exited: Promise<ProcessExit>;
  private readonly exitListeners = new Set<(exit: ProcessExit) => void>();
  private readonly timer: NodeJS.Timeout;
  private resolveExit!: (exit: ProcessExit) => void;

  constructor(
    readonly pid: number,
    private readonly identity: { startTime: string | null; cmdline: string[] | null },
    pollMs = 500,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.timer = setInterval(() => this.check(), pollMs);
    // Polling alone must not keep a daemon that is otherwise done from exiting.
    this.timer.unref();
    this.check();
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** 'unverifiable' (no /proc) counts as running: the heartbeat then decides. */
  private isOurs(): boolean {
    return recordedProcessLiveness({ pid: this.pid, ...this.identity }) !== 'gone';
  }

  private check(): void {
    if (!this.running || this.isOurs()) return;
    clearInterval(this.timer);
    // Not our child: its exit status went to whoever reaped it.
    this.exit = { code: null, signal: null };
    this.resolveExit(this.exit);
    for (const listener of this.exitListeners) listener(this.exit);
  }

  onExit(listener: (exit: ProcessExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  signal(signal: NodeJS.Signals): boolean {
    this.check();
    // Only a process whose identity we verified may be signalled (never a reused pid).
    if (!this.running || recordedProcessLiveness({ pid: this.pid, ...this.identity }) !== 'ours') return false;
    try {
      process.kill(isWindows ? this.pid : -this.pid, signal);
      return true;
    } catch {
      try {
        process.kill(this.pid, signal);
        return true;
      } catch {
        return false;
      }
    }
  }

  async waitForExit(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.running && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      this.check();
    }
    return !this.running;
  }

  terminate(graceMs: number): Promise<void> {
    return terminateGracefully(this, graceMs);
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    if (!this.signal('SIGKILL')) {
      this.check();
      if (this.running) {
        // Unverifiable identity: we may not signal it, so stop tracking it instead of waiting forever.
        clearInterval(this.timer);
        this.exit = { code: null, signal: null };
        this.resolveExit(this.exit);
        for (const listener of this.exitListeners) listener(this.exit);
      }
      return;
    }
    await this.waitForExit(5_000);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`: how both kinds of kernel process end. */
async function terminateGracefully(p: KernelProcessHandle, graceMs: number): Promise<void> {
  if (!p.running) return;
  p.signal('SIGTERM');
  if (await p.waitForExit(graceMs)) return;
  await p.kill();
}

export function describeExit(exit: ProcessExit): string {
  if (exit.code === null && exit.signal === null) return 'exited';
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
