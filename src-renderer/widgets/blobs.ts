/**
 * Binary widget values in the doc. The daemon stores buffers (ipywidgets Image, numpy
 * arrays, …) in its content-addressed blob store and leaves `{ "$quireBlob": "<sha256>" }`
 * at the buffer's path in the trait. Before state reaches a model we swap each placeholder
 * for a DataView of the fetched bytes — exactly what `put_buffers` would have put there
 * from a kernel message, so the official deserializers see what they expect.
 */

const HASH = /^[0-9a-f]{64}$/;

export interface BlobRef {
  $quireBlob: string;
}

export function isBlobRef(value: unknown): value is BlobRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const hash = (value as Record<string, unknown>).$quireBlob;
  return keys.length === 1 && typeof hash === 'string' && HASH.test(hash);
}

/** True when `value` holds a blob placeholder anywhere inside it. */
export function containsBlobRef(value: unknown): boolean {
  if (isBlobRef(value)) return true;
  if (Array.isArray(value)) return value.some(containsBlobRef);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsBlobRef);
  return false;
}

export function base64ToDataView(base64: string): DataView {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new DataView(bytes.buffer);
}

export function bufferToBase64(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/**
 * Fetches blobs by hash, sharing one request between concurrent users of the same hash.
 * Bytes are not kept after the request settles: models own their DataViews.
 */
export class BlobFetcher {
  private readonly inFlight = new Map<string, Promise<DataView>>();

  constructor(private readonly getBlob: (hash: string) => Promise<string>) {}

  fetch(hash: string): Promise<DataView> {
    let pending = this.inFlight.get(hash);
    if (!pending) {
      pending = this.getBlob(hash)
        .then(base64ToDataView)
        .finally(() => this.inFlight.delete(hash));
      this.inFlight.set(hash, pending);
    }
    return pending;
  }

  /** A copy of `value` with every blob placeholder replaced by its bytes. */
  async resolve<T>(value: T): Promise<T> {
    if (!containsBlobRef(value)) return value;
    return (await this.walk(value)) as T;
  }

  private async walk(value: unknown): Promise<unknown> {
    if (isBlobRef(value)) {
      try {
        return await this.fetch(value.$quireBlob);
      } catch (err) {
        throw new Error(`could not fetch widget buffer ${value.$quireBlob.slice(0, 12)}…: ${(err as Error).message}`);
      }
    }
    if (Array.isArray(value)) return Promise.all(value.map((v) => this.walk(v)));
    if (typeof value === 'object' && value !== null) {
      const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await this.walk(v)] as const));
      return Object.fromEntries(entries);
    }
    return value;
  }
}
