/**
 * One authenticated client stream on the daemon socket. Owns framing, the handshake,
 * size caps and backpressure; hands validated frames to the daemon.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  decodeJsonPayload,
  decodeSyncPayload,

  encodeJsonFrame,
  encodeSyncFrame,
  FrameDecoder,
  FrameError,
  FrameKind,
  type Frame,
} from '../../src-shared/protocol/frames';
import {
  HelloSchema,
  PROTOCOL_VERSION,
  RequestSchema,
  type Broadcast,
  type ProtocolError,
  type Response,
} from '../../src-shared/protocol/messages';
import type { Logger } from '../log';

export interface ConnectionHandler {
  onRequest(conn: ClientConnection, id: number, method: string, params: unknown): void;
  onSync(conn: ClientConnection, roomId: string, message: Uint8Array): void;
  onClose(conn: ClientConnection): void;
}

export interface ConnectionOptions {
  token: string;
  daemonVersion: string;
  logger: Logger;
  handshakeTimeoutMs?: number;
  /** A client that lets this much output pile up unread is cut off, so it cannot grow our memory. */
  maxBufferedBytes?: number;
}

const DEFAULT_MAX_BUFFERED = 256 * 1024 * 1024;

/**
 * The cap when the daemon's owner passes none: QUIRE_MAX_CLIENT_BUFFER_BYTES if it is a positive
 * integer, else 256 MiB. The variable exists so tests can reach the cap in seconds; it must stay
 * above the largest single frame a healthy client is sent (a whole doc on open), or that client
 * is cut off too.
 */
export function defaultMaxBufferedBytes(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.QUIRE_MAX_CLIENT_BUFFER_BYTES);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_BUFFERED;
}

export class ClientConnection {
  readonly id = randomUUID();
  clientName = 'unknown';
  private readonly decoder = new FrameDecoder();
  private authenticated = false;
  private closed = false;
  private readonly handshakeTimer: NodeJS.Timeout;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly socket: Socket,
    private readonly handler: ConnectionHandler,
    private readonly options: ConnectionOptions,
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? defaultMaxBufferedBytes();
    this.handshakeTimer = setTimeout(
      () => this.fail({ code: 'handshake-timeout', message: 'no hello frame within the handshake timeout' }),
      options.handshakeTimeoutMs ?? 5000,
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => options.logger.warn(`connection ${this.id}: socket error: ${err.message}`));
    socket.on('close', () => this.onSocketClosed());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  sendSync(roomId: string, message: Uint8Array): void {
    this.write(encodeSyncFrame(roomId, message));
  }

  sendResponse(response: Response): void {
    this.write(encodeJsonFrame(FrameKind.Response, response));
  }

  sendBroadcast(event: Broadcast): void {
    this.write(encodeJsonFrame(FrameKind.Broadcast, event));
  }

  /** Sends an error frame and closes this connection only. */
  fail(error: ProtocolError): void {
    if (this.closed) return;
    this.options.logger.warn(`connection ${this.id} (${this.clientName}) closed: ${error.code}: ${error.message}`);
    try {
      this.socket.write(encodeJsonFrame(FrameKind.Error, error));
    } catch {
      // The socket may already be gone; closing is what matters.
    }
    this.socket.end();
    // end() waits for the peer; a hostile peer may never read, so force it shortly after.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.markClosed();
  }

  close(): void {
    if (this.closed) return;
    this.socket.end();
    this.markClosed();
  }

  private write(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.socket.writableLength + bytes.length > this.maxBufferedBytes) {
      this.socket.destroy();
      this.options.logger.warn(`connection ${this.id} (${this.clientName}) dropped: it stopped reading (${this.socket.writableLength} bytes unsent)`);
      this.markClosed();
      return;
    }
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (err) {
      this.failWith(err);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      try {
        this.onFrame(frame);
      } catch (err) {
        this.failWith(err);
        return;
      }
    }
  }

  private failWith(err: unknown): void {
    if (err instanceof FrameError) this.fail({ code: err.code, message: err.message });
    else this.fail({ code: 'internal', message: (err as Error).message ?? String(err) });
  }

  private onFrame(frame: Frame): void {
    if (!this.authenticated) {
      this.onHello(frame);
      return;
    }
    switch (frame.kind) {
      case FrameKind.Sync: {
        const { roomId, message } = decodeSyncPayload(frame.payload);
        this.handler.onSync(this, roomId, message);
        return;
      }
      case FrameKind.Request: {
        const parsed = RequestSchema.safeParse(decodeJsonPayload(frame));
        if (!parsed.success) {
          this.fail({ code: 'bad-request', message: `request frame is not {id, method, params}: ${parsed.error.issues[0]?.message}` });
          return;
        }
        this.handler.onRequest(this, parsed.data.id, parsed.data.method, parsed.data.params);
        return;
      }
      default:
        this.fail({ code: 'unexpected-frame', message: `a client may not send frame kind ${frame.kind}` });
    }
  }

  private onHello(frame: Frame): void {
    if (frame.kind !== FrameKind.Hello) {
      this.fail({ code: 'handshake-required', message: 'the first frame must be a hello frame' });
      return;
    }
    const parsed = HelloSchema.safeParse(decodeJsonPayload(frame));
    if (!parsed.success) {
      this.fail({ code: 'bad-hello', message: 'hello frame is malformed (expected magic "quire", protocol, token)' });
      return;
    }
    const hello = parsed.data;
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.fail({
        code: 'protocol-mismatch',
        message: `client speaks protocol ${hello.protocol}, daemon speaks ${PROTOCOL_VERSION}; restart the daemon with \`quire stop\` after upgrading`,
      });
      return;
    }
    if (!tokensEqual(hello.token, this.options.token)) {
      this.fail({ code: 'bad-token', message: 'authentication failed: the token does not match the daemon token file' });
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.authenticated = true;
    this.clientName = hello.client?.name ?? 'unknown';
    this.write(
      encodeJsonFrame(FrameKind.Welcome, {
        protocol: PROTOCOL_VERSION,
        daemon: { version: this.options.daemonVersion, pid: process.pid },
        connectionId: this.id,
      }),
    );
  }

  private onSocketClosed(): void {
    this.markClosed();
  }

  private markClosed(): void {
    clearTimeout(this.handshakeTimer);
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.authenticated) this.handler.onClose(this);
  }
}

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

