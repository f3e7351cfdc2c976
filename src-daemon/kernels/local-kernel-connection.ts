/**
 * A kernel process on this machine, spoken to over ZeroMQ. The object outlives restarts:
 * each start creates a fresh "instance" (process + sockets + heartbeat) behind it, so rooms
 * keep one connection and one listener list for the notebook's whole life.
 */
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  PROTOCOL_VERSION,
  type JupyterMessage,
  type KernelInfo,
  type KernelStatus,
  type MessageHeader,
  type OutgoingMessage,
} from '../../src-shared/jupyter/messages';
import {
  ensurePrivateDir,
  newConnectionKey,
  portsFrom,
  removeFile,
  writeConnectionFile,
  type ChannelPorts,
} from './connection-file';
import { Heartbeat } from './heartbeat';
import { isIPythonKernel, LIFT_IOPUB_LIMIT } from './iopub-limit';
import { AdoptedKernelProcess, describeExit, KernelProcess, readLogTail, type KernelProcessHandle } from './kernel-process';
import { processIdentity, type KernelRecord, type KernelRecords } from './kernel-records';
import { executionStateOf } from './execution-state';
import { KernelSockets } from './kernel-sockets';
import { kernelArgv, kernelEnv } from './launch-command';
import type { KernelLogger } from './logger';
import { findFreePorts } from './ports';
import type { KernelConnection, KernelEvent, KernelSpec, LaunchOptions } from './provider';
import { encodeMessage } from './wire';

const IP = '127.0.0.1';
/** Whole kernel_info handshake, including a slow interpreter start on a loaded machine. */
const HANDSHAKE_TIMEOUT_MS = 60_000;
/** Resend kernel_info_request this often until the first reply (it may be queued before the kernel binds). */
const HANDSHAKE_RETRY_MS = 1_000;
/** After the reply, resend this often until iopub delivers something (slow-joining SUB socket). */
const IOPUB_RETRY_MS = 200;
/** A kernel that replies but never publishes its idle on iopub is still usable; stop waiting after this. */
const IOPUB_JOIN_GRACE_MS = 10_000;
/** How long a kernel may take to exit after shutdown_request before we escalate to signals. */
const SHUTDOWN_GRACE_MS = 3_000;
const TERMINATE_GRACE_MS = 2_000;
const INTERRUPT_REPLY_TIMEOUT_MS = 10_000;
/** How long a started kernel's stdin socket may take to complete its handshake before we stop waiting. */
const STDIN_READY_MS = 5_000;
/** A re-adopted kernel whose shell has not answered by then is taken to be running a cell (probeBusy). */
const ADOPT_BUSY_PROBE_MS = 1_000;
/** Re-adopting a kernel a crashed daemon left: it is already running, so it answers fast or not at all. */
const ADOPT_HANDSHAKE_TIMEOUT_MS = 20_000;
/**
 * Ports are chosen free and then released for the kernel to bind (ports.ts, as jupyter_client
 * does): another process can take one in between, most often another kernel starting at the
 * same moment. The kernel then exits with "Address already in use"; it is started again on
 * new ports, at most this many times.
 */
const PORT_TAKEN_RETRIES = 2;

/** The kernel's log says this start attempt (the text after its last start line) could not bind a port. */
function failedOnTakenPort(error: unknown): boolean {
  if (!(error instanceof KernelStartError)) return false;
  const start = error.logTail.lastIndexOf('quire: starting'); // absent when the traceback fills the tail
  const attempt = start < 0 ? error.logTail : error.logTail.slice(start);
  return /Address already in use/.test(attempt);
}

export interface LocalKernelConnectionOptions {
  spec: KernelSpec;
  launch: LaunchOptions;
  runtimeDir: string;
  logger: KernelLogger;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Where the record of each running kernel process is kept (so it can be re-adopted after a crash). */
  records?: KernelRecords | undefined;
  /** Set to re-adopt the kernel this record describes instead of spawning one. */
  adopt?: KernelRecord | undefined;
  /** Picks the five ports of a new kernel; ports.ts unless a test needs a taken one. */
  findPorts?: ((count: number, host: string) => Promise<number[]>) | undefined;
}

/** Thrown when a kernel cannot be started; the message carries the tail of the kernel's log. */
export class KernelStartError extends Error {
  override readonly name = 'KernelStartError';
  constructor(
    message: string,
    readonly logTail = '',
  ) {
    super(message);
  }
}

