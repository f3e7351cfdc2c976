/**
 * Load (issue #8): 20 clients — each its own connection and replica — on one notebook with
 * 200 sliders, while the kernel streams updates and half the clients write sliders of their
 * own. Every replica must end identical to the daemon's doc, every client write must reach
 * the kernel, and the daemon's memory must not grow with the number of updates.
 * Prints one `[load]` summary line (quoted in the README's reliability section).
 */
import * as A from '@automerge/automerge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCommStateText } from '../../src-shared/schema/notebook-doc';
import { cpuMsOf, MiB, memoryOf, sampleRss, startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import type { NotebookSession, QuireClient } from './index';

const CLIENTS = 20;
const WIDGETS = 200;
/** Clients that write while the kernel streams; each owns sliders the kernel never sets, so the final value of each is known. */
const WRITERS = 10;
const OWNED = 2;
const KERNEL_OWNED = WIDGETS - WRITERS * OWNED;
/**
 * Sized for a shared 2-core machine: all 20 replicas live in this test process, and each
 * applies every changed value (~0.1 ms apiece in Automerge), so 20 × the updates below is the
 * test's real cost.
 */
const ROUNDS = 20;
const WRITE_EVERY_MS = 500;

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon();
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
});

async function kernelJson<T>(nb: NotebookSession, expr: string): Promise<T> {
  const result = await nb.execute(`import json\nprint(json.dumps(${expr}))`);
  expect(result.status, result.error?.evalue).toBe('ok');
  return JSON.parse(result.outputs.map((o) => String(o.text ?? '')).join('')) as T;
}

const sortedHeads = (heads: readonly string[]) => [...heads].sort();
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

