/**
 * A stalled client (issue #8): a client that stops reading its socket must not slow the
 * others, and must not make the daemon buffer for it without bound — past its cap the daemon
 * cuts it off. Prints one `[slow-client]` summary line (quoted in the README).
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCommStateText } from '../../src-shared/schema/notebook-doc';
import { MiB, memoryOf, sampleRss, startTestDaemon, type TestDaemon } from '../testing/daemon-harness';
import { DaemonConnection } from './daemon-connection';
import { defaultPaths, openSocket, readToken } from './daemon-launcher';
import { QuireClient, type NotebookSession } from './index';

/**
 * Small so the stalled client reaches it in seconds, yet with room for several seconds of the
 * stream below, so the healthy client (in this busy test process) is never near it.
 */
const CAP = MiB / 2;
/**
 * Per tick: 4 KiB of random hex (so it does not compress away) and 20 sliders. A busy
 * daemon coalesces ticks into one doc change keeping the last string only, so the bytes that
 * reach the stalled client follow the daemon's pace, not the kernel's: the stalled phase runs
 * in chunks until the daemon cuts the client off rather than for a fixed number of ticks.
 */
const PAYLOAD_HEX_BYTES = 2048;
const SLIDERS = 20;
const TICK_SLEEP_S = 0.02;
const WARMUP_TICKS = 30;
const BASELINE_TICKS = 150;
const STALL_CHUNK_TICKS = 50;
const STALL_DEADLINE_MS = 45_000;

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon({ env: { QUIRE_MAX_CLIENT_BUFFER_BYTES: String(CAP) } });
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
});

/** An SDK client on a socket we hold, so the test can stop reading it. */
async function clientWithSocket(name: string): Promise<{ client: QuireClient; socket: Socket }> {
  const paths = defaultPaths(daemon.env);
  const socket = await openSocket(paths.socket);
  const connection = await DaemonConnection.handshake(socket, readToken(paths), name);
  return { client: new QuireClient(connection, paths), socket };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;
}

/** Kernel → replica latency of each tick's clock stamp, as seen by `nb`. */
function latencyProbe(nb: NotebookSession, clockId: string) {
  let last = getCommStateText(nb.current, clockId, 'value');
  let samples: { at: number; ms: number }[] = [];
  const off = nb.onChange((doc) => {
    const stamp = getCommStateText(doc, clockId, 'value');
    if (stamp === undefined || stamp === last) return;
    last = stamp;
    const at = Date.now();
    samples.push({ at, ms: at - Number(stamp) });
  });
  return {
    take() {
      const taken = samples;
      samples = [];
      return taken;
    },
    off,
  };
}

const summary = (s: { ms: number }[]) => {
  const sorted = s.map((x) => x.ms).sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
};

