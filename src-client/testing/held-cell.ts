/**
 * Python code for a cell that runs until the test releases it. Tests that must see a cell
 * running (busy status, a window opened meanwhile, edits while it runs) used fixed sleeps, and
 * on a loaded machine the sleep could end before the test got to look.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let held = 0;

export interface HeldCell {
  /** One line of Python (indent it anywhere) that polls for a release file in `dir`. */
  code: string;
  /** Lets the cell end. */
  release(): void;
}

export function heldCell(dir: string): HeldCell {
  const flag = join(dir, `release-cell-${process.pid}-${++held}`);
  return {
    code: `while not __import__('os').path.exists(${JSON.stringify(flag)}): __import__('time').sleep(0.02)`,
    release: () => writeFileSync(flag, ''),
  };
}