describe('load', () => {
  it(`${CLIENTS} replicas converge on the daemon's doc under a stream of kernel updates and client writes`, async () => {
    const path = daemon.notebook('load.ipynb');
    const clients: QuireClient[] = [await daemon.client('load-0')];
    const driver = await clients[0]!.openNotebook(path);
    const setup = await driver.execute(
      [
        'import ipywidgets as w, time',
        `sliders = [w.IntSlider(min=0, max=10**9) for _ in range(${WIDGETS})]`,
        'clock = w.FloatText()',
        'def tick(r):',
        `    for i, s in enumerate(sliders[:${KERNEL_OWNED}]):`,
        '        s.value = r * 1000 + i',
        // Set last, so a replica that shows this value has received the whole round.
        '    clock.value = time.time() * 1000',
      ].join('\n'),
    );
    expect(setup.status, setup.error?.evalue).toBe('ok');
    const ids = await kernelJson<string[]>(driver, '[s.model_id for s in sliders]');
    const clockId = await kernelJson<string>(driver, 'clock.model_id');

    // The others join a notebook whose widgets already exist: each gets them in its first sync.
    const joinStart = performance.now();
    const joiners = await Promise.all(
      Array.from({ length: CLIENTS - 1 }, async (_, i) => {
        const client = await daemon.client(`load-${i + 1}`);
        return { client, nb: await client.openNotebook(path) };
      }),
    );
    const joinMs = performance.now() - joinStart;
    clients.push(...joiners.map((j) => j.client));
    const sessions = [driver, ...joiners.map((j) => j.nb)];
    for (const nb of sessions) expect(nb.getWidgets().filter((w) => w.modelName === 'IntSliderModel')).toHaveLength(WIDGETS);

    const pid = (await clients[0]!.status()).pid;
    const before = memoryOf(pid).rss;
    const rss = sampleRss(pid);

    // Lag: how long after the kernel stamped a round each replica holds it.
    const lastClock = sessions.map((nb) => getCommStateText(nb.current, clockId, 'value'));
    const lags: number[][] = sessions.map(() => []);
    const offs = sessions.map((nb, i) =>
      nb.onChange((doc) => {
        const stamp = getCommStateText(doc, clockId, 'value');
        if (stamp === undefined || stamp === lastClock[i]) return;
        lastClock[i] = stamp;
        lags[i]!.push(Date.now() - Number(stamp));
      }),
    );

    const lastWritten = new Map<string, number>();
    let writes = 0;
    const writerSessions = sessions.slice(1, 1 + WRITERS);
    const timers = writerSessions.map((nb, k) => {
      const mine = ids.slice(KERNEL_OWNED + k * OWNED, KERNEL_OWNED + (k + 1) * OWNED);
      let n = 0;
      return setInterval(() => {
        n++;
        const id = mine[n % OWNED]!;
        nb.updateWidget(id, { value: n });
        lastWritten.set(id, n);
        writes++;
      }, WRITE_EVERY_MS);
    });

    // One execute per round, so the client writes queued at the kernel (shell channel) are
    // applied between rounds, interleaved with the stream rather than after it.
    const daemonCpu0 = cpuMsOf(pid);
    const testCpu0 = process.cpuUsage();
    const streamStart = performance.now();
    for (let r = 1; r <= ROUNDS; r++) {
      const result = await driver.execute(`tick(${r})`);
      expect(result.status, result.error?.evalue).toBe('ok');
    }
    const kernelStopped = performance.now();
    for (const t of timers) clearInterval(t);
    await Promise.all(sessions.map((s) => s.confirmSync()));
    const convergeMs = performance.now() - kernelStopped;
    const daemonCpuMs = cpuMsOf(pid) - daemonCpu0;
    const testCpu = process.cpuUsage(testCpu0);
    const testCpuMs = (testCpu.user + testCpu.system) / 1000;
    const wallMs = kernelStopped - streamStart;

    // The clients' writes reached the kernel (read there, not from any replica).
    expect(lastWritten.size, 'every writer wrote each of its sliders').toBe(WRITERS * OWNED);
    await Promise.all(writerSessions.map((s) => s.confirmSent()));
    const expected = ids.map((id, i) => (i < KERNEL_OWNED ? ROUNDS * 1000 + i : (lastWritten.get(id) ?? 0)));
    let inKernel: number[] = [];
    await waitFor(
      async () => {
        inKernel = await kernelJson<number[]>(driver, '[s.value for s in sliders]');
        return JSON.stringify(inKernel) === JSON.stringify(expected);
      },
      'the kernel to hold every client write',
      30_000,
    ).catch(() => undefined);
    expect(inKernel).toEqual(expected);

    // Every replica holds exactly the daemon's doc: same heads, hence the same state.
    let daemonHeads: string[] = [];
    await waitFor(
      async () => {
        await Promise.all(sessions.map((s) => s.confirmSync()));
        daemonHeads = sortedHeads((await clients[0]!.connection.request('heads', { roomId: driver.roomId })).heads);
        return sessions.every((s) => JSON.stringify(sortedHeads(A.getHeads(s.current))) === JSON.stringify(daemonHeads));
      },
      'every replica to hold exactly the daemon heads',
      30_000,
    ).catch(() => undefined);
    for (const [i, nb] of sessions.entries()) expect(sortedHeads(A.getHeads(nb.current)), `client ${i}`).toEqual(daemonHeads);
    const reference = driver.getWidgets();
    const valueOf = new Map(reference.map((w) => [w.id, w.state.value]));
    expect(ids.map((id) => valueOf.get(id))).toEqual(expected);
    for (const [i, nb] of sessions.entries()) expect(nb.getWidgets(), `client ${i}`).toEqual(reference);
    for (const off of offs) off();

    const after = memoryOf(pid).rss;
    const { peak } = rss.stop();
    const kernelUpdates = ROUNDS * (KERNEL_OWNED + 1);
    const updates = kernelUpdates + writes;
    const perClientMaxLag = lags.map((l) => Math.max(0, ...l));
    const allLags = lags.flat().sort((a, b) => a - b);
    const p95Lag = allLags[Math.floor(allLags.length * 0.95)] ?? 0;
    const changes = A.getAllChanges(driver.current).length;
    const saved = A.save(driver.current).length;
    console.log(
      `[load] ${CLIENTS} clients, ${WIDGETS} sliders (${reference.length} comms): ${updates} updates ` +
        `(${kernelUpdates} from the kernel in ${ROUNDS} rounds + ${writes} client writes) in ${(wallMs / 1000).toFixed(1)} s = ` +
        `${Math.round(updates / (wallMs / 1000))} updates/s; all replicas converged ${Math.round(convergeMs)} ms after the kernel stopped; ` +
        `kernel→replica lag p95 ${Math.round(p95Lag)} ms, max per client ${Math.round(Math.min(...perClientMaxLag))}–${Math.round(Math.max(...perClientMaxLag))} ms; ` +
        `CPU over the stream: daemon ${(daemonCpuMs / 1000).toFixed(1)} s, the 20 replicas (one test process) ${(testCpuMs / 1000).toFixed(1)} s; ` +
        `${CLIENTS - 1} clients joined the ${reference.length}-comm doc in ${Math.round(joinMs)} ms; ` +
        `daemon RSS before/peak/after ${mib(before)}/${mib(peak)}/${mib(after)} MiB; doc ${changes} changes, ${(saved / 1024).toFixed(0)} KiB saved`,
    );
    // Every replica saw the stream live, not only at the end.
    for (const l of lags) expect(l.length).toBeGreaterThan(ROUNDS / 4);

    // Growth measured over this run is 8–17 MiB (V8 heap, and the wasm arena, which never
    // shrinks). A daemon keeping a copy of the doc (~40 KiB saved) per kernel update grows by
    // ~130 MiB and fails here (tried, by planting that leak in the comm bridge). Smaller leaks —
    // a copy per doc change the daemon commits (~50 here), 100 bytes per update per peer
    // (~7 MiB) — are below what RSS can show in a run this short.
    expect(after - before).toBeLessThan(64 * MiB);
  }, 180_000);
});
