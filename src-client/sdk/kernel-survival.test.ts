/**
 * Kernels outlive a daemon crash: the next daemon re-adopts them from their records, so the
 * kernel's variables and its widgets are still live; dead or foreign records are cleaned up,
 * unclaimed survivors are shut down, and a clean `quire stop` leaves no kernel process behind.
 * Real daemon processes, real ipykernel, real /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NotebookSession } from './notebook-session';
import { processAlive } from '../../src-shared/node/process-alive';
import { readSnapshotsIn } from '../../src-shared/node/recovery-snapshot';
import { getComms } from '../../src-shared/schema/notebook-doc';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import { heldCell } from '../testing/held-cell';

const daemons: TestDaemon[] = [];
const homes: string[] = [];
/** Every kernel pid a test saw: killed in afterAll if a failed test left it running. */
const kernelPids = new Set<number>();

afterAll(async () => {
  for (const d of daemons) await d.stop();
  for (const pid of kernelPids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

const recordsDir = (home: string) => join(home, 'kernels');
function records(home: string): { kernelId: string; pid: number; owner: { notebookPath: string } }[] {
  if (!existsSync(recordsDir(home))) return [];
  return readdirSync(recordsDir(home))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(recordsDir(home), f), 'utf8')));
}

/** A daemon whose home outlives it, for the daemon that re-adopts its kernels. */
async function firstDaemon(): Promise<TestDaemon> {
  const d = await startTestDaemon({ keepHome: true });
  daemons.push(d);
  homes.push(d.home);
  return d;
}

async function killHard(d: TestDaemon): Promise<void> {
  d.process.kill('SIGKILL');
  await waitFor(() => d.process.exitCode !== null || d.process.signalCode !== null, 'the daemon to die');
}

async function printed(nb: NotebookSession, code: string): Promise<string> {
  const result = await nb.execute(code);
  expect(result.status, JSON.stringify(result.error)).toBe('ok');
  return result.outputs.map((o) => String(o.text ?? '')).join('').trim();
}

const slider = (nb: NotebookSession) => nb.getWidgets().find((w) => w.modelName === 'IntSliderModel');

