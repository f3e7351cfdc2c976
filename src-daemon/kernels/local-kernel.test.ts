/**
 * Integration tests against a real ipykernel from the project's venv: real processes,
 * real ZeroMQ sockets, real files.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JupyterMessage } from '../../src-shared/jupyter/messages';
import { findKernelSpecs, resolveKernelSpec } from './kernelspecs';
import { IOPUB_HWM } from './iopub-limit';
import { findFreePorts } from './ports';
import { LocalKernelConnection, LocalKernelProvider } from './local-kernel';
import type { KernelLogger } from './logger';
import type { KernelEvent, KernelSpec } from './provider';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const warnings: string[] = [];
const logger: KernelLogger = { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };

let runtimeDir: string;
let spec: KernelSpec;
let provider: LocalKernelProvider;
const launched = new Set<LocalKernelConnection>();

beforeAll(async () => {
  runtimeDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'quire-kernels-')), 'runtime');
  // env {} and a fake home so a kernel installed elsewhere on the machine cannot shadow the venv's.
  const specs = await findKernelSpecs({ prefixes: [path.join(repoRoot, '.venv')], env: {}, homeDir: runtimeDir, logger });
  const found = resolveKernelSpec(specs, { name: 'python3' });
  if (!found) throw new Error(`no python3 kernelspec in ${repoRoot}.venv; run npm run setup`);
  spec = found;
  provider = new LocalKernelProvider({ runtimeDir, logger });
});

afterEach(async () => {
  await Promise.all([...launched].map((k) => k.shutdown()));
  launched.clear();
});

afterAll(async () => {
  await rm(path.dirname(runtimeDir), { recursive: true, force: true });
});

async function launch(kernelSpec = spec): Promise<{ kernel: LocalKernelConnection; events: KernelEvent[] }> {
  const kernel = await provider.launch(kernelSpec, { cwd: os.tmpdir() });
  launched.add(kernel);
  const events: KernelEvent[] = [];
  kernel.onEvent((event) => events.push(event));
  return { kernel, events };
}

function waitForEvent(
  kernel: LocalKernelConnection,
  predicate: (event: KernelEvent) => boolean,
  timeoutMs = 20_000,
): Promise<KernelEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching kernel event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = kernel.onEvent((event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** Runs code; resolves with the execute_reply and the iopub messages it caused. */
async function execute(kernel: LocalKernelConnection, code: string, timeoutMs = 20_000) {
  const iopub: JupyterMessage[] = [];
  const off = kernel.onEvent((event) => {
    if (event.type === 'message' && event.message.channel === 'iopub') iopub.push(event.message);
  });
  // The id is fixed before sending: the reply can be read before the send resolves.
  const msgId = randomUUID();
  const replied = waitForEvent(
    kernel,
    (e) => e.type === 'message' && e.message.header.msg_type === 'execute_reply' && e.message.parent_header.msg_id === msgId,
    timeoutMs,
  );
  await kernel.send({ channel: 'shell', msg_type: 'execute_request', msg_id: msgId, content: { code, silent: false } });
  try {
    const reply = ((await replied) as Extract<KernelEvent, { type: 'message' }>).message;
    // The reply can overtake the last iopub messages (different sockets): wait for idle.
    const deadline = Date.now() + 5_000;
    while (!iopub.some((m) => isStatus(m, 'idle') && m.parent_header.msg_id === msgId) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return { reply, iopub: iopub.filter((m) => m.parent_header.msg_id === msgId) };
  } finally {
    off();
  }
}

/** A cell that says when its sleep begins: an interrupt that lands earlier, while the kernel is still starting the cell, may never reach it. */
const SLEEP_30 = 'import time\nprint("sleeping", flush=True)\ntime.sleep(30)';

function untilSleeping(kernel: LocalKernelConnection): Promise<KernelEvent> {
  return waitForEvent(kernel, (e) => e.type === 'message' && e.message.header.msg_type === 'stream');
}

function isStatus(message: JupyterMessage, state: string): boolean {
  return message.header.msg_type === 'status' && message.content.execution_state === state;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('LocalKernelProvider with a real ipykernel', () => {
  it('lists the venv python3 kernel', async () => {
    const local = new LocalKernelProvider({ runtimeDir, logger, prefixes: [path.join(repoRoot, '.venv')] });
    expect((await local.listSpecs()).map((s) => s.name)).toContain('python3');
  });

  it('starts again on new ports when another process took one before the kernel bound it', async () => {
    // The race of ports.ts, made certain: the first five ports include one a server holds.
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1', exclusive: true }, resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    const picks: number[][] = [];
    const racing = new LocalKernelProvider({
      runtimeDir,
      logger,
      findPorts: async (count, host) => {
        const free = await findFreePorts(count, host);
        picks.push(picks.length === 0 ? [free[0]!, free[1]!, taken, free[3]!, free[4]!] : free);
        return picks.at(-1)!;
      },
    });
    try {
      const kernel = await racing.launch(spec, { cwd: os.tmpdir() });
      launched.add(kernel);
      expect(picks).toHaveLength(2);
      expect(warnings.some((w) => /took one of its ports/.test(w))).toBe(true);
      expect((await execute(kernel, '1 + 1')).reply.content.status).toBe('ok');
    } finally {
      holder.close();
    }
  });

  it('launches, completes the kernel_info handshake, and runs code', async () => {
    const { kernel } = await launch();
    expect(kernel.info?.language_info.name).toBe('python');
    expect(kernel.status).toBe('idle');
    expect(kernel.pid).toBeTypeOf('number');
    expect((await stat(runtimeDir)).mode & 0o777).toBe(0o700);
    expect((await stat(kernel.connectionFile)).mode & 0o777).toBe(0o600);

    const { reply, iopub } = await execute(kernel, "print('hi')");
    expect(reply.channel).toBe('shell');
    expect(reply.content.status).toBe('ok');
    const stream = iopub.find((m) => m.header.msg_type === 'stream');
    expect(stream?.content).toMatchObject({ name: 'stdout', text: 'hi\n' });
    expect(iopub.some((m) => isStatus(m, 'busy'))).toBe(true);
  });

  it("raises ipykernel's IOPub send limit, invisibly, after every start (iopub-limit.ts)", async () => {
    const { kernel, events } = await launch();
    const probe = [
      'import zmq as _zmq, threading as _threading',
      '_sock, _got, _done = get_ipython().kernel.iopub_thread, [], _threading.Event()',
      '_sock.schedule(lambda: (_got.append(_sock.socket.getsockopt(_zmq.SNDHWM)), _done.set()))',
      '_done.wait(10)',
      'print(_got)',
    ].join('\n');
    // The daemon's own execute took no execution count and left no names behind.
    const first = await execute(kernel, "print('zmq' in globals(), '_t' in globals())");
    expect(first.reply.content).toMatchObject({ status: 'ok', execution_count: 1 });
    expect(first.iopub.find((m) => m.header.msg_type === 'stream')?.content.text).toBe('False False\n');
    const probed = await execute(kernel, probe);
    expect(probed.iopub.find((m) => m.header.msg_type === 'stream')?.content.text).toBe(`[${IOPUB_HWM}]\n`);
    // None of its messages reached listeners: every execute-related message answers one of ours.
    const ours = new Set([first, probed].map((r) => r.reply.parent_header.msg_id));
    const executeMessages = events.flatMap((e) =>
      e.type === 'message' && ['execute_input', 'execute_reply', 'stream'].includes(e.message.header.msg_type) ? [e.message] : [],
    );
    expect(executeMessages.filter((m) => !ours.has(m.parent_header.msg_id as string))).toEqual([]);

    await kernel.restart();
    const again = await execute(kernel, probe);
    expect(again.iopub.find((m) => m.header.msg_type === 'stream')?.content.text).toBe(`[${IOPUB_HWM}]\n`);
  });

  it('reports busy and idle from iopub as status events', async () => {
    const { kernel, events } = await launch();
    await execute(kernel, '1 + 1');
    const statuses = events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses).toContain('busy');
    expect(statuses.at(-1)).toBe('idle');
  });

  it('interrupts a running cell with SIGINT (interrupt_mode signal)', async () => {
    const { kernel } = await launch();
    const running = execute(kernel, SLEEP_30, 30_000);
    await untilSleeping(kernel);
    const started = Date.now();
    await kernel.interrupt();
    const { reply, iopub } = await running;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(iopub.some((m) => m.header.msg_type === 'error' && m.content.ename === 'KeyboardInterrupt')).toBe(true);
    // Still usable afterwards.
    expect((await execute(kernel, '2')).reply.content.status).toBe('ok');
  });

  it('interrupts with interrupt_request on control (interrupt_mode message)', async () => {
    const { kernel } = await launch({ ...spec, interrupt_mode: 'message' });
    const running = execute(kernel, SLEEP_30, 30_000);
    await untilSleeping(kernel);
    await kernel.interrupt(); // resolves only after interrupt_reply
    const { reply } = await running;
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
  });

  it('stays busy while a cell runs, whatever control requests answer in between', async () => {
    const { kernel } = await launch({ ...spec, interrupt_mode: 'message' });
    // A cell that outlives its interrupt: the interrupt's own busy/idle comes while it still runs.
    const running = execute(
      kernel,
      'import time\ntry:\n    print("sleeping", flush=True)\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    time.sleep(1.5)',
      30_000,
    );
    // Inside the try: an interrupt that lands before it (under load) would end the cell instead.
    await untilSleeping(kernel);
    expect(kernel.status).toBe('busy');
    // ipykernel answers control on its own thread, with a busy/idle pair of its own.
    const controlIdle = (msgType: string) =>
      waitForEvent(kernel, (e) => e.type === 'message' && isStatus(e.message, 'idle') && e.message.parent_header.msg_type === msgType);
    const infoIdle = controlIdle('kernel_info_request');
    await kernel.send({ channel: 'control', msg_type: 'kernel_info_request', content: {} });
    await infoIdle;
    expect(kernel.status).toBe('busy');
    const interruptIdle = controlIdle('interrupt_request');
    await kernel.interrupt();
    await interruptIdle;
    expect(kernel.status).toBe('busy');
    expect((await running).reply.content.status).toBe('ok');
    expect(kernel.status).toBe('idle');
  });

  it('restarts with a fresh interpreter on the same connection object', async () => {
    const { kernel, events } = await launch();
    expect((await execute(kernel, 'x = 1')).reply.content.status).toBe('ok');
    const oldPid = kernel.pid;
    const oldFile = kernel.connectionFile;
    events.length = 0;

    await kernel.restart();
    expect(kernel.status).toBe('idle');
    expect(kernel.pid).not.toBe(oldPid);
    expect(processExists(oldPid!)).toBe(false);
    expect(kernel.connectionFile).toBe(oldFile);
    const statuses = events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
    expect(statuses[0]).toBe('restarting');
    expect(statuses.at(-1)).toBe('idle');
    expect(kernel.info?.language_info.name).toBe('python');

    const { reply, iopub } = await execute(kernel, 'print(x)');
    expect(reply.content).toMatchObject({ status: 'error', ename: 'NameError' });
    expect(iopub.some((m) => m.header.msg_type === 'error')).toBe(true);
    // The kernel left on its own after shutdown_request; no signals were needed.
    expect(warnings.filter((w) => w.includes('ignored shutdown_request'))).toEqual([]);
  });

  it('holds messages sent during a restart for the new kernel', async () => {
    const { kernel } = await launch();
    await execute(kernel, 'y = 1');
    const restarted = kernel.restart();
    const { reply, iopub } = await execute(kernel, "print('y' in globals())");
    await restarted;
    expect(reply.content.status).toBe('ok');
    expect(iopub.find((m) => m.header.msg_type === 'stream')?.content.text).toBe('False\n');
  });

  it('shutdown during a restart wins, and later restarts are refused', async () => {
    const { kernel } = await launch();
    const restarted = kernel.restart().then(
      () => 'restarted',
      () => 'failed',
    );
    await kernel.shutdown();
    expect(['restarted', 'failed']).toContain(await restarted);
    expect(kernel.status).toBe('dead');
    expect(kernel.pid).toBeUndefined();
    await expect(kernel.restart()).rejects.toThrow(/shut down/);
  });

  it('reports dead promptly when the kernel process is killed', async () => {
    const { kernel } = await launch();
    const dead = waitForEvent(kernel, (e) => e.type === 'status' && e.status === 'dead', 10_000);
    const started = Date.now();
    process.kill(kernel.pid!, 'SIGKILL');
    const event = await dead;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(event.type === 'status' && event.reason).toMatch(/SIGKILL/);
    expect(kernel.pid).toBeUndefined();
    await expect(kernel.send({ channel: 'shell', msg_type: 'kernel_info_request', content: {} })).rejects.toThrow(
      /not running/,
    );
  });

  it('reports dead when the kernel stops answering heartbeats', async () => {
    const fastHeartbeat = new LocalKernelProvider({ runtimeDir, logger, heartbeatIntervalMs: 250, heartbeatTimeoutMs: 1_000 });
    const kernel = await fastHeartbeat.launch(spec, { cwd: os.tmpdir() });
    launched.add(kernel);
    // Survives a few healthy heartbeat rounds first.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(kernel.status).toBe('idle');
    const dead = waitForEvent(kernel, (e) => e.type === 'status' && e.status === 'dead', 10_000);
    process.kill(kernel.pid!, 'SIGSTOP'); // alive but silent: only the heartbeat can notice
    try {
      const event = await dead;
      expect(event.type === 'status' && event.reason).toMatch(/heartbeat/);
    } finally {
      process.kill(kernel.pid!, 'SIGCONT');
    }
  });

  it('shuts down: no process left, connection file and log removed, idempotent', async () => {
    const { kernel, events } = await launch();
    const pid = kernel.pid!;
    expect(existsSync(kernel.connectionFile)).toBe(true);
    await Promise.all([kernel.shutdown(), kernel.shutdown()]);
    await kernel.shutdown();
    expect(processExists(pid)).toBe(false);
    expect(existsSync(kernel.connectionFile)).toBe(false);
    expect(existsSync(kernel.logFile)).toBe(false);
    expect(kernel.status).toBe('dead');
    expect(events.filter((e) => e.type === 'status' && e.status === 'dead')).toHaveLength(1);
    await expect(kernel.send({ channel: 'shell', msg_type: 'kernel_info_request', content: {} })).rejects.toThrow(
      /shut down/,
    );
  });

  it('fails to launch with the kernel log in the error when the kernel exits during start', async () => {
    const broken: KernelSpec = {
      ...spec,
      name: 'broken',
      argv: [spec.argv[0]!, '-c', 'import sys; print("boom: no such module", file=sys.stderr); sys.exit(3)'],
    };
    const error = await provider.launch(broken, { cwd: os.tmpdir() }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/exited with code 3 while starting/);
    expect(error?.message).toMatch(/boom: no such module/);
  });

  it('fails to launch with a clear message when argv[0] does not exist', async () => {
    const missing: KernelSpec = { ...spec, name: 'missing', argv: ['/nonexistent/python', '-f', '{connection_file}'] };
    await expect(provider.launch(missing, { cwd: os.tmpdir() })).rejects.toThrow(/Could not start kernel.*ENOENT/);
  });

  it('leaves nothing that keeps Node alive after shutdown or kernel death', async () => {
    // A separate Node process: it must exit on its own once its kernels are gone.
    const script = fileURLToPath(new URL('./exit-check.fixture.ts', import.meta.url));
    const started = Date.now();
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, runtimeDir, JSON.stringify(spec)], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, output });
      });
    });
    expect(output).toContain('kernels gone');
    expect(code, output).toBe(0);
    expect(Date.now() - started).toBeLessThan(40_000);
  });
});
