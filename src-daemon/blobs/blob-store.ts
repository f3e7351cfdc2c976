/**
 * Content-addressed store for binary widget buffers and other large values. The doc
 * holds only sha256 hashes (`{ $quireBlob }`); bytes live here, written once.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const HASH = /^[0-9a-f]{64}$/;

export class BlobStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  put(bytes: Uint8Array): string {
    const hash = createHash('sha256').update(bytes).digest('hex');
    const file = this.fileOf(hash);
    if (!existsSync(file)) {
      mkdirSync(join(this.dir, hash.slice(0, 2)), { recursive: true, mode: 0o700 });
      // Write-then-rename so a reader never sees a half-written blob.
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes, { mode: 0o600 });
      renameSync(tmp, file);
    }
    return hash;
  }

  get(hash: string): Uint8Array | undefined {
    if (!HASH.test(hash)) return undefined;
    try {
      return new Uint8Array(readFileSync(this.fileOf(hash)));
    } catch {
      return undefined;
    }
  }

  private fileOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash.slice(2));
  }
}
