/**
 * Python's `str.splitlines(keepends=True)`, which nbformat uses to store multi-line text as
 * lists of lines. Its notion of a line break is wider than "\n", and matching it exactly is
 * what makes our output byte-identical to Jupyter's.
 */

/** One line including its terminator: \r\n, or any single Python line boundary. */
const LINE = /[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])?/gy;

export function splitLines(text: string): string[] {
  const lines: string[] = [];
  LINE.lastIndex = 0;
  while (LINE.lastIndex < text.length) {
    const match = LINE.exec(text);
    if (match === null) break; // unreachable: the pattern always matches at least one char here
    lines.push(match[0]);
  }
  return lines;
}
