/**
 * Framing for the daemon socket. Every frame is
 *
 *   u32 big-endian length of what follows | u8 kind | payload
 *
 * Hand-written because it is twelve lines of byte shuffling; no library frames a byte
 * stream with kinds this simply, and the Python client needs the same bytes (see the
 * shared test vectors in ./vectors).
 */

export const FrameKind = {
  /** client → daemon, JSON `Hello`; must be the first frame. */
  Hello: 1,
  /** daemon → client, JSON `Welcome`. */
  Welcome: 2,
  /** both ways: u16 room-id length | room id (UTF-8) | Automerge sync message. */
  Sync: 3,
  /** client → daemon, JSON `Request`. */
  Request: 4,
  /** daemon → client, JSON `Response`. */
  Response: 5,
  /** daemon → client, JSON `Broadcast` (kernel status, custom widget messages, …). */
  Broadcast: 6,
  /** both ways, JSON `ProtocolError`; the sender closes the connection after it. */
  Error: 7,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const KINDS = new Set<number>(Object.values(FrameKind));

/** Largest frame either side accepts (payload + kind byte). Sync messages can carry whole docs. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** JSON frames are requests and small events; anything bigger is a bug or an attack. */
export const MAX_JSON_FRAME_BYTES = 16 * 1024 * 1024;

export interface Frame {
  kind: FrameKind;
  payload: Uint8Array;
}

export class FrameError extends Error {
  constructor(
    readonly code: 'frame-too-large' | 'bad-kind' | 'bad-json' | 'bad-sync-frame' | 'empty-frame',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeFrame(kind: FrameKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1);
  out[4] = kind;
  out.set(payload, 5);
  return out;
}

export function encodeJsonFrame(kind: FrameKind, value: unknown): Uint8Array {
  return encodeFrame(kind, encoder.encode(JSON.stringify(value)));
}

export function decodeJsonPayload(frame: Frame): unknown {
  if (frame.payload.length > MAX_JSON_FRAME_BYTES) {
    throw new FrameError('frame-too-large', `JSON frame of ${frame.payload.length} bytes exceeds ${MAX_JSON_FRAME_BYTES}`);
  }
  try {
    return JSON.parse(decoder.decode(frame.payload));
  } catch (err) {
    throw new FrameError('bad-json', `frame kind ${frame.kind} does not hold valid UTF-8 JSON: ${(err as Error).message}`);
  }
}

export function encodeSyncFrame(roomId: string, message: Uint8Array): Uint8Array {
  const id = encoder.encode(roomId);
  if (id.length === 0 || id.length > 0xffff) throw new FrameError('bad-sync-frame', 'room id must be 1..65535 bytes');
  const payload = new Uint8Array(2 + id.length + message.length);
  new DataView(payload.buffer).setUint16(0, id.length);
  payload.set(id, 2);
  payload.set(message, 2 + id.length);
  return encodeFrame(FrameKind.Sync, payload);
}

export function decodeSyncPayload(payload: Uint8Array): { roomId: string; message: Uint8Array } {
  if (payload.length < 2) throw new FrameError('bad-sync-frame', 'sync frame shorter than its room-id length');
  const idLength = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint16(0);
  if (idLength === 0 || payload.length < 2 + idLength) {
    throw new FrameError('bad-sync-frame', `sync frame room id length ${idLength} does not fit in ${payload.length} bytes`);
  }
  let roomId: string;
  try {
    roomId = decoder.decode(payload.subarray(2, 2 + idLength));
  } catch {
    throw new FrameError('bad-sync-frame', 'sync frame room id is not UTF-8');
  }
  return { roomId, message: payload.slice(2 + idLength) };
}

/**
 * Incremental decoder: push whatever the socket delivered, get whole frames back.
 * Throws FrameError on a length prefix over the cap or an unknown kind; the caller
 * closes that connection.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  push(chunk: Uint8Array): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(5);
      const length = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0);
      if (length === 0) throw new FrameError('empty-frame', 'frame length 0 (a frame holds at least its kind byte)');
      if (length > this.maxFrameBytes) {
        throw new FrameError('frame-too-large', `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte cap`);
      }
      if (head.length >= 5 && !KINDS.has(head[4]!)) {
        throw new FrameError('bad-kind', `unknown frame kind ${head[4]}`);
      }
      if (this.buffered < 4 + length) break;
      const whole = this.take(4 + length);
      frames.push({ kind: whole[4] as FrameKind, payload: whole.subarray(5) });
    }
    return frames;
  }

  /** Bytes held for a frame that has not fully arrived. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n || this.chunks.length === 1) return first.subarray(0, Math.min(n, first.length));
    return this.concat().subarray(0, n);
  }

  private take(n: number): Uint8Array {
    const all = this.concat();
    const out = all.slice(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  private concat(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const all = new Uint8Array(this.buffered);
    let offset = 0;
    for (const c of this.chunks) {
      all.set(c, offset);
      offset += c.length;
    }
    this.chunks = [all];
    return all;
  }
}