interface Instance {
  process: KernelProcessHandle;
  sockets: KernelSockets;
  heartbeat: Heartbeat;
  ports: ChannelPorts;
  /** Set before we stop the process on purpose, so its exit is not reported as a crash. */
  stopping: boolean;
}

export class LocalKernelConnection implements KernelConnection {
  readonly id: string;
  readonly spec: KernelSpec;
  readonly connectionFile: string;
  readonly logFile: string;
  private _info: KernelInfo | undefined;
  /** Executes the daemon sent for itself (iopub-limit.ts): one per kernel start. */
  private readonly privateMsgIds = new Set<string>();
  private _status: KernelStatus = 'unknown';

  private readonly options: LocalKernelConnectionOptions;
  private readonly logger: KernelLogger;
  /** Kept across restarts: the connection file is rewritten with the same key. */
  private readonly key: string;
  private readonly session = randomUUID();
  private readonly username = currentUsername();

  private instance: Instance | undefined;
  private readonly listeners = new Set<(event: KernelEvent) => void>();
  /** Taps used by the handshake and reply waits; run before public listeners. */
  private readonly taps = new Set<(message: JupyterMessage) => void>();
  private handshaking = false;
  private lastExecutionState: KernelStatus | undefined;
  /** Status messages that counted (executionStateOf), so a probe can tell whether one came since. */
  private countedStatuses = 0;

