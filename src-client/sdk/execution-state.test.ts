/**
 * What every client sees of executions on a real kernel: run timing, the queue when the
 * kernel dies or restarts, stdin (input()) answered by the client that asked, and the kernel
 * picker.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broadcast } from '../../src-shared/protocol/messages';
import { REPO_ROOT, startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import { heldCell } from '../testing/held-cell';
import { DaemonError, type InputRequest, type NotebookSession } from './index';

let daemon: TestDaemon;
let prefix: string;

const ALT_KERNEL = 'quire-test-alt';

beforeAll(async () => {
  // A second kernelspec (the same ipykernel, another name) for the kernel picker.
  prefix = mkdtempSync(join(tmpdir(), 'quire-kernels-'));
  const dir = join(prefix, 'share', 'jupyter', 'kernels', ALT_KERNEL);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kernel.json'),
    JSON.stringify({
      argv: [join(REPO_ROOT, '.venv', 'bin', 'python'), '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Alt Python (test)',
      language: 'python',
      interrupt_mode: 'message', // interrupt_request on control, which ipykernel answers with a busy/idle of its own
      env: { QUIRE_ALT_KERNEL: 'yes' },
    }),
  );
  daemon = await startTestDaemon({ env: { QUIRE_AUTOSAVE_MS: '0', QUIRE_KERNEL_PREFIXES: prefix } });
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

async function open(name: string, cells: { source: string }[], client = 'a'): Promise<NotebookSession> {
  return (await daemon.client(client)).openNotebook(daemon.notebook(name, cells));
}

async function settled(nb: NotebookSession, what: string, check: () => boolean): Promise<void> {
  await waitFor(async () => {
    await nb.confirmSync();
    return check();
  }, what);
}

const text = (outputs: Record<string, unknown>[]) => outputs.map((o) => String(o.text ?? '')).join('');

describe('run timing', () => {
  it('lastRun records start, duration and status, visible to another client', async () => {
    const held = heldCell(daemon.home);
    const a = await open('timing.ipynb', [{ source: held.code }, { source: '1/0' }]);
    const b = await (await daemon.client('b')).openNotebook(a.path);
    const [slow, failing] = a.getCells();
    const t0 = Date.now();
    const run = a.execute({ cellId: slow!.id });
    await settled(b, 'the cell to be running with a start time', () => b.getCells()[0]?.lastRun?.status === null);
    expect(b.getCells()[0]).toMatchObject({ run: 'running', lastRun: { durationMs: null, status: null } });
    await new Promise((r) => setTimeout(r, 1500));
    held.release();
    await run;
    const t1 = Date.now();
    await b.confirmSync();
    const last = b.getCells()[0]!.lastRun!;
    expect(last.status).toBe('ok');
    expect(last.startedAt).toBeGreaterThanOrEqual(t0);
    expect(last.startedAt).toBeLessThanOrEqual(t1);
    expect(last.durationMs).toBeGreaterThanOrEqual(1400);
    expect(last.durationMs).toBeLessThanOrEqual(t1 - t0);

    await a.execute({ cellId: failing!.id });
    await b.confirmSync();
    expect(b.getCells()[1]).toMatchObject({ run: 'idle', lastRun: { status: 'error' } });
  });

  it('when the kernel dies, the running cell and the queue are aborted', async () => {
    const a = await open('dies.ipynb', [{ source: 'import os, time\ntime.sleep(0.5)\nos._exit(1)' }, { source: 'print(2)' }, { source: 'print(3)' }]);
    const ids = a.getCells().map((c) => c.id);
    const results = ids.map((cellId) => a.execute({ cellId }));
    await settled(a, 'the queue', () => a.getCells()[2]?.run === 'queued');
    const done = await Promise.all(results);
    expect(done.map((r) => r.status)).toEqual(['aborted', 'aborted', 'aborted']);
    await settled(a, 'every cell idle', () => a.getCells().every((c) => c.run === 'idle'));
    const [first, second, third] = a.getCells();
    expect(first!.lastRun).toMatchObject({ status: 'aborted' });
    expect(first!.lastRun!.durationMs).toBeGreaterThanOrEqual(400);
    for (const queued of [second!, third!]) expect(queued.lastRun).toMatchObject({ status: 'aborted', durationMs: null });
    expect(a.getKernel().status).toBe('dead');
  });

  it('a restart aborts the running cell and the queue', async () => {
    const a = await open('restart-queue.ipynb', [{ source: 'import time\ntime.sleep(30)' }, { source: 'print(2)' }]);
    const ids = a.getCells().map((c) => c.id);
    const results = ids.map((cellId) => a.execute({ cellId }));
    await settled(a, 'the first cell to run', () => a.getCells()[0]?.run === 'running');
    await a.restart();
    expect((await Promise.all(results)).map((r) => r.status)).toEqual(['aborted', 'aborted']);
    await settled(a, 'every cell idle', () => a.getCells().every((c) => c.run === 'idle'));
    expect(a.getCells().map((c) => c.lastRun?.status)).toEqual(['aborted', 'aborted']);
    expect(a.getCells()[1]!.lastRun!.durationMs).toBeNull();
  });
});

describe('stdin', () => {
  it("input() in a cell is answered by the client that ran it; the answer is in the cell's output", async () => {
    const a = await open('input.ipynb', [{ source: "name = input('name? ')\nprint('hello', name)" }]);
    const bClient = await daemon.client('b');
    const b = await bClient.openNotebook(a.path);
    const seenByB: Broadcast[] = [];
    const offB = bClient.connection.onBroadcast((e) => seenByB.push(e));
    const asked: InputRequest[] = [];
    const cellId = a.getCells()[0]!.id;
    const result = await a.execute({ cellId }, { onInput: (req) => (asked.push(req), 'Ada') });
    expect(result.status).toBe('ok');
    expect(asked).toEqual([{ requestId: expect.any(Number), cellId, prompt: 'name? ', password: false }]);
    await b.confirmSync();
    expect(text(b.getCells()[0]!.outputs)).toContain('hello Ada');
    // b hears the room's broadcasts (kernel status) but not the input request meant for a.
    expect(seenByB.some((e) => e.event === 'kernel-status')).toBe(true);
    expect(seenByB.some((e) => e.event === 'input-request')).toBe(false);
    offB();
  });

  it('code can ask twice; getpass is flagged as a password; onInputRequest + replyInput answer too', async () => {
    const a = await open('input-listener.ipynb', []);
    const off = a.onInputRequest((req) => void a.replyInput(req.password ? 's3cret' : 'Grace'));
    const outputs: Record<string, unknown>[] = [];
    const result = await a.execute(
      "import getpass\nwho = input('who? ')\npw = getpass.getpass('pw: ')\nprint(who, len(pw))",
      { allowStdin: true, onOutput: (o) => outputs.push(o) },
    );
    off();
    expect(result.status).toBe('ok');
    expect(text(result.outputs)).toContain('Grace 6');
    expect(text(outputs)).toContain('Grace 6');
  });

  it('without allowStdin, input() fails in the kernel instead of waiting', async () => {
    const a = await open('no-stdin.ipynb', []);
    const result = await a.execute("input('x? ')");
    expect(result.status).toBe('error');
    expect(result.error?.ename).toBe('StdinNotImplementedError');
  });

  it('inputReply with nothing pending is refused with a clear code', async () => {
    const a = await open('no-pending.ipynb', []);
    await expect(a.replyInput('x')).rejects.toMatchObject({ code: 'no-input-pending' });
    await expect(a.replyInput('x')).rejects.toBeInstanceOf(DaemonError);
  });

  it('when the asking client disconnects, the kernel is interrupted and the cell ends with KeyboardInterrupt', async () => {
    const asker = await daemon.client('asker');
    const path = daemon.notebook('abandoned.ipynb', [{ source: "v = input('never answered? ')" }, { source: 'print("after")' }]);
    const a = await asker.openNotebook(path);
    const watcher = await (await daemon.client('watcher')).openNotebook(path);
    const [cell, next] = a.getCells();
    let asked!: () => void;
    const wasAsked = new Promise<void>((r) => (asked = r));
    const pending = a.execute({ cellId: cell!.id }, { onInput: () => (asked(), new Promise<string>(() => {})) });
    pending.catch(() => {}); // rejected when the connection closes
    await wasAsked;
    asker.connection.close();
    await settled(watcher, 'the cell to end', () => watcher.getCells()[0]?.run === 'idle');
    const ended = watcher.getCells()[0]!;
    expect(ended.outputs[0]).toMatchObject({ output_type: 'error', ename: 'KeyboardInterrupt' });
    expect(ended.lastRun?.status).toBe('error');
    // The kernel is free again.
    expect((await watcher.execute({ cellId: next!.id })).status).toBe('ok');
  });
});

describe('kernel status', () => {
  it("stays busy in every client while a cell outlives an interrupt: the interrupt's own idle does not count", async () => {
    const held = heldCell(daemon.home);
    const a = await open('status-busy.ipynb', [
      { source: `import time\ntry:\n    print("sleeping", flush=True)\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    ${held.code}\nprint("done")` },
    ]);
    await a.setKernel(ALT_KERNEL);
    const b = await (await daemon.client('b')).openNotebook(a.path);
    const run = a.execute({ cellId: a.getCells()[0]!.id });
    // Inside the try: an interrupt that lands before it (under load) would end the cell instead.
    await settled(b, 'the cell to be sleeping', () => text(b.getCells()[0]!.outputs) === 'sleeping\n');
    expect(b.getKernel().status).toBe('busy');
    await a.interrupt();
    await new Promise((r) => setTimeout(r, 300)); // the interrupt's busy/idle pair has reached the daemon
    await b.confirmSync();
    expect(b.getKernel().status).toBe('busy');
    held.release();
    expect((await run).status).toBe('ok');
    await settled(b, 'the kernel to be idle', () => b.getKernel().status === 'idle');
    expect(text(b.getCells()[0]!.outputs)).toBe('sleeping\ndone\n');
  });
});

describe('kernel picker', () => {
  it('setKernel shuts the running kernel down, records the kernelspec, and the next run starts the chosen kernel', async () => {
    const a = await open('picker.ipynb', [{ source: 'import os\nprint(os.environ.get("QUIRE_ALT_KERNEL"))' }]);
    const b = await (await daemon.client('b')).openNotebook(a.path);
    const specs = (await (await daemon.client('specs')).kernelspecs()).specs;
    expect(specs.map((s) => s.name)).toContain(ALT_KERNEL);
    const cellId = a.getCells()[0]!.id;
    await a.execute({ cellId });
    await a.execute('import ipywidgets as w\ns = w.IntSlider()');
    await b.confirmSync();
    expect(b.getWidgets().length).toBeGreaterThan(0);
    expect(b.getKernel().name).toBe('python3');

    const chosen = await a.setKernel(ALT_KERNEL);
    expect(chosen).toEqual({ name: ALT_KERNEL, displayName: 'Alt Python (test)', language: 'python', shutdown: true });
    await settled(b, 'the choice in the doc', () => b.getKernel().name === ALT_KERNEL);
    expect(b.getKernel()).toMatchObject({ name: ALT_KERNEL, displayName: 'Alt Python (test)', status: 'unknown' });
    expect(b.getWidgets()).toEqual([]);
    expect(b.isDirty()).toBe(true);

    await a.execute({ cellId });
    await b.confirmSync();
    expect(text(b.getCells()[0]!.outputs)).toBe('yes\n');
    await a.save();
    const saved = JSON.parse((await import('node:fs')).readFileSync(a.path, 'utf8')) as { metadata: { kernelspec: unknown } };
    expect(saved.metadata.kernelspec).toEqual({ name: ALT_KERNEL, display_name: 'Alt Python (test)', language: 'python' });

    // Choosing the kernel that runs keeps it running.
    expect((await a.setKernel(ALT_KERNEL)).shutdown).toBe(false);
    expect(text((await a.execute('import os\nprint(os.environ.get("QUIRE_ALT_KERNEL"))')).outputs)).toBe('yes\n');
  });

  it('an unknown kernel name is refused, naming the installed ones', async () => {
    const a = await open('picker-bad.ipynb', []);
    const err = await a.setKernel('no-such-kernel').catch((e: DaemonError) => e);
    expect(err).toMatchObject({ code: 'no-kernelspec' });
    expect((err as Error).message).toMatch(/no-such-kernel.*python3/);
  });
});
