import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBlobRef } from '../../src-shared/schema/notebook-doc';
import { BlobStore } from '../blobs/blob-store';
import { blobRefsToBuffers, buffersToBlobRefs, fromBase64, toBase64, type BufferPath } from './widget-buffers';

let dir: string;
let blobs: BlobStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quire-widget-buffers-'));
  blobs = new BlobStore(join(dir, 'blobs'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const bytes = (...values: number[]) => new Uint8Array(values);

/** path → bytes, so comparisons do not depend on walk order. */
function byPath(paths: BufferPath[], buffers: Uint8Array[]): Map<string, number[]> {
  expect(paths.length).toBe(buffers.length);
  return new Map(paths.map((p, i) => [JSON.stringify(p), [...buffers[i]!]]));
}

describe('buffersToBlobRefs / blobRefsToBuffers', () => {
  it('round-trips buffers at top-level, nested-object and list paths', () => {
    const paths: BufferPath[] = [['value'], ['data', 'x', 'buffer'], ['arrays', 1], ['arrays', 0, 'raw']];
    const buffers = [bytes(1, 2, 3), bytes(0, 255), bytes(), bytes(9, 9, 9, 9)];
    // The shape ipywidgets sends: dict keys removed, list slots set to null.
    const state: Record<string, unknown> = {
      description: 'img',
      data: { x: { shape: [2], dtype: 'uint8' } },
      arrays: [{ name: 'a' }, null],
    };
    buffersToBlobRefs(state, paths, buffers, blobs);

    expect(isBlobRef(state.value)).toBe(true);
    expect(isBlobRef((state.data as { x: { buffer: unknown } }).x.buffer)).toBe(true);
    expect(isBlobRef((state.arrays as unknown[])[1])).toBe(true);
    expect(isBlobRef((state.arrays as { raw: unknown }[])[0]!.raw)).toBe(true);
    // The rest of the state is untouched and the refs are plain JSON (fit for the doc).
    expect(state.description).toBe('img');
    expect((state.data as { x: Record<string, unknown> }).x.shape).toEqual([2]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);

    const back = blobRefsToBuffers(state, blobs);
    expect(byPath(back.bufferPaths, back.buffers)).toEqual(byPath(paths, buffers));
    // Toward the kernel the buffer slots are null, the rest as it was.
    expect(back.state).toEqual({
      description: 'img',
      value: null,
      data: { x: { shape: [2], dtype: 'uint8', buffer: null } },
      arrays: [{ name: 'a', raw: null }, null],
    });
  });

  it('the blob ref is the sha256 of the bytes, stored once for equal buffers', () => {
    const state: Record<string, unknown> = {};
    buffersToBlobRefs(state, [['a'], ['b']], [bytes(7, 7), bytes(7, 7)], blobs);
    const a = state.a as { $quireBlob: string };
    const b = state.b as { $quireBlob: string };
    expect(a.$quireBlob).toMatch(/^[0-9a-f]{64}$/);
    expect(a.$quireBlob).toBe(b.$quireBlob);
    expect([...blobs.get(a.$quireBlob)!]).toEqual([7, 7]);
  });

  it('creates missing intermediate objects on the path', () => {
    const state: Record<string, unknown> = {};
    buffersToBlobRefs(state, [['outer', 'inner', 'leaf']], [bytes(5)], blobs);
    const back = blobRefsToBuffers(state, blobs);
    expect(back.bufferPaths).toEqual([['outer', 'inner', 'leaf']]);
    expect([...back.buffers[0]!]).toEqual([5]);
  });

  it('ignores malformed buffer_paths and missing buffers without throwing', () => {
    const state: Record<string, unknown> = { keep: 1 };
    buffersToBlobRefs(state, 'not a list', [bytes(1)], blobs);
    buffersToBlobRefs(state, [[], 'x', ['y']], [bytes(1), bytes(2)], blobs);
    expect(state).toEqual({ keep: 1 });
  });

  it('does not mutate the state it reads back, and unknown blobs are dropped', () => {
    const state: Record<string, unknown> = { v: { $quireBlob: 'f'.repeat(64) }, w: 2 };
    const snapshot = JSON.parse(JSON.stringify(state));
    const back = blobRefsToBuffers(state, blobs);
    expect(state).toEqual(snapshot);
    expect(back.bufferPaths).toEqual([]);
    expect(back.state).toEqual({ v: null, w: 2 });
  });

  it('toBase64/fromBase64 round-trip a subarray without leaking neighbouring bytes', () => {
    const backing = bytes(1, 2, 3, 4, 5);
    const view = backing.subarray(1, 4);
    expect(toBase64(view)).toBe(Buffer.from([2, 3, 4]).toString('base64'));
    expect([...fromBase64(toBase64(view))]).toEqual([2, 3, 4]);
  });
});
