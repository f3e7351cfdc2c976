/**
 * The browser host: the renderer build over HTTP and the IPC contract over WebSocket, for
 * machines without Electron's binary (DESIGN.md, "Two hosts, one shell").
 *
 * Security (a notebook server runs code):
 *  - bound to 127.0.0.1 only;
 *  - a random 32-byte token: `GET /?token=T` redirects to `/t/T/`, and everything else lives
 *    under `/t/T/` (the page, its assets, the web preload and the WebSocket at `/t/T/ws`), so
 *    every HTTP request and upgrade carries the token — relative URLs, lazy chunks included —
 *    with no cookie that other servers on 127.0.0.1 would also receive;
 *  - the Host header must be 127.0.0.1:PORT or localhost:PORT (DNS rebinding), and a WebSocket's
 *    Origin must be this server's origin (cross-site WebSocket hijacking);
 *  - a strict CSP, no referrer, no framing; the token is never logged;
 *  - widget libraries' files (`/t/T/labextensions/…`) only from the static/ dirs of the
 *    extensions the core offered a window, read-only.
 *
 * Each WebSocket connection is one window on the notebook (opening the URL twice gives two).
 */
import { rendererCsp } from '../../src-shared/ipc/renderer-csp';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeInvoke, encodeEvent, encodeResult, MAX_WIRE_BYTES } from '../../src-shared/ipc/websocket-wire';
import type { QuireCore } from '../core/index';

export interface BrowserHostOptions {
  core: QuireCore;
  /** The notebook every window of this host shows. */
  notebook: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The renderer build (out/renderer). */
  rendererDir: string;
  /** The web preload, one classic script (out/preload/web.js). */
  webPreload: string;
  log?: (message: string) => void;
  /** For tests: a fixed token. */
  token?: string;
}

export interface BrowserHost {
  /** `http://127.0.0.1:PORT/?token=…` — the one URL to open. Contains the secret. */
  readonly url: string;
  readonly port: number;
  /** Open WebSocket windows. */
  readonly windowCount: number;
  close(): Promise<void>;
}

