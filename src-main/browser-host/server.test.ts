/**
 * The browser host's HTTP + WebSocket edge, against a real daemon and core: the token, Host and
 * Origin checks, the CSP, the injected web preload, and the wire (one socket = one window).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestDaemon, waitFor, type TestDaemon } from '../../src-client/testing/daemon-harness';
import { QuireCore } from '../core/index';
import { decodeHostMessage, type HostMessage } from '../../src-shared/ipc/websocket-wire';
import { injectPreload, startBrowserHost, WEB_PRELOAD_NAME, type BrowserHost } from './server';

let daemon: TestDaemon;
let core: QuireCore;
let host: BrowserHost;
let dir: string;
let token: string;
let origin: string;

beforeAll(async () => {
  daemon = await startTestDaemon();
  dir = mkdtempSync(join(tmpdir(), 'qbh-'));
  // An installed widget library (a JupyterLab federated extension) and a non-widget extension.
  const lab = join(dir, 'jupyter', 'labextensions');
  mkdirSync(join(lab, 'fake-widgets', 'static'), { recursive: true });
  writeFileSync(
    join(lab, 'fake-widgets', 'package.json'),
    JSON.stringify({ name: 'fake-widgets', version: '1.2.3', dependencies: { '@jupyter-widgets/base': '^6' }, private: 'package.json secret', jupyterlab: { _build: { load: 'static/remoteEntry.abc.js', extension: './extension' } } }),
  );
  writeFileSync(join(lab, 'fake-widgets', 'static', 'remoteEntry.abc.js'), '/* fake remote entry */');
  mkdirSync(join(lab, 'other-ext', 'static'), { recursive: true });
  writeFileSync(join(lab, 'other-ext', 'package.json'), JSON.stringify({ name: 'other-ext', version: '1.0.0', jupyterlab: { _build: { load: 'static/remoteEntry.def.js', extension: './extension' } } }));
  writeFileSync(join(lab, 'other-ext', 'static', 'remoteEntry.def.js'), '/* not a widget library */');
  core = new QuireCore({
    connect: { env: daemon.env, autostart: false },
    log: () => {},
    labextensionSearch: { env: { JUPYTER_PATH: join(dir, 'jupyter') }, homeDir: dir },
  });
  await core.start();
  mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'renderer', 'index.html'),
    '<!doctype html><html><head><title>Quire</title><script type="module" crossorigin src="./assets/app.js"></script></head><body></body></html>',
  );
  writeFileSync(join(dir, 'renderer', 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
  writeFileSync(join(dir, 'web.js'), '/* preload */');
  host = await startBrowserHost({
    core,
    notebook: daemon.notebook('served.ipynb', [{ source: 'import ipywidgets as w\ns = w.IntSlider(value=5)\ns' }]),
    rendererDir: join(dir, 'renderer'),
    webPreload: join(dir, 'web.js'),
  });
  token = new URL(host.url).searchParams.get('token')!;
  origin = `http://127.0.0.1:${host.port}`;
}, 60_000);

