/**
 * Reading a room's recovery snapshot as the daemon writes it (src-daemon/rooms/doc-snapshots.ts):
 * a base `A.save` in `<roomId>.automerge`, and a log beside it of u32 big-endian length +
 * `A.saveSince` bytes per record. Shared so the tests and the bench read exactly what a restore reads.
 */
import * as A from '@automerge/automerge';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NotebookDoc } from '../schema/notebook-doc';

/** A base snapshot with every complete record of its log applied (what a restore loads). */
export function readSnapshot(snapshot: string, onTornRecord: (bytes: number) => void = () => {}): A.Doc<NotebookDoc> {
  let doc = A.load<NotebookDoc>(new Uint8Array(readFileSync(snapshot)));
  const log = `${snapshot}.log`;
  if (!existsSync(log)) return doc;
  const bytes = readFileSync(log);
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) break;
    doc = A.loadIncremental(doc, new Uint8Array(bytes.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  if (at < bytes.length) onTornRecord(bytes.length - at);
  return doc;
}

/** Every room snapshot in a QUIRE_HOME's docs folder, each as a restore would load it. */
export function readSnapshotsIn(home: string): A.Doc<NotebookDoc>[] {
  const docs = join(home, 'docs');
  if (!existsSync(docs)) return [];
  const found: A.Doc<NotebookDoc>[] = [];
  for (const file of readdirSync(docs).filter((f) => f.endsWith('.automerge'))) {
    try {
      found.push(readSnapshot(join(docs, file)));
    } catch {
      // caught between the writes of a new base: the next look sees it whole
    }
  }
  return found;
}