/** Served (virtually) beside index.html. */
export const WEB_PRELOAD_NAME = 'quire-web-preload.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentSecurityPolicy(port: number): string {
  return rendererCsp([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
}

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Puts the web preload (a classic script) before the app's module script. */
export function injectPreload(html: string): string {
  const tags = `<link rel="icon" href="data:," />\n    <script src="./${WEB_PRELOAD_NAME}"></script>\n    `;
  const at = html.search(/<script\b/i);
  if (at >= 0) return html.slice(0, at) + tags + html.slice(at);
  const head = html.search(/<\/head>/i);
  return head >= 0 ? html.slice(0, head) + tags + html.slice(head) : tags + html;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { core } = options;
  const log = options.log ?? (() => {});
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const server: Server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_BYTES });
  const sockets = new Set<WebSocket>();
  let port = 0;

  const hostOk = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  const originOk = (origin: string | undefined) => origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
  /** `/t/<token>/rest` → `/rest` when the token matches; null otherwise. */
  const underToken = (pathname: string): string | null => {
    const m = /^\/t\/([^/]*)(\/.*)?$/.exec(pathname);
    if (!m || !sameSecret(m[1], token)) return null;
    return m[2] ?? '';
  };

  const securityHeaders = (res: ServerResponse) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(port));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };
  const plain = (res: ServerResponse, status: number, body: string) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(body + '\n');
  };
  const forbidden = (res: ServerResponse) =>
    plain(res, 403, 'Forbidden: open the URL that `quire serve` printed (it carries this server\'s token).');

  const sendFile = (req: IncomingMessage, res: ServerResponse, file: string, cache: string) => {
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return plain(res, 404, 'Not found');
      size = st.size;
    } catch {
      return plain(res, 404, 'Not found');
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('Content-Length', size);
    res.setHeader('Cache-Control', cache);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    securityHeaders(res);
    if (!hostOk(req.headers.host)) return plain(res, 403, 'Forbidden: unexpected Host header.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'Method not allowed');
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      return plain(res, 400, 'Bad request');
    }
    if (url.pathname === '/') {
      if (!sameSecret(url.searchParams.get('token'), token)) return forbidden(res);
      res.statusCode = 302;
      res.setHeader('Location', `/t/${token}/`);
      res.setHeader('Cache-Control', 'no-store');
      return res.end();
    }
    const rest = underToken(url.pathname);
    if (rest === null) return forbidden(res);
    if (rest === '') {
      res.statusCode = 302;
      res.setHeader('Location', `/t/${token}/`);
      return res.end();
    }
    if (rest === '/' || rest === '/index.html') {
      const index = resolve(rendererDir, 'index.html');
      if (!existsSync(index)) return plain(res, 503, `The renderer is not built (${index} is missing): run \`npm run build\`.`);
      const html = injectPreload(readFileSync(index, 'utf8'));
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      return res.end(req.method === 'HEAD' ? undefined : html);
    }
    if (rest === `/${WEB_PRELOAD_NAME}`) return sendFile(req, res, options.webPreload, 'no-store');
    if (rest === '/ws') return plain(res, 426, 'Upgrade required');
    let decoded: string;
    try {
      decoded = decodeURIComponent(rest);
    } catch {
      return plain(res, 400, 'Bad request');
    }
    // Widget libraries' front-end files, from the kernel environment's labextensions: only
    // static/ of an extension a window was offered (src-main/core/labextensions.ts).
    if (decoded.startsWith('/labextensions/')) {
      const ext = core.extensionFiles.resolve(decoded);
      return ext ? sendFile(req, res, ext, 'no-cache') : plain(res, 404, 'Not found');
    }
    const file = resolve(rendererDir, '.' + decoded);
    if (!file.startsWith(rendererDir + sep) || decoded.includes('\0')) return plain(res, 404, 'Not found');
    return sendFile(req, res, file, 'no-cache');
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const refuse = (status: number, why: string) => {
      log(`refused a WebSocket connection: ${why}`);
      const text = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Bad Request';
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (!hostOk(req.headers.host)) return refuse(403, 'unexpected Host header');
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', `http://127.0.0.1:${port}`).pathname;
    } catch {
      return refuse(400, 'bad request line');
    }
    const rest = underToken(pathname);
    if (rest === null) return refuse(403, 'missing or wrong token');
    if (rest !== '/ws') return refuse(404, 'no such endpoint');
    if (!originOk(req.headers.origin)) return refuse(403, 'Origin is not this server');
    wss.handleUpgrade(req, socket, head, (ws) => onWindow(ws));
  });

  function onWindow(ws: WebSocket): void {
    sockets.add(ws);
    let windowId: number;
    try {
      windowId = core.openWindow(options.notebook, {
        send: (event, payload) => {
          if (ws.readyState === ws.OPEN) ws.send(encodeEvent(event, payload));
        },
      });
    } catch (err) {
      ws.close(1011, (err as Error).message.slice(0, 120));
      return;
    }
    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      alive = true;
      if (isBinary) return ws.close(1003, 'binary frames are not part of the Quire wire');
      const decoded = decodeInvoke(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString());
      if (!decoded.ok) {
        log(`closed a window's connection: ${decoded.error}`);
        return ws.close(1008, decoded.error.slice(0, 120));
      }
      const { id, channel, request } = decoded.message;
      void core.handle(windowId, channel, request).then((reply) => {
        if (ws.readyState === ws.OPEN) ws.send(encodeResult(id, reply));
      });
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(heartbeat);
      sockets.delete(ws);
      core.closeWindow(windowId);
    });
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    get windowCount() {
      return sockets.size;
    },
    async close() {
      for (const ws of sockets) ws.close(1001, 'the Quire host is stopping');
      wss.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