afterAll(async () => {
  await host?.close();
  await core?.close();
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket; resolves with it, or with the HTTP status the upgrade was refused with. */
function socket(path: string, headers: Record<string, string>) {
  return new Promise<{ ws?: WebSocket; received?: HostMessage[]; status?: number }>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}${path}`, { headers });
    // Listening from the start: the host's first events can come in the same read as the upgrade.
    const received: HostMessage[] = [];
    ws.on('message', (data) => {
      const decoded = decodeHostMessage(String(data));
      if (!decoded.ok) throw new Error(decoded.error);
      received.push(decoded.message);
    });
    ws.on('open', () => resolve({ ws, received }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => resolve({ status: -1 }));
  });
}

class Client {
  private nextId = 1;
  constructor(
    readonly ws: WebSocket,
    readonly messages: HostMessage[],
  ) {}
  static async open(): Promise<Client> {
    const { ws, received } = await socket(`/t/${token}/ws`, { Origin: origin });
    if (!ws || !received) throw new Error('socket refused');
    return new Client(ws, received);
  }
  async invoke(channel: string, request: unknown): Promise<{ ok: boolean; result?: unknown; error?: string }> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ type: 'invoke', id, channel, request }));
    let reply: HostMessage | undefined;
    await waitFor(() => (reply = this.messages.find((m) => m.type === 'result' && m.id === id)) !== undefined, `reply ${id}`);
    return reply as { ok: boolean; result?: unknown; error?: string };
  }
  events(name: string) {
    return this.messages.filter((m) => m.type === 'event' && m.event === name);
  }
}

describe('HTTP', () => {
  it('the printed URL is http://127.0.0.1:PORT/?token=<32 random bytes> and redirects to the app', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const r = await get(`/?token=${token}`);
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(`/t/${token}/`);
  });

  it('serves the page with the web preload injected before the app script, and a strict CSP', async () => {
    const r = await get(`/t/${token}/`);
    expect(r.status).toBe(200);
    expect(r.body.indexOf(`<script src="./${WEB_PRELOAD_NAME}"></script>`)).toBeGreaterThan(0);
    expect(r.body.indexOf(WEB_PRELOAD_NAME)).toBeLessThan(r.body.indexOf('./assets/app.js'));
    const csp = String(r.headers['content-security-policy']);
    for (const d of [
      "default-src 'self'",
      "script-src 'self' blob:",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      `connect-src 'self' ws://127.0.0.1:${host.port}`,
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(d);
    }
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect((await get(`/t/${token}/${WEB_PRELOAD_NAME}`)).body).toBe('/* preload */');
    expect((await get(`/t/${token}/assets/app.js`)).status).toBe(200);
  });

  it('refuses requests without the token, with a wrong one, or with a foreign Host', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get(`/?token=${'A'.repeat(43)}`)).status).toBe(403);
    expect((await get('/assets/app.js')).status).toBe(403);
    expect((await get(`/t/${token.slice(1)}/assets/app.js`)).status).toBe(403);
    expect((await get(`/t/${token}/`, { Host: `attacker.example:${host.port}` })).status).toBe(403);
    expect((await get(`/t/${token}/`, { Host: `localhost:${host.port}` })).status).toBe(200);
    expect((await get(`/t/${token}/`, {}, 'POST')).status).toBe(405);
    const refused = await get('/');
    expect(refused.body).not.toContain(token);
  });

  it('never serves files outside the renderer build', async () => {
    for (const p of [`/t/${token}/../secret.txt`, `/t/${token}/%2e%2e/secret.txt`, `/t/${token}/..%2fsecret.txt`, `/t/${token}/assets/..%2f..%2fsecret.txt`]) {
      const r = await get(p);
      expect(r.body, p).not.toContain('outside the renderer');
      expect(r.status, p).not.toBe(200);
    }
  });
});

