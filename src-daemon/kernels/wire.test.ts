import { describe, expect, it } from 'vitest';
import type { MessageHeader } from '../../src-shared/jupyter/messages';
import { DELIMITER, decodeMessage, encodeMessage, sign, type WireMessage } from './wire';

const KEY = 'a0b1c2d3e4f5';

function sample(buffers: Uint8Array[] = []): WireMessage {
  const header: MessageHeader = {
    msg_id: 'id-1',
    msg_type: 'execute_request',
    session: 's-1',
    username: 'me',
    date: '2024-01-01T00:00:00.000Z',
    version: '5.3',
  };
  return { header, parent_header: {}, metadata: { m: 1 }, content: { code: 'print("hi")' }, buffers };
}

describe('wire codec', () => {
  it('round-trips a message with identities', () => {
    const frames = encodeMessage(sample(), KEY, [Buffer.from('ident')]);
    expect(frames[1]!.toString()).toBe(DELIMITER);
    const result = decodeMessage(frames, KEY, 'shell');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.identities.map(String)).toEqual(['ident']);
    expect(result.message).toMatchObject({ channel: 'shell', ...sample() });
    expect(result.message.buffers).toEqual([]);
  });

  it('signs the four JSON parts with HMAC-SHA256', () => {
    const frames = encodeMessage(sample(), KEY);
    const signature = frames[1]!.toString();
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signature).toBe(sign(KEY, frames.slice(2, 6)));
  });

  it('leaves the signature empty when the key is empty, and still decodes', () => {
    const frames = encodeMessage(sample(), '');
    expect(frames[1]!.length).toBe(0);
    expect(decodeMessage(frames, '', 'iopub').ok).toBe(true);
  });

  it('rejects tampered content', () => {
    const frames = encodeMessage(sample(), KEY);
    frames[5] = Buffer.from(JSON.stringify({ code: 'import os; os.remove("/")' }));
    expect(decodeMessage(frames, KEY, 'shell')).toMatchObject({ ok: false, error: 'bad-signature' });
  });

  it('rejects a message signed with another key, or unsigned', () => {
    expect(decodeMessage(encodeMessage(sample(), 'other'), KEY, 'shell')).toMatchObject({ error: 'bad-signature' });
    expect(decodeMessage(encodeMessage(sample(), ''), KEY, 'shell')).toMatchObject({ error: 'bad-signature' });
  });

  it('reports a missing delimiter and too few frames', () => {
    const frames = encodeMessage(sample(), KEY);
    expect(decodeMessage(frames.filter((_, i) => i !== 0), KEY, 'shell')).toMatchObject({
      ok: false,
      error: 'missing-delimiter',
    });
    expect(decodeMessage(frames.slice(0, 4), KEY, 'shell')).toMatchObject({ ok: false, error: 'too-few-frames' });
  });

  it('rejects a header without msg_id/msg_type, and parts that are not objects', () => {
    const noType = sample();
    noType.header = { ...noType.header, msg_type: undefined as unknown as string };
    expect(decodeMessage(encodeMessage(noType, KEY), KEY, 'shell')).toMatchObject({ error: 'invalid-header' });

    const arrayContent = { ...sample(), content: [1, 2] as unknown as Record<string, unknown> };
    expect(decodeMessage(encodeMessage(arrayContent, KEY), KEY, 'shell')).toMatchObject({ error: 'invalid-part' });
  });

  it('rejects invalid JSON even when correctly signed', () => {
    const frames = encodeMessage(sample(), KEY);
    frames[4] = Buffer.from('{not json');
    frames[1] = Buffer.from(sign(KEY, frames.slice(2, 6)));
    expect(decodeMessage(frames, KEY, 'shell')).toMatchObject({ ok: false, error: 'invalid-json' });
  });

  it('preserves binary buffers byte for byte', () => {
    const binary = [new Uint8Array([0, 255, 1, 128]), new Uint8Array(0), new Uint8Array([7])];
    const result = decodeMessage(encodeMessage(sample(binary), KEY), KEY, 'iopub');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.message.buffers.map((b) => [...b])).toEqual([[0, 255, 1, 128], [], [7]]);
  });

  it('fills missing optional header fields with empty strings', () => {
    const frames = encodeMessage(sample(), KEY);
    frames[2] = Buffer.from(JSON.stringify({ msg_id: 'x', msg_type: 'status' }));
    frames[1] = Buffer.from(sign(KEY, frames.slice(2, 6)));
    const result = decodeMessage(frames, KEY, 'iopub');
    expect(result.ok && result.message.header).toEqual({
      msg_id: 'x',
      msg_type: 'status',
      session: '',
      username: '',
      date: '',
      version: '',
    });
  });
});