  /** Serialises start/restart so two restarts never interleave. */
  private lifecycle: Promise<void> = Promise.resolve();
  /** The restart in progress (stop + start); send() waits for it instead of failing. */
  private restarting: Promise<void> | undefined;
  private startAbort: AbortController | undefined;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: LocalKernelConnectionOptions) {
    this.options = options;
    this.spec = options.spec;
    this.logger = options.logger;
    const adopt = options.adopt;
    this.id = adopt?.kernelId ?? randomUUID();
    this.key = adopt?.connection.key ?? newConnectionKey();
    this.connectionFile = adopt?.connectionFile ?? path.join(options.runtimeDir, `kernel-${this.id}.json`);
    this.logFile = adopt?.logFile ?? path.join(options.runtimeDir, `kernel-${this.id}.log`);
  }

  get info(): KernelInfo | undefined {
    return this._info;
  }

  get status(): KernelStatus {
    return this._status;
  }

  /** OS pid of the current kernel process (changes on restart); undefined when none runs. */
  get pid(): number | undefined {
    const instance = this.instance;
    return instance?.process.running ? instance.process.pid : undefined;
  }

  onEvent(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** First start; called by the provider before the connection is handed out. */
  async start(): Promise<void> {
    await ensurePrivateDir(this.options.runtimeDir);
    this.setStatus('starting');
    try {
      await this.runStart();
    } catch (error) {
      this.markDead(errorMessage(error));
      await removeFile(this.connectionFile).catch(() => {});
      // Cancelled by a shutdown, which may have removed the log before this start wrote it again.
      if (this.shutdownPromise) await removeFile(this.logFile).catch(() => {});
      throw error;
    }
  }

  /**
   * Re-adopts the running kernel of `options.adopt` over its existing ports and key: a
   * heartbeat ping, then kernel_info on the control channel (answered even while the kernel
   * runs a long cell). Throws if it does not answer; the caller then shuts it down.
   */
  async adoptRunning(): Promise<void> {
    const record = this.options.adopt;
    if (!record) throw new Error('adoptRunning needs a kernel record');
    this.setStatus('starting');
    const ports = portsFrom([
      record.connection.shell_port,
      record.connection.iopub_port,
      record.connection.stdin_port,
      record.connection.control_port,
      record.connection.hb_port,
    ]);
    const kernelProcess = new AdoptedKernelProcess(record.pid, { startTime: record.startTime, cmdline: record.cmdline });
    const instance = this.createInstance(kernelProcess, ports, record.connection.ip);
    const abort = new AbortController();
    this.startAbort = abort;
    try {
      if (!(await Heartbeat.ping(`tcp://${record.connection.ip}:${ports.hb_port}`, 5_000))) {
        throw new KernelStartError(`Kernel ${this.id} (pid ${record.pid}) does not answer heartbeats`);
      }
      this._info = await this.handshake(instance, abort.signal, 'control', ADOPT_HANDSHAKE_TIMEOUT_MS);
      await this.awaitStdin(instance);
      // A kernel from an older daemon may still have the default limit (queued if it is busy).
      await this.raiseIopubLimit(instance);
    } catch (error) {
      instance.stopping = true;
      await this.releaseInstance(instance);
      this.markDead(errorMessage(error));
      throw error;
    } finally {
      if (this.startAbort === abort) this.startAbort = undefined;
    }
    instance.heartbeat.start();
    this.setStatus(this.lastExecutionState === 'busy' ? 'busy' : 'idle');
    this.probeBusy(instance);
  }

  /**
   * A re-adopted kernel may be in the middle of a cell the crashed daemon started: that busy
   * was published before we subscribed, and the handshake went over control, which answers
   * anyway. Shell does not answer while a cell runs, so a kernel_info_request there still
   * unanswered after a moment means busy; the cell's own idle ends it.
   */
  private probeBusy(instance: Instance): void {
    const countedBefore = this.countedStatuses;
    let guessedBusyAt: number | null = null;
    const guess = setTimeout(() => {
      if (this.countedStatuses === countedBefore && this.instance === instance && this._status === 'idle') {
        guessedBusyAt = this.countedStatuses;
        this.setStatus('busy');
      }
    }, ADOPT_BUSY_PROBE_MS);
    // No timeout: the cell may run for hours. The reply, or the kernel's exit, ends the wait.
    this.request(instance, { channel: 'shell', msg_type: 'kernel_info_request', content: {} }, 'kernel_info_reply', null).then(
      () => {
        clearTimeout(guess);
        // Answered late: a loaded machine, not a cell. Undo the guess unless the kernel spoke since.
        const guessStands = guessedBusyAt !== null && this.countedStatuses === guessedBusyAt;
        if (guessStands && this.instance === instance && this._status === 'busy') this.setStatus('idle');
      },
      // A kernel that cannot be sent to is reported dead by its heartbeat and exit watch.
      () => clearTimeout(guess),
    );
  }

  async send(message: OutgoingMessage): Promise<string> {
    if (this.shutdownPromise) throw new Error(`Kernel ${this.spec.display_name} has been shut down`);
    if (!['shell', 'control', 'stdin'].includes(message.channel)) {
      throw new Error(`Cannot send on channel ${JSON.stringify(message.channel)}`);
    }
    // A failed restart leaves no running instance, which runningInstance reports.
    await this.restarting?.catch(() => {});
    const instance = this.runningInstance('send a message');
    return this.sendOn(instance, message);
  }

  async interrupt(): Promise<void> {
    // Mid-restart there is no code running to interrupt; waiting would interrupt the fresh kernel.
    if (this.restarting) return;
    const instance = this.runningInstance('interrupt it');
    if (this.spec.interrupt_mode === 'message') {
      const reply = await this.request(
        instance,
        { channel: 'control', msg_type: 'interrupt_request', content: {} },
        'interrupt_reply',
        INTERRUPT_REPLY_TIMEOUT_MS,
      );
      if (reply.content.status === 'error') {
        throw new Error(`Kernel refused the interrupt: ${String(reply.content.evalue ?? 'unknown error')}`);
      }
      return;
    }
    if (process.platform === 'win32') {
      // Windows kernels are interrupted through a shared event handle (JPY_INTERRUPT_EVENT), not yet wired up.
      throw new Error('Interrupting kernels with interrupt_mode "signal" is not supported on Windows yet');
    }
    instance.process.signal('SIGINT');
  }

  restart(): Promise<void> {
    const run = this.serialise(async () => {
      if (this.shutdownPromise) throw new Error(`Kernel ${this.spec.display_name} has been shut down`);
      this.setStatus('restarting');
      const old = this.instance;
      try {
        if (old) await this.stopInstance(old, { restart: true });
        this._info = undefined;
        await this.runStart();
      } catch (error) {
        this.markDead(`Restart failed: ${errorMessage(error)}`);
        throw error;
      }
    });
    this.restarting = run;
    const clear = () => {
      if (this.restarting === run) this.restarting = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.startAbort?.abort();
      await this.lifecycle.catch(() => {});
      const crashed = this._status === 'dead';
      const instance = this.instance;
      if (instance) await this.stopInstance(instance, { restart: false });
      this.removeRecord();
      await removeFile(this.connectionFile);
      // A crash log is evidence worth keeping; a clean run's log is not.
      if (!crashed) await removeFile(this.logFile);
      this.setStatus('dead', 'shut down');
    })();
    return this.shutdownPromise;
  }

  // --- starting ------------------------------------------------------------------------------

  /** Starts a new instance; shutdown() can cancel it through startAbort. */
  private async runStart(): Promise<void> {
    // shutdown() may have arrived while a restart was still stopping the old process.
    if (this.shutdownPromise) throw cancelledError();
    const abort = new AbortController();
    this.startAbort = abort;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.startInstance(abort.signal);
          return;
        } catch (error) {
          if (attempt >= PORT_TAKEN_RETRIES || abort.signal.aborted || !failedOnTakenPort(error)) throw error;
          this.logger.warn(`Kernel ${this.id}: another process took one of its ports before it could bind it; starting it again on new ports`);
        }
      }
    } finally {
      if (this.startAbort === abort) this.startAbort = undefined;
    }
  }

  private async startInstance(signal: AbortSignal): Promise<void> {
    const ports = portsFrom(await (this.options.findPorts ?? findFreePorts)(5, IP));
    await writeConnectionFile(this.connectionFile, {
      ...ports,
      ip: IP,
      transport: 'tcp',
      signature_scheme: 'hmac-sha256',
      key: this.key,
      kernel_name: this.spec.name,
    });
    const argv = kernelArgv(this.spec, this.connectionFile);
    await appendFile(this.logFile, `--- ${new Date().toISOString()} quire: starting ${argv.join(' ')}\n`, { mode: 0o600 });

    let kernelProcess: KernelProcess;
    try {
      kernelProcess = await KernelProcess.spawn({
        argv,
        env: kernelEnv(this.spec, this.options.launch.env),
        cwd: this.options.launch.cwd,
        logFile: this.logFile,
      });
    } catch (error) {
      throw new KernelStartError(
        `Could not start kernel "${this.spec.display_name}": ${errorMessage(error)}. ` +
          `Check "argv" in ${path.join(this.spec.resourceDir, 'kernel.json')}.`,
      );
    }
    if (signal.aborted) {
      await kernelProcess.kill();
      throw cancelledError();
    }
    // Written before the handshake: a daemon that crashes now still leaves the next one a
    // record, so this process is re-adopted or shut down instead of leaking.
    this.writeRecord(kernelProcess.pid, ports);

    const instance = this.createInstance(kernelProcess, ports, IP);
    try {
      this._info = await this.handshake(instance, signal, 'shell', HANDSHAKE_TIMEOUT_MS);
      await this.awaitStdin(instance);
      if (signal.aborted) throw cancelledError();
      await this.raiseIopubLimit(instance);
    } catch (error) {
      instance.stopping = true;
      await instance.process.kill();
      await this.releaseInstance(instance);
      this.removeRecord();
      throw error;
    }
    instance.heartbeat.start();
    this.setStatus(this.lastExecutionState === 'busy' ? 'busy' : 'idle');
  }

  private writeRecord(pid: number, ports: ChannelPorts): void {
    const { records } = this.options;
    const owner = this.options.launch.owner;
    if (!records || !owner) return;
    const identity = processIdentity(pid);
    try {
      records.write({
        version: 1,
        kernelId: this.id,
        owner,
        spec: this.spec,
        cwd: this.options.launch.cwd,
        pid,
        startTime: identity?.startTime ?? null,
        cmdline: identity?.cmdline ?? null,
        connectionFile: this.connectionFile,
        logFile: this.logFile,
        connection: { ...ports, ip: IP, transport: 'tcp', signature_scheme: 'hmac-sha256', key: this.key, kernel_name: this.spec.name },
        daemonPid: process.pid,
        startedAt: Date.now(),
      });
    } catch (error) {
      // The kernel still works; it just cannot be re-adopted after a crash.
      this.logger.warn(`Could not write the record of kernel ${this.id}: ${errorMessage(error)}`);
    }
  }

  private removeRecord(): void {
    try {
      this.options.records?.remove(this.id);
    } catch (error) {
      this.logger.warn(`Could not remove the record of kernel ${this.id}: ${errorMessage(error)}`);
    }
  }

  /** Sockets, heartbeat and exit watch for one process. */
  private createInstance(kernelProcess: KernelProcessHandle, ports: ChannelPorts, ip: string): Instance {
    // The instance object exists before its parts so callbacks can tell stale instances apart.
    const instance = { process: kernelProcess, ports, stopping: false } as Instance;
    instance.sockets = new KernelSockets({
      ip,
      ports,
      key: this.key,
      routingId: this.session,
      onMessage: (message) => this.handleMessage(instance, message),
      onDropped: (channel, failure) =>
        this.logger.warn(`Dropped a ${channel} message from kernel ${this.id}: ${failure.error} (${failure.detail})`),
      onLoopError: (channel, error) =>
        this.logger.error(`Receive loop for ${channel} of kernel ${this.id} failed: ${errorMessage(error)}`),
    });
    instance.heartbeat = new Heartbeat({
      url: `tcp://${ip}:${ports.hb_port}`,
      intervalMs: this.options.heartbeatIntervalMs,
      timeoutMs: this.options.heartbeatTimeoutMs,
      onFailure: (silentForMs) => this.handleHeartbeatFailure(instance, silentForMs),
    });
    this.instance = instance;
    kernelProcess.onExit((exit) => {
      if (instance.stopping || this.instance !== instance || this.handshaking) return;
      const reason = `Kernel process ${describeExit(exit)}`;
      void readLogTail(this.logFile).then((tail) =>
        this.logger.warn(`Kernel ${this.id} (${this.spec.name}) died: ${reason}${tail ? `\n${tail}` : ''}`),
      );
      this.markDead(reason);
      this.removeRecord();
      // Nothing will answer on these sockets again; close them so no receive loop outlives the kernel.
      void this.releaseInstance(instance);
    });
    return instance;
  }

  /** An input() right after start must not be lost to a stdin socket still connecting (kernel-sockets.ts). */
  private async awaitStdin(instance: Instance): Promise<void> {
    if (!(await instance.sockets.whenStdinReady(STDIN_READY_MS))) {
      this.logger.warn(`Kernel ${this.id}: stdin did not complete its handshake within ${STDIN_READY_MS} ms; input() may go unanswered`);
    }
  }

  /**
   * kernel_info_request until a reply arrives and iopub has published the matching 'idle'.
   * Requests sent before the kernel binds are queued by ZeroMQ, but a SUB socket misses whatever
   * is published before its subscription reaches the kernel, hence the retries. Waiting for
   * that idle also means the connection is handed out in a settled 'idle' state.
   */
  private async handshake(
    instance: Instance,
    signal: AbortSignal,
    channel: 'shell' | 'control',
    timeoutMs: number,
  ): Promise<KernelInfo> {
    const sent = new Set<string>();
    let reply: Record<string, unknown> | undefined;
    let replyAt = 0;
    /** iopub delivered something caused by one of our requests (so its 'idle' will follow). */
    let sawIopub = false;
    let sawIdle = false;
    // Set by whatever happens while the loop is not asleep (during a send), so it does not sleep then.
    let woken = false;
    let endSleep: (() => void) | null = null;
    const wake = () => {
      woken = true;
      endSleep?.();
    };
    const untap = this.tap((message) => {
      const ours = sent.has(message.parent_header.msg_id ?? '');
      if (message.channel === 'iopub' && ours) {
        sawIopub = true;
        if (message.header.msg_type === 'status' && message.content.execution_state === 'idle') sawIdle = true;
      } else if (ours && message.header.msg_type === 'kernel_info_reply') {
        reply ??= message.content;
      } else return;
      wake();
    });
    const unwatchExit = instance.process.onExit(() => wake());
    const onAbort = () => wake();
    signal.addEventListener('abort', onAbort);
    this.handshaking = true;
    this.lastExecutionState = undefined;
    const startedAt = Date.now();
    let nextSendAt = 0;
    try {
      for (;;) {
        woken = false;
        if (signal.aborted) throw cancelledError();
        const exit = instance.process.exit;
        if (exit) throw await this.startFailure(`Kernel "${this.spec.display_name}" ${describeExit(exit)} while starting.`);
        const now = Date.now();
        if (reply) {
          replyAt ||= now;
          if (sawIdle) return toKernelInfo(reply, this.spec);
          if (now - replyAt >= IOPUB_JOIN_GRACE_MS) {
            this.logger.warn(`Kernel ${this.id} answered kernel_info but its iopub stayed silent; continuing`);
            return toKernelInfo(reply, this.spec);
          }
        }
        if (now - startedAt >= timeoutMs) {
          throw await this.startFailure(`Kernel "${this.spec.display_name}" did not answer within ${timeoutMs / 1000} s.`);
        }
        // Once iopub is known to deliver, the idle for an earlier request is on its way: no more requests.
        const resend = !reply || !sawIopub;
        if (resend && now >= nextSendAt) {
          const msgId = randomUUID();
          sent.add(msgId); // before sending: the reply can be read before the send resolves
          await this.sendOn(instance, { channel, msg_type: 'kernel_info_request', msg_id: msgId, content: {} });
          nextSendAt = now + (reply ? IOPUB_RETRY_MS : HANDSHAKE_RETRY_MS);
        }
        const until = Math.min(
          resend ? nextSendAt : Infinity,
          reply ? replyAt + IOPUB_JOIN_GRACE_MS : Infinity,
          startedAt + timeoutMs,
        );
        if (woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
          endSleep = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        endSleep = null;
      }
    } finally {
      this.handshaking = false;
      untap();
      unwatchExit();
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async startFailure(message: string): Promise<KernelStartError> {
    const tail = await readLogTail(this.logFile);
    const details = tail ? `\nLast lines of the kernel log (${this.logFile}):\n${tail}` : `\nKernel log: ${this.logFile}`;
    return new KernelStartError(message + details, tail);
  }

  // --- stopping ------------------------------------------------------------------------------

  /** Asks the kernel to exit, escalates to signals, and releases the sockets. */
  private async stopInstance(instance: Instance, { restart }: { restart: boolean }): Promise<void> {
    instance.stopping = true;
    await instance.heartbeat.stop();
    if (instance.process.running) {
      try {
        await this.sendOn(instance, { channel: 'control', msg_type: 'shutdown_request', content: { restart } });
      } catch {
        // Sockets already closed: go straight to waiting and signals.
      }
      if (!(await instance.process.waitForExit(SHUTDOWN_GRACE_MS))) {
        this.logger.warn(`Kernel ${this.id} ignored shutdown_request; ${restart ? 'killing' : 'terminating'} it`);
        if (restart) await instance.process.kill();
        else await instance.process.terminate(TERMINATE_GRACE_MS);
      }
    }
    await this.releaseInstance(instance);
  }

  private async releaseInstance(instance: Instance): Promise<void> {
    await instance.heartbeat.stop();
    await instance.sockets.close();
  }

  // --- messages ------------------------------------------------------------------------------

  private async sendOn(instance: Instance, message: OutgoingMessage): Promise<string> {
    const header: MessageHeader = {
      msg_id: message.msg_id ?? randomUUID(),
      msg_type: message.msg_type,
      session: this.session,
      username: this.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
    const frames = encodeMessage(
      {
        header,
        parent_header: message.parent_header ?? {},
        metadata: message.metadata ?? {},
        content: message.content,
        buffers: message.buffers ?? [],
      },
      this.key,
    );
    await instance.sockets.send(message.channel, frames);
    return header.msg_id;
  }

  /** ipykernel only: see iopub-limit.ts. */
  private async raiseIopubLimit(instance: Instance): Promise<void> {
    if (isIPythonKernel(this._info)) await this.sendPrivate(instance, LIFT_IOPUB_LIMIT);
  }

  /**
   * Runs setup code of the daemon's own as a silent execute. Its messages (busy, idle, the
   * reply) are the daemon's, not the notebook's: they never reach the room.
   */
  private async sendPrivate(instance: Instance, code: string): Promise<void> {
    const msgId = randomUUID();
    this.privateMsgIds.add(msgId);
    await this.sendOn(instance, {
      channel: 'shell',
      msg_type: 'execute_request',
      msg_id: msgId,
      content: { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
    });
  }

  private handleMessage(instance: Instance, message: JupyterMessage): void {
    if (this.instance !== instance) return;
    const parent = (message.parent_header as { msg_id?: unknown }).msg_id;
    if (typeof parent === 'string' && this.privateMsgIds.has(parent)) return;
    const state = executionStateOf(message);
    if (state) {
      this.lastExecutionState = state;
      this.countedStatuses++;
      // Until the handshake is done the kernel is 'starting'/'restarting', whatever iopub says.
      if (!this.handshaking && this._status !== 'dead') this.setStatus(state);
    }
    for (const tap of this.taps) tap(message);
    this.emit({ type: 'message', message });
  }

  private tap(listener: (message: JupyterMessage) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /**
   * Sends a request and resolves with its reply (`timeoutMs` null: however long it takes). The
   * reply is listened for before the send: under load the receive loop can read it before the
   * send's promise resolves.
   */
  private request(instance: Instance, message: OutgoingMessage, replyType: string, timeoutMs: number | null): Promise<JupyterMessage> {
    const msgId = message.msg_id ?? randomUUID();
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, reply?: JupyterMessage) => {
        if (timer) clearTimeout(timer);
        untap();
        unwatchExit();
        if (error) reject(error);
        else resolve(reply!);
      };
      const timer =
        timeoutMs === null
          ? null
          : setTimeout(() => finish(new Error(`Kernel did not send ${replyType} within ${timeoutMs / 1000} s`)), timeoutMs);
      const untap = this.tap((m) => {
        if (m.header.msg_type === replyType && m.parent_header.msg_id === msgId) finish(undefined, m);
      });
      const unwatchExit = instance.process.onExit((exit) =>
        finish(new Error(`Kernel ${describeExit(exit)} before sending ${replyType}`)),
      );
      this.sendOn(instance, { ...message, msg_id: msgId }).catch((error: unknown) =>
        finish(error instanceof Error ? error : new Error(String(error))),
      );
    });
  }

  // --- status --------------------------------------------------------------------------------

  private handleHeartbeatFailure(instance: Instance, silentForMs: number): void {
    if (instance.stopping || this.instance !== instance) return;
    const reason = `Kernel stopped answering heartbeats (silent for ${(silentForMs / 1000).toFixed(1)} s)`;
    this.logger.warn(`Kernel ${this.id}: ${reason}`);
    this.markDead(reason);
    // The room forgets a dead kernel. Kernels no longer die with the daemon, so a hung one
    // must be ended here or it would run forever with nobody holding it.
    instance.stopping = true;
    void instance.process
      .terminate(TERMINATE_GRACE_MS)
      .then(() => this.releaseInstance(instance))
      .finally(() => this.removeRecord());
  }

  private markDead(reason: string): void {
    this.setStatus('dead', reason);
  }

  private setStatus(status: KernelStatus, reason?: string): void {
    if (this._status === status) return;
    this._status = status;
    this.emit(reason === undefined ? { type: 'status', status } : { type: 'status', status, reason });
  }

  private emit(event: KernelEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // One faulty listener must not starve the others or break the receive loop.
        this.logger.error(`Kernel event listener threw: ${errorMessage(error)}`);
      }
    }
  }

  private runningInstance(action: string): Instance {
    const instance = this.instance;
    if (!instance || !instance.process.running || instance.stopping) {
      throw new Error(`Cannot ${action}: kernel "${this.spec.display_name}" is not running (status ${this._status}). Restart it.`);
    }
    return instance;
  }

  private serialise(task: () => Promise<void>): Promise<void> {
    const run = this.lifecycle.then(task, task);
    this.lifecycle = run.catch(() => {});
    return run;
  }
}

function toKernelInfo(content: Record<string, unknown>, spec: KernelSpec): KernelInfo {
  const rawLanguage = content.language_info;
  const language_info =
    typeof rawLanguage === 'object' && rawLanguage !== null && typeof (rawLanguage as { name?: unknown }).name === 'string'
      ? (rawLanguage as KernelInfo['language_info'])
      : { name: spec.language };
  return {
    ...content,
    protocol_version: typeof content.protocol_version === 'string' ? content.protocol_version : '',
    implementation: typeof content.implementation === 'string' ? content.implementation : '',
    language_info,
  };
}

function cancelledError(): KernelStartError {
  return new KernelStartError('Kernel start was cancelled because the kernel is shutting down');
}

function currentUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    // userInfo throws when the uid has no passwd entry (some containers).
    return process.env.USER ?? process.env.USERNAME ?? 'quire';
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

