/**
 * Jupyter wire-format codec (messaging spec 5.3, "The Wire Protocol").
 *
 *   [...identities, '<IDS|MSG>', signature, header, parent_header, metadata, content, ...buffers]
 *
 * Pure functions: no sockets, no state. Decoding never throws, because a kernel (or anything
 * else that reached the port) can send garbage and one bad frame must not take down the
 * receive loop; the caller drops the message and logs the typed reason.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Channel, JupyterMessage, MessageHeader } from '../../src-shared/jupyter/messages';

export const DELIMITER = '<IDS|MSG>';
const DELIMITER_BYTES = Buffer.from(DELIMITER, 'utf8');

/** The parts of a message that travel on the wire (the channel is implied by the socket). */
export interface WireMessage {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers?: Uint8Array[];
}

export type DecodeErrorKind =
  | 'missing-delimiter'
  | 'too-few-frames'
  | 'bad-signature'
  | 'invalid-json'
  | 'invalid-header'
  | 'invalid-part';

export type DecodeResult =
  | { ok: true; message: JupyterMessage; identities: Buffer[] }
  | { ok: false; error: DecodeErrorKind; detail: string };

/** HMAC-SHA256 hex digest over the four JSON parts; '' when signing is disabled (empty key). */
export function sign(key: string, parts: readonly Uint8Array[]): string {
  if (key === '') return '';
  const hmac = createHmac('sha256', Buffer.from(key, 'utf8'));
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

export function encodeMessage(
  message: WireMessage,
  key: string,
  identities: readonly Uint8Array[] = [],
): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) =>
    Buffer.from(JSON.stringify(part), 'utf8'),
  );
  return [
    ...identities.map(toBuffer),
    DELIMITER_BYTES,
    Buffer.from(sign(key, parts), 'utf8'),
    ...parts,
    ...(message.buffers ?? []).map(toBuffer),
  ];
}

export function decodeMessage(frames: readonly Uint8Array[], key: string, channel: Channel): DecodeResult {
  const buffers = frames.map(toBuffer);
  const delimiterAt = buffers.findIndex((frame) => frame.equals(DELIMITER_BYTES));
  if (delimiterAt < 0) return fail('missing-delimiter', `no ${DELIMITER} frame among ${frames.length} frames`);
  // Signature + four JSON parts must follow the delimiter.
  if (buffers.length < delimiterAt + 6) {
    return fail('too-few-frames', `expected at least 5 frames after ${DELIMITER}, got ${buffers.length - delimiterAt - 1}`);
  }
  const signature = buffers[delimiterAt + 1]!;
  const parts = buffers.slice(delimiterAt + 2, delimiterAt + 6);

  if (key !== '') {
    const expected = Buffer.from(sign(key, parts), 'utf8');
    // timingSafeEqual needs equal lengths; comparing lengths first leaks only the length,
    // which is public (a sha256 hex digest is always 64 characters).
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      return fail('bad-signature', 'HMAC signature does not match');
    }
  }

  const parsed: Record<string, unknown>[] = [];
  const names = ['header', 'parent_header', 'metadata', 'content'] as const;
  for (const [index, part] of parts.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(part.toString('utf8'));
    } catch (error) {
      return fail('invalid-json', `${names[index]}: ${(error as Error).message}`);
    }
    if (!isPlainObject(value)) return fail('invalid-part', `${names[index]} is not a JSON object`);
    parsed.push(value);
  }
  const [rawHeader, parentHeader, metadata, content] = parsed as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  if (typeof rawHeader.msg_id !== 'string' || typeof rawHeader.msg_type !== 'string') {
    return fail('invalid-header', 'header needs string msg_id and msg_type');
  }
  // Only msg_id/msg_type are load-bearing; other fields are normalised so readers can trust the type.
  const header: MessageHeader = {
    ...rawHeader,
    msg_id: rawHeader.msg_id,
    msg_type: rawHeader.msg_type,
    session: stringOr(rawHeader.session),
    username: stringOr(rawHeader.username),
    date: stringOr(rawHeader.date),
    version: stringOr(rawHeader.version),
  };
  return {
    ok: true,
    identities: buffers.slice(0, delimiterAt),
    message: {
      channel,
      header,
      parent_header: parentHeader as Partial<MessageHeader>,
      metadata,
      content,
      buffers: buffers.slice(delimiterAt + 6),
    },
  };
}

function fail(error: DecodeErrorKind, detail: string): DecodeResult {
  return { ok: false, error, detail };
}

function toBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