describe('kernels outlive a daemon crash', () => {
  it('a new daemon re-adopts the running kernel: variables stay, widgets stay live both ways, quire stop ends it', async () => {
    const first = await firstDaemon();
    const path = first.notebook('survive.ipynb', [{ source: 'x = 41' }]);
    const nb = await (await first.client('before')).openNotebook(path);
    await nb.execute('x = 41\nimport ipywidgets as w\nslider = w.IntSlider(value=3)\ndisplay(slider)');
    await nb.confirmSync();
    expect(slider(nb)?.state.value).toBe(3);

    const [record] = records(first.home);
    expect(record?.owner.notebookPath).toBe(path);
    const pid = record!.pid;
    kernelPids.add(pid);
    expect((await (await first.client()).status()).rooms[0]?.kernel?.pid).toBe(pid);
    // It holds the connection key.
    expect(statSync(join(recordsDir(first.home), `${record!.kernelId}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(recordsDir(first.home)).mode & 0o777).toBe(0o700);

    await waitFor(
      () => readSnapshotsIn(first.home).some((doc) => getComms(doc).some((c) => c.modelName === 'IntSliderModel' && c.state.value === 3)),
      'the recovery snapshot to have the slider at 3',
      10_000,
    );
    // Changed right before the crash: the snapshot cannot have it, only the kernel can tell.
    await nb.execute('slider.value = 5');
    await killHard(first);
    await new Promise((r) => setTimeout(r, 500));
    expect(processAlive(pid), 'the kernel must survive a SIGKILLed daemon').toBe(true);

    const second = await startTestDaemon({ home: first.home, keepHome: true });
    daemons.push(second);
    const client = await second.client('after');
    const again = await client.openNotebook(path);
    // Same process, not a restarted kernel: x is still there.
    expect(await printed(again, 'print(x + 1)')).toBe('42');
    expect((await client.status()).rooms.find((r) => r.path === path)?.kernel?.pid).toBe(pid);

    // The slider is live, with the value the kernel had (not the snapshot's 3).
    await waitFor(async () => {
      await again.confirmSync();
      return slider(again)?.state.value === 5;
    }, 'the slider with its pre-crash value 5');
    const id = slider(again)!.id;

    // window → kernel
    again.updateWidget(id, { value: 7 });
    await again.confirmSent();
    await waitFor(async () => (await printed(again, 'print(slider.value)')) === '7', 'the client update to reach the kernel');

    // kernel → doc
    await again.execute('slider.value = 9');
    await waitFor(async () => {
      await again.confirmSync();
      return slider(again)?.state.value === 9;
    }, 'the kernel update to reach the doc');

    // A clean stop shuts the kernel down and removes its record.
    const stop = await second.cli(['stop']);
    expect(stop.code, stop.stderr).toBe(0);
    await waitFor(() => second.process.exitCode !== null, 'the daemon to stop');
    await waitFor(() => !processAlive(pid), 'quire stop to end the kernel', 15_000);
    expect(records(first.home)).toEqual([]);
  }, 180_000);

  it('a kernel re-adopted in the middle of a cell shows busy until the cell ends', async () => {
    const first = await firstDaemon();
    const path = first.notebook('busy-survive.ipynb', [{ source: '' }]);
    const nb = await (await first.client('before')).openNotebook(path);
    await nb.execute('1');
    const [record] = records(first.home);
    kernelPids.add(record!.pid);
    const cell = heldCell(first.home);
    nb.execute(cell.code).catch(() => {}); // rejected when the daemon dies
    await waitFor(async () => {
      await nb.confirmSync();
      return nb.getKernel().status === 'busy';
    }, 'the cell to run');
    await killHard(first);

    const second = await startTestDaemon({ home: first.home, keepHome: true });
    daemons.push(second);
    const again = await (await second.client('after')).openNotebook(path);
    const status = async () => {
      await again.confirmSync();
      return again.getKernel().status;
    };
    await waitFor(async () => (await status()) === 'busy', 'the re-adopted kernel to show busy', 8_000);
    expect((await second.client('status').then((c) => c.status())).rooms[0]?.kernel?.pid).toBe(record!.pid);
    await new Promise((r) => setTimeout(r, 1500)); // past the 1 s probe: still busy, the cell has not ended
    expect(await status()).toBe('busy');
    cell.release();
    await waitFor(async () => (await status()) === 'idle', 'idle once the cell ends', 30_000);
    expect(await printed(again, 'print(1)')).toBe('1');
  }, 120_000);

  it('dead and foreign records are removed without signalling anyone; an unclaimed survivor is shut down after the orphan timeout', async () => {
    const first = await firstDaemon();
    const path = first.notebook('orphan.ipynb', [{ source: 'y = 1' }]);
    const nb = await (await first.client()).openNotebook(path);
    await nb.execute('y = 1');
    const [real] = records(first.home);
    const kernelPid = real!.pid;
    kernelPids.add(kernelPid);
    await killHard(first);
    expect(processAlive(kernelPid)).toBe(true);

    // A record whose process is gone, and one whose pid now belongs to another process
    // (a bystander with a different start time): the first is cleaned up, the second must
    // not be signalled.
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    const bystander = spawn('sleep', ['120'], { stdio: 'ignore' });
    kernelPids.add(bystander.pid!);
    const fake = (kernelId: string, pid: number) => ({
      ...JSON.parse(readFileSync(join(recordsDir(first.home), `${real!.kernelId}.json`), 'utf8')),
      kernelId,
      pid,
      startTime: '1',
      owner: { roomId: `fake-${kernelId}`, notebookPath: `/nowhere/${kernelId}.ipynb` },
    });
    const goneId = '00000000-0000-4000-8000-000000000001';
    const foreignId = '00000000-0000-4000-8000-000000000002';
    writeFileSync(join(recordsDir(first.home), `${goneId}.json`), JSON.stringify(fake(goneId, gone.pid!)), { mode: 0o600 });
    writeFileSync(join(recordsDir(first.home), `${foreignId}.json`), JSON.stringify(fake(foreignId, bystander.pid!)), { mode: 0o600 });

    const second = await startTestDaemon({ home: first.home, keepHome: true, env: { QUIRE_ORPHAN_KERNEL_MS: '3000' } });
    daemons.push(second);
    await waitFor(() => records(first.home).every((r) => r.kernelId === real!.kernelId), 'the dead and foreign records to go');
    expect(processAlive(bystander.pid!), 'a reused pid must never be signalled').toBe(true);
    bystander.kill('SIGKILL');

    // Nobody reopens orphan.ipynb: the survivor is shut down once the orphan timeout passes.
    await waitFor(() => !processAlive(kernelPid), 'the unclaimed kernel to be shut down', 30_000);
    await waitFor(() => records(first.home).length === 0, 'its record to go');
    const log = readFileSync(join(first.home, 'daemon.log'), 'utf8');
    expect(log).toContain('was not reopened within 3 s');
  }, 120_000);
});
