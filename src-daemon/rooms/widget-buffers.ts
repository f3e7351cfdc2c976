/**
 * ipywidgets sends binary traits as trailing buffers plus `buffer_paths` into the state.
 * In the doc a buffer becomes a blob reference; toward the kernel it becomes a buffer
 * again. Both directions live here.
 */
import { blobRef, isBlobRef } from '../../src-shared/schema/notebook-doc';
import type { BlobStore } from '../blobs/blob-store';

export type BufferPath = (string | number)[];

function isContainer(v: unknown): v is Record<string | number, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Replaces each buffer at its path with a blob reference (mutates `state`). */
export function buffersToBlobRefs(
  state: Record<string, unknown>,
  bufferPaths: unknown,
  buffers: Uint8Array[],
  blobs: BlobStore,
): void {
  if (!Array.isArray(bufferPaths)) return;
  bufferPaths.forEach((path, i) => {
    const buffer = buffers[i];
    if (!Array.isArray(path) || path.length === 0 || buffer === undefined) return;
    let parent: unknown = state;
    for (const step of path.slice(0, -1)) {
      if (!isContainer(parent)) return;
      if (!isContainer((parent as Record<string | number, unknown>)[step])) {
        (parent as Record<string | number, unknown>)[step] = {};
      }
      parent = (parent as Record<string | number, unknown>)[step];
    }
    if (isContainer(parent)) (parent as Record<string | number, unknown>)[path[path.length - 1]] = blobRef(blobs.put(buffer));
  });
}

/**
 * Turns blob references back into buffers for the kernel. Returns a copy of `state`
 * with each reference replaced by null, plus the paths and bytes.
 */
export function blobRefsToBuffers(
  state: Record<string, unknown>,
  blobs: BlobStore,
): { state: Record<string, unknown>; bufferPaths: BufferPath[]; buffers: Uint8Array[] } {
  const bufferPaths: BufferPath[] = [];
  const buffers: Uint8Array[] = [];
  const walk = (value: unknown, path: BufferPath): unknown => {
    if (isBlobRef(value)) {
      const bytes = blobs.get(value.$quireBlob);
      if (bytes) {
        bufferPaths.push(path);
        buffers.push(bytes);
      }
      return null;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (isContainer(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return value;
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) out[key] = walk(value, [key]);
  return { state: out, bufferPaths, buffers };
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