describe('a stalled client', () => {
  it('does not slow the healthy client, and is cut off at the buffer cap', async () => {
    const path = daemon.notebook('stall.ipynb');
    const healthyClient = await daemon.client('healthy');
    const healthy = await healthyClient.openNotebook(path);
    const setup = await healthy.execute(
      [
        'import ipywidgets as w, time, secrets',
        `sliders = [w.IntSlider(min=0, max=10**9) for _ in range(${SLIDERS})]`,
        'payload = w.Text()',
        'clock = w.FloatText()',
        'def stream(ticks, base):',
        '    for t in range(base, base + ticks):',
        `        payload.value = secrets.token_hex(${PAYLOAD_HEX_BYTES})`,
        '        for i, s in enumerate(sliders):',
        '            s.value = t * 100 + i',
        '        clock.value = time.time() * 1000',
        `        time.sleep(${TICK_SLEEP_S})`,
      ].join('\n'),
    );
    expect(setup.status, setup.error?.evalue).toBe('ok');
    const clockResult = await healthy.execute('print(clock.model_id)');
    const clockId = String(clockResult.outputs[0]?.text ?? '').trim();

    // The second client reads normally through the first baseline, so that window and the
    // stall have the same peers and differ only in that one of them stops reading.
    const { client: stalledClient, socket: stalledSocket } = await clientWithSocket('stalled');
    const stalled = await stalledClient.openNotebook(path);
    await healthy.confirmSync();
    await stalled.confirmSync();
    expect(stalled.getWidgets().some((w) => w.id === clockId)).toBe(true);

    const pid = (await healthyClient.status()).pid;
    const clientsInRoom = async () => (await healthyClient.status()).rooms.find((r) => r.roomId === healthy.roomId)?.clients;
    expect(await clientsInRoom()).toBe(2);

    const probe = latencyProbe(healthy, clockId);
    let tick = 0;
    const stream = async (ticks: number) => {
      const run = await healthy.execute(`stream(${ticks}, ${tick})`);
      expect(run.status, run.error?.evalue).toBe('ok');
      tick += ticks;
      await healthy.confirmSync();
    };
    // Unmeasured: the first updates pay for JIT warm-up in every process on the path.
    await stream(WARMUP_TICKS);
    probe.take();
    await stream(BASELINE_TICKS);
    const baseline = summary(probe.take());

    stalledSocket.pause();
    const before = memoryOf(pid).rss;
    const rss = sampleRss(pid, 50);
    const stallStart = Date.now();
    let dropped = false;
    while (!dropped && Date.now() - stallStart < STALL_DEADLINE_MS) {
      await stream(STALL_CHUNK_TICKS);
      dropped = (await clientsInRoom()) === 1;
    }
    const stallEnd = Date.now();
    const during = probe.take();
    // The same stream once more, now without the stalled client: a second baseline, taken under
    // whatever else this shared machine is doing by then.
    await stream(BASELINE_TICKS);
    const baselineAfter = summary(probe.take());
    probe.off();

    const log = readFileSync(defaultPaths(daemon.env).log, 'utf8');
    const drop = /^(\S+) warn connection \S+ \(stalled\) dropped: it stopped reading \((\d+) bytes unsent\)$/m.exec(log);
    const droppedAt = drop ? Date.parse(drop[1]!) : Infinity;
    const unsent = drop ? Number(drop[2]) : NaN;
    const after = memoryOf(pid).rss;
    const { peak } = rss.stop();
    const whileStalled = summary(during.filter((s) => s.at <= droppedAt));
    const ms = (x: number) => x.toFixed(1);
    const fig = (x: { p50: number; p95: number; n: number }) => `${ms(x.p50)}/${ms(x.p95)} (n=${x.n})`;
    console.log(
      `[slow-client] kernel→healthy-client latency p50/p95 (ms): before the stall ${fig(baseline)}, ` +
        `while the other client was stalled ${fig(whileStalled)}, after it was cut off ${fig(baselineAfter)}; ` +
        (drop
          ? `stalled client cut off after ${((droppedAt - stallStart) / 1000).toFixed(1)} s with ${(unsent / 1024).toFixed(0)} KiB unsent (cap ${CAP / 1024} KiB); `
          : `the stalled client was NOT cut off within ${STALL_DEADLINE_MS / 1000} s; `) +
        `daemon RSS before/peak/after ${(before / MiB).toFixed(1)}/${(peak / MiB).toFixed(1)}/${(after / MiB).toFixed(1)} MiB`,
    );

    // The daemon cut the stalled client off, said why, and had buffered no more than the cap.
    expect(dropped, 'the room to be down to the healthy client').toBe(true);
    expect(drop, 'a log line saying the stalled client was dropped').not.toBeNull();
    expect(unsent).toBeGreaterThan(0);
    expect(unsent).toBeLessThanOrEqual(CAP);
    expect(droppedAt).toBeGreaterThanOrEqual(stallStart);
    expect(droppedAt).toBeLessThanOrEqual(stallEnd);

    // Once it reads again it finds the connection gone (closed, or EPIPE when its replica
    // answers the sync messages it had not read), not a stream that resumes or garbled frames.
    const disconnected = new Promise<Error>((resolve) => stalledClient.onDisconnect(resolve));
    stalledSocket.resume();
    expect((await disconnected).message).toMatch(/closed|EPIPE|ECONNRESET/);
    expect(stalledClient.connection.isOpen).toBe(false);

    // Enough samples in each window for the comparison to mean something. (Ticks the daemon
    // coalesces into one change give one sample, so a loaded machine yields fewer.)
    for (const window of [baseline, whileStalled, baselineAfter]) expect(window.n).toBeGreaterThanOrEqual(15);
    // A daemon that waited on the stalled socket, or whose work per update grew with the
    // stalled client's backlog, would hold the healthy client's updates back by hundreds of ms
    // or more. Other tenants of this shared 2-core machine (other test files run alongside this
    // one) move these figures by more than the stall should: the reference is the slower of the
    // two windows without the stalled client, and the slack is widest on p95.
    const reference = { p50: Math.max(baseline.p50, baselineAfter.p50), p95: Math.max(baseline.p95, baselineAfter.p95) };
    expect(whileStalled.p50).toBeLessThanOrEqual(3 * reference.p50 + 25);
    expect(whileStalled.p95).toBeLessThanOrEqual(3 * reference.p95 + 150);
    // The cap above is the precise bound. This coarse one catches gross leaks: the growth seen
    // here is 10–25 MiB (the doc's history of random payloads, V8 and wasm arenas), while a
    // daemon that kept, say, a doc copy (≥ 1 MiB here: its history holds the payloads) per
    // message sent to the stalled client would pass 64 MiB long before the ~200 it was sent.
    expect(peak - before).toBeLessThan(64 * MiB);

    // The healthy replica ended on the kernel's last values.
    const values = healthy
      .getWidgets()
      .filter((w) => w.modelName === 'IntSliderModel')
      .map((w) => w.state.value);
    expect(values).toEqual(Array.from({ length: SLIDERS }, (_, i) => (tick - 1) * 100 + i));
  }, 120_000);
});
