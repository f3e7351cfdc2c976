/**
 * Bad input and faults: a misbehaving connection is closed with a clear error and
 * everyone else keeps working; notebooks round-trip; dead kernels are reported.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJsonPayload, encodeFrame, encodeJsonFrame, FrameDecoder, FrameKind } from '../../src-shared/protocol/frames';
import { PROTOCOL_MAGIC, PROTOCOL_VERSION } from '../../src-shared/protocol/messages';
import { defaultPaths, readToken } from './daemon-launcher';
import { REPO_ROOT, startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import { connect, type NotebookSession } from './index';

let daemon: TestDaemon;
let healthy: NotebookSession;

beforeAll(async () => {
  daemon = await startTestDaemon();
  healthy = await (await daemon.client('healthy')).openNotebook(daemon.notebook('healthy.ipynb'));
  await healthy.execute('import ipywidgets as w\ns = w.IntSlider()');
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
});

/** Sends raw bytes on a fresh socket; resolves with the error frame (if any) once the daemon closes it. */
function rawExchange(bytes: Uint8Array[]): Promise<{ error: { code: string; message: string } | null }> {
  const paths = defaultPaths(daemon.env);
  return new Promise((resolve, reject) => {
    const socket: Socket = netConnect(paths.socket);
    const decoder = new FrameDecoder();
    let error: { code: string; message: string } | null = null;
    socket.on('data', (chunk) => {
      for (const f of decoder.push(new Uint8Array(chunk))) {
        if (f.kind === FrameKind.Error) error = decodeJsonPayload(f) as typeof error;
      }
    });
    socket.on('close', () => resolve({ error }));
    socket.on('error', reject);
    socket.on('connect', () => bytes.forEach((b) => socket.write(b)));
    setTimeout(() => reject(new Error('daemon did not close the bad connection')), 10_000).unref();
  });
}

async function stillHealthy(): Promise<void> {
  const result = await healthy.execute('s.value += 1\nprint(s.value)');
  expect(result.status).toBe('ok');
  await healthy.confirmSync();
}

const hello = (token: string, protocol = PROTOCOL_VERSION) =>
  encodeJsonFrame(FrameKind.Hello, { magic: PROTOCOL_MAGIC, protocol, token });

describe('bad connections are refused; the daemon keeps serving', () => {
  it('a wrong token', async () => {
    const { error } = await rawExchange([hello('not-the-token')]);
    expect(error?.code).toBe('bad-token');
    await stillHealthy();
  });

  it('the SDK reports a wrong token clearly', async () => {
    const paths = defaultPaths(daemon.env);
    const socket = await new Promise<Socket>((r) => {
      const s = netConnect(paths.socket, () => r(s));
    });
    const { DaemonConnection } = await import('./daemon-connection');
    await expect(DaemonConnection.handshake(socket, 'wrong', 'test')).rejects.toThrow(/authentication failed/);
  });

  it('a protocol version mismatch', async () => {
    const { error } = await rawExchange([hello(readToken(defaultPaths(daemon.env)), 999)]);
    expect(error?.code).toBe('protocol-mismatch');
    expect(error?.message).toMatch(/protocol 999/);
  });

  it('random bytes, an oversized length prefix, an unknown kind, a request before hello', async () => {
    const cases: [string, Uint8Array[]][] = [
      ['random', [new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff))]],
      ['oversized', [new Uint8Array([0xff, 0xff, 0xff, 0xff, FrameKind.Sync])]],
      ['unknown kind', [new Uint8Array([0, 0, 0, 1, 99])]],
      ['request first', [encodeJsonFrame(FrameKind.Request, { id: 1, method: 'status', params: {} })]],
    ];
    for (const [name, bytes] of cases) {
      const { error } = await rawExchange(bytes);
      expect(error, name).not.toBeNull();
    }
    await stillHealthy();
  });

  it('valid hello, then malformed JSON, bad sync bytes and an unknown room', async () => {
    const token = readToken(defaultPaths(daemon.env));
    const badJson = await rawExchange([hello(token), encodeFrame(FrameKind.Request, new TextEncoder().encode('{nope'))]);
    expect(badJson.error?.code).toBe('bad-json');
    const unknownRoom = await rawExchange([
      hello(token),
      encodeFrame(FrameKind.Sync, new Uint8Array([0, 4, 0x61, 0x62, 0x63, 0x64, 1, 2, 3])),
    ]);
    expect(unknownRoom.error?.code).toBe('unknown-room');
    // Garbage Automerge sync bytes for a room this connection did open.
    const client = await connect({ env: daemon.env, autostart: false });
    const { roomId } = await client.connection.request('open', { path: healthy.path });
    const closed = new Promise<Error>((r) => client.onDisconnect(r));
    client.connection.sendSync(roomId, new Uint8Array([0x42, 0xff, 0x00, 0x13]));
    expect((await closed).message).toMatch(/sync message rejected/);
    await stillHealthy();
  });

  it('requests with wrong types get an error response, and the connection stays open', async () => {
    const client = await daemon.client('typos');
    await expect(client.connection.request('open', { path: 42 } as never)).rejects.toThrow(/open: path/);
    await expect(client.connection.request('nope' as never, {} as never)).rejects.toThrow(/unknown request method/);
    await expect(client.connection.request('execute', { roomId: 'x', code: '1' })).rejects.toThrow(/not open/);
    expect((await client.status()).pid).toBeGreaterThan(0);
  });
});

describe('notebook files', () => {
  it('a notebook saved by JupyterLab round-trips byte-stably through the daemon', async () => {
    const path = join(daemon.home, 'jupyterlab.ipynb');
    copyFileSync(join(REPO_ROOT, 'src-shared', 'ipynb', 'fixtures', 'jupyterlab-widgets.ipynb'), path);
    const original = readFileSync(path);
    const nb = await (await daemon.client('lab')).openNotebook(path);
    expect(nb.getWidgets().map((w) => w.modelName).sort()).toEqual(['IntSliderModel', 'LayoutModel', 'SliderStyleModel']);
    await nb.save();
    expect(readFileSync(path).equals(original)).toBe(true);
  });
});

describe('kernel death', () => {
  it('a killed kernel shows as dead, its widgets leave the doc, and the next execution starts a new one', async () => {
    const nb = await (await daemon.client('victim')).openNotebook(daemon.notebook('dies.ipynb'));
    const pid = (await nb.execute('import os, ipywidgets as w\ns = w.IntSlider()\nprint(os.getpid())')).outputs[0]!.text;
    await nb.confirmSync();
    expect(nb.getWidgets()).toHaveLength(3);
    process.kill(Number(String(pid).trim()), 'SIGKILL');
    await waitFor(async () => {
      await nb.confirmSync();
      return nb.getKernel().status === 'dead';
    }, 'the kernel to be reported dead');
    expect(nb.getKernel().error).toBeTruthy();
    expect(nb.getWidgets()).toEqual([]);
    const again = await nb.execute('print("back")');
    expect(again.outputs[0]?.text).toBe('back\n');
    await stillHealthy();
  });
});
