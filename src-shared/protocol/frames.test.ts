import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FrameError,
  FrameKind,
  MAX_FRAME_BYTES,
  decodeJsonPayload,
  decodeSyncPayload,
  encodeFrame,
  encodeJsonFrame,
  encodeSyncFrame,
  type Frame,
} from './frames';
import { seededRandom } from '../testing/seeded-random';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A raw frame header with an arbitrary length and kind byte. */
function header(length: number, kind?: number): Uint8Array {
  const out = new Uint8Array(kind === undefined ? 4 : 5);
  new DataView(out.buffer).setUint32(0, length);
  if (kind !== undefined) out[4] = kind;
  return out;
}

function catchFrameError(fn: () => unknown): FrameError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError);
    return err as FrameError;
  }
  throw new Error('expected a FrameError, nothing was thrown');
}

const ALL_KINDS = Object.values(FrameKind);
const JSON_KINDS = ALL_KINDS.filter((k) => k !== FrameKind.Sync);
const SYNC_MESSAGE = new Uint8Array([0x42, 0, 1, 2, 255, 254, 0x85, 0x6f]);

/** One frame of every kind, with the value it should decode to. */
function sampleStream(): { bytes: Uint8Array[]; expected: Frame[] } {
  const bytes: Uint8Array[] = [];
  const expected: Frame[] = [];
  for (const kind of JSON_KINDS) {
    const value = { kind, text: `héllo ${kind} ✓`, n: [1, 2.5, null] };
    const payload = new TextEncoder().encode(JSON.stringify(value));
    bytes.push(encodeJsonFrame(kind, value));
    expected.push({ kind, payload });
  }
  const sync = encodeSyncFrame('room-ü', SYNC_MESSAGE);
  bytes.push(sync);
  expected.push({ kind: FrameKind.Sync, payload: sync.subarray(5) });
  // An empty payload is legal: the frame holds just its kind byte.
  bytes.push(encodeFrame(FrameKind.Broadcast, new Uint8Array(0)));
  expected.push({ kind: FrameKind.Broadcast, payload: new Uint8Array(0) });
  return { bytes, expected };
}

describe('encode/decode round trip', () => {
  it('encodeFrame writes length (kind + payload) big-endian, then kind, then payload', () => {
    const frame = encodeFrame(FrameKind.Request, new Uint8Array([9, 8, 7]));
    expect([...frame]).toEqual([0, 0, 0, 4, FrameKind.Request, 9, 8, 7]);
  });

  it.each(ALL_KINDS)('kind %i round-trips through encodeFrame and FrameDecoder', (kind) => {
    const payload = new Uint8Array([kind, 0, 255, 1, 2, 3]);
    const frames = new FrameDecoder().push(encodeFrame(kind, payload));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.kind).toBe(kind);
    expect([...frames[0]!.payload]).toEqual([...payload]);
  });

  it.each(JSON_KINDS)('JSON kind %i round-trips through encodeJsonFrame and decodeJsonPayload', (kind) => {
    const value = { id: 7, ok: true, text: 'naïve 🚀', list: [1, null, 'x'] };
    const frames = new FrameDecoder().push(encodeJsonFrame(kind, value));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.kind).toBe(kind);
    expect(decodeJsonPayload(frames[0]!)).toEqual(value);
  });

  it('sync frames carry the room id and the Automerge bytes unchanged', () => {
    const frames = new FrameDecoder().push(encodeSyncFrame('notebooks/ä.ipynb', SYNC_MESSAGE));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.kind).toBe(FrameKind.Sync);
    const { roomId, message } = decodeSyncPayload(frames[0]!.payload);
    expect(roomId).toBe('notebooks/ä.ipynb');
    expect([...message]).toEqual([...SYNC_MESSAGE]);
  });

  it('a sync frame with an empty message keeps the room id', () => {
    const frames = new FrameDecoder().push(encodeSyncFrame('r', new Uint8Array(0)));
    const { roomId, message } = decodeSyncPayload(frames[0]!.payload);
    expect(roomId).toBe('r');
    expect(message.length).toBe(0);
  });
});

