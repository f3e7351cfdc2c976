/** nbformat 4.5 cell ids: `^[a-zA-Z0-9-_]+$`, 1–64 characters, unique within a notebook. */

import type { Cell, Notebook } from './model';

const CELL_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export function isValidCellId(id: string): boolean {
  return CELL_ID.test(id);
}

/**
 * A fresh cell id: 8 random hex digits, like nbformat's `random_cell_id`. Pass the ids
 * already in the notebook to rule out the (rare) collision.
 */
export function newCellId(taken?: ReadonlySet<string>): string {
  const bytes = new Uint8Array(4);
  for (;;) {
    // Web Crypto exists both in Node ≥ 20 and in browsers, so this stays platform-neutral.
    crypto.getRandomValues(bytes);
    const id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    if (!taken?.has(id)) return id;
  }
}

/**
 * The notebook as nbformat 4.5: every cell gets a valid id unique in the notebook (existing
 * good ids are kept; missing, invalid and repeated ones are replaced, the first of a repeated
 * id keeps it). Returns `nb` itself when nothing needed to change.
 */
export function ensureCellIds(nb: Notebook): Notebook {
  const seen = new Set<string>();
  const needsId = nb.cells.map((cell) => {
    const ok = cell.id !== undefined && isValidCellId(cell.id) && !seen.has(cell.id);
    if (ok && cell.id !== undefined) seen.add(cell.id);
    return !ok;
  });
  if (nb.nbformat_minor >= 5 && !needsId.includes(true)) return nb;
  const cells = nb.cells.map((cell, i): Cell => {
    if (!needsId[i]) return cell;
    const id = newCellId(seen);
    seen.add(id);
    return { ...cell, id };
  });
  return { ...nb, nbformat_minor: Math.max(nb.nbformat_minor, 5), cells };
}