describe('WebSocket', () => {
  it('refuses a wrong Origin, no Origin, a wrong token and a foreign Host', async () => {
    expect((await socket(`/t/${token}/ws`, { Origin: 'http://attacker.example' })).status).toBe(403);
    expect((await socket(`/t/${token}/ws`, { Origin: `http://127.0.0.1:${host.port + 1}` })).status).toBe(403);
    expect((await socket(`/t/${token}/ws`, {})).status).toBe(403);
    expect((await socket(`/t/nope/ws`, { Origin: origin })).status).toBe(403);
    expect((await socket(`/ws?token=${token}`, { Origin: origin })).status).toBe(403);
    expect((await socket(`/t/${token}/ws`, { Origin: origin, Host: `attacker.example:${host.port}` })).status).toBe(403);
    expect(host.windowCount).toBe(0);
  });

  it('each connection is a window on the notebook; both see the same comms and each other\'s updates', async () => {
    const a = await Client.open();
    const b = await Client.open();
    expect(host.windowCount).toBe(2);
    const snapshot = await a.invoke('notebook:get', {});
    expect(snapshot).toMatchObject({ ok: true, result: { title: 'served.ipynb' } });
    expect(await a.invoke('cell:execute', { cellId: 'cell-0' })).toMatchObject({ ok: true, result: { status: 'ok' } });
    const commsA = (await a.invoke('comms:get', {})).result as { id: string; modelName: string }[];
    const commsB = (await b.invoke('comms:get', {})).result as { id: string }[];
    expect(commsB).toEqual(commsA);
    const slider = commsA.find((c) => c.modelName === 'IntSliderModel')!;
    expect(await a.invoke('widget:update', { id: slider.id, patch: { value: 8 } })).toEqual({ type: 'result', id: 4, ok: true, result: null });
    await waitFor(
      () =>
        b.events('comms:changed').some((e) =>
          (e as { payload: { upserted: { id: string; state: { value: number } }[] } }).payload.upserted.some((u) => u.id === slider.id && u.state.value === 8),
        ),
      'window b to see value 8',
    );
    a.ws.close();
    b.ws.close();
    await waitFor(() => host.windowCount === 0, 'windows to close');
  });

  it('a request the contract refuses gets an error result; a frame that is not the wire closes that socket only', async () => {
    const a = await Client.open();
    const b = await Client.open();
    expect(await a.invoke('widget:update', { id: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/widget:update: id/) });
    expect(await a.invoke('shell:exec', {})).toMatchObject({ ok: false, error: expect.stringMatching(/unknown IPC channel/) });
    const closed = new Promise<number>((r) => a.ws.once('close', (code) => r(code)));
    a.ws.send(JSON.stringify({ type: 'invoke', id: 'x' }));
    expect(await closed).toBe(1008);
    expect(await b.invoke('notebook:get', {})).toMatchObject({ ok: true });
    b.ws.close();
  });
});

describe('widget libraries (labextensions)', () => {
  it('offers only widget libraries, serves their static/ files under the token, and nothing else', async () => {
    const a = await Client.open();
    const reply = await a.invoke('widgets:extensions', {});
    expect(reply.ok).toBe(true);
    const extensions = (reply.result as { extensions: { name: string; version: string; url: string; needs: string[] }[] }).extensions;
    const fake = extensions.find((e) => e.name === 'fake-widgets');
    expect(fake).toMatchObject({ version: '1.2.3', needs: [], url: expect.stringMatching(/^labextensions\/[0-9a-f]{16}\/fake-widgets\/static\/remoteEntry\.abc\.js$/) });
    expect(extensions.map((e) => e.name)).not.toContain('other-ext');

    const ok = await get(`/t/${token}/${fake!.url}?v=abc`);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('/* fake remote entry */');
    expect(ok.headers['content-type']).toMatch(/^text\/javascript/);

    const key = fake!.url.split('/')[1]!;
    const base = `/t/${token}/labextensions/${key}/fake-widgets`;
    for (const p of [
      `/labextensions/${key}/fake-widgets/static/remoteEntry.abc.js`, // no token
      `/t/${token.slice(1)}/labextensions/${key}/fake-widgets/static/remoteEntry.abc.js`,
      `${base}/package.json`, // outside static/
      `${base}/static/../package.json`,
      `${base}/static/%2e%2e/package.json`,
      `${base}/static/..%2fpackage.json`,
      `${base}/static/..%2f..%2f..%2f..%2fsecret.txt`,
      `${base}/static/%5c..%5cpackage.json`,
      `/t/${token}/labextensions/${key}/other-ext/static/remoteEntry.def.js`, // never offered
      `/t/${token}/labextensions/0000000000000000/fake-widgets/static/remoteEntry.abc.js`, // unknown root
      `/t/${token}/labextensions/${key}/fake-widgets/static/`,
    ]) {
      const r = await get(p);
      expect(r.status, p).not.toBe(200);
      expect(r.body, p).not.toMatch(/package\.json secret|outside the renderer|not a widget library/);
    }
    a.ws.close();
  });
});

describe('injectPreload', () => {
  it('goes before the first script, else before </head>', () => {
    expect(injectPreload('<head><script type="module" src="a.js"></script></head>')).toMatch(/quire-web-preload\.js"><\/script>\s*<script type="module"/);
    expect(injectPreload('<head><title>x</title></head>')).toMatch(/quire-web-preload\.js"><\/script>\s*<\/head>/);
  });
});