describe('FrameDecoder with split input', () => {
  it('byte-by-byte input yields the same frames as one push', () => {
    const { bytes, expected } = sampleStream();
    const whole = concat(bytes);
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (let i = 0; i < whole.length; i++) {
      frames.push(...decoder.push(whole.subarray(i, i + 1)));
    }
    expect(frames.map((f) => ({ kind: f.kind, payload: [...f.payload] }))).toEqual(
      expected.map((f) => ({ kind: f.kind, payload: [...f.payload] })),
    );
    expect(decoder.pendingBytes).toBe(0);
  });

  it('random chunk splits (including empty chunks) yield the same frames', () => {
    const { bytes, expected } = sampleStream();
    const whole = concat(bytes);
    const want = expected.map((f) => ({ kind: f.kind, payload: [...f.payload] }));
    const rand = seededRandom(0xc0ffee);
    for (let round = 0; round < 200; round++) {
      const decoder = new FrameDecoder();
      const frames: Frame[] = [];
      let offset = 0;
      while (offset < whole.length) {
        const size = Math.floor(rand() * 23); // 0..22; 0 pushes an empty chunk
        frames.push(...decoder.push(whole.slice(offset, offset + size)));
        offset += size;
      }
      expect(frames.map((f) => ({ kind: f.kind, payload: [...f.payload] })), `round ${round}`).toEqual(want);
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('holds a partial frame until the rest arrives', () => {
    const frame = encodeJsonFrame(FrameKind.Hello, { a: 1 });
    const decoder = new FrameDecoder();
    expect(decoder.push(frame.subarray(0, frame.length - 1))).toEqual([]);
    expect(decoder.pendingBytes).toBe(frame.length - 1);
    const frames = decoder.push(frame.subarray(frame.length - 1));
    expect(frames).toHaveLength(1);
    expect(decodeJsonPayload(frames[0]!)).toEqual({ a: 1 });
  });

  it('earlier payloads stay intact after later pushes reuse the buffer', () => {
    const a = encodeFrame(FrameKind.Request, new Uint8Array([1, 1, 1]));
    const b = encodeFrame(FrameKind.Request, new Uint8Array([2, 2, 2]));
    const decoder = new FrameDecoder();
    const first = decoder.push(concat([a, b.subarray(0, 6)]));
    decoder.push(b.subarray(6));
    expect([...first[0]!.payload]).toEqual([1, 1, 1]);
  });
});

describe('FrameDecoder errors', () => {
  it('length 0 throws empty-frame', () => {
    const err = catchFrameError(() => new FrameDecoder().push(header(0)));
    expect(err.code).toBe('empty-frame');
  });

  it('length 0xFFFFFFFF throws frame-too-large as soon as the length is known', () => {
    const err = catchFrameError(() => new FrameDecoder().push(header(0xffffffff)));
    expect(err.code).toBe('frame-too-large');
  });

  it('length one over the cap throws frame-too-large; the cap itself is accepted', () => {
    expect(catchFrameError(() => new FrameDecoder().push(header(MAX_FRAME_BYTES + 1, FrameKind.Sync))).code).toBe(
      'frame-too-large',
    );
    const decoder = new FrameDecoder();
    expect(decoder.push(header(MAX_FRAME_BYTES, FrameKind.Sync))).toEqual([]);
    expect(decoder.pendingBytes).toBe(5);
  });

  it('a custom cap is honoured', () => {
    const decoder = new FrameDecoder(10);
    expect(decoder.push(encodeFrame(FrameKind.Request, new Uint8Array(9)))).toHaveLength(1);
    const err = catchFrameError(() => decoder.push(encodeFrame(FrameKind.Request, new Uint8Array(10))));
    expect(err.code).toBe('frame-too-large');
  });

  it.each([0, 8, 255])('unknown kind %i throws bad-kind', (kind) => {
    const err = catchFrameError(() => new FrameDecoder().push(header(3, kind)));
    expect(err.code).toBe('bad-kind');
  });

  it('unknown kind is detected even when the kind byte arrives in its own chunk', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(header(3))).toEqual([]);
    expect(catchFrameError(() => decoder.push(new Uint8Array([99]))).code).toBe('bad-kind');
  });
});

describe('sync payload errors', () => {
  function syncPayload(idLength: number, body: number[]): Uint8Array {
    const out = new Uint8Array(2 + body.length);
    new DataView(out.buffer).setUint16(0, idLength);
    out.set(body, 2);
    return out;
  }

  it('a room-id length longer than the payload throws bad-sync-frame', () => {
    const err = catchFrameError(() => decodeSyncPayload(syncPayload(10, [0x61, 0x62])));
    expect(err.code).toBe('bad-sync-frame');
  });

  it('a room-id length of 0 throws bad-sync-frame', () => {
    expect(catchFrameError(() => decodeSyncPayload(syncPayload(0, [1, 2, 3]))).code).toBe('bad-sync-frame');
  });

  it('a payload shorter than the u16 length throws bad-sync-frame', () => {
    expect(catchFrameError(() => decodeSyncPayload(new Uint8Array([0]))).code).toBe('bad-sync-frame');
  });

  it('a room id that is not UTF-8 throws bad-sync-frame', () => {
    expect(catchFrameError(() => decodeSyncPayload(syncPayload(2, [0xff, 0xfe, 1]))).code).toBe('bad-sync-frame');
  });

  it('a bad room-id length read from a decoded frame (non-zero byteOffset) throws bad-sync-frame', () => {
    // The payload is a subarray of the decoder's buffer, so the length must be read at its byteOffset.
    const payload = syncPayload(0xffff, [0x61]);
    const frames = new FrameDecoder().push(concat([encodeFrame(FrameKind.Hello, new Uint8Array([1])), encodeFrame(FrameKind.Sync, payload)]));
    expect(frames[1]!.payload.byteOffset).toBeGreaterThan(0);
    expect(catchFrameError(() => decodeSyncPayload(frames[1]!.payload)).code).toBe('bad-sync-frame');
  });

  it('encodeSyncFrame refuses an empty room id', () => {
    expect(catchFrameError(() => encodeSyncFrame('', SYNC_MESSAGE)).code).toBe('bad-sync-frame');
  });
});

describe('decodeJsonPayload errors', () => {
  it('invalid UTF-8 throws bad-json', () => {
    const frame: Frame = { kind: FrameKind.Request, payload: new Uint8Array([0x22, 0xc3, 0x28, 0x22]) };
    expect(catchFrameError(() => decodeJsonPayload(frame)).code).toBe('bad-json');
  });

  it('invalid JSON throws bad-json', () => {
    const frame: Frame = { kind: FrameKind.Request, payload: new TextEncoder().encode('{"a": 1,') };
    expect(catchFrameError(() => decodeJsonPayload(frame)).code).toBe('bad-json');
  });

  it('an empty payload throws bad-json', () => {
    expect(catchFrameError(() => decodeJsonPayload({ kind: FrameKind.Hello, payload: new Uint8Array(0) })).code).toBe(
      'bad-json',
    );
  });
});
