/**
 * Long text outputs are cut to their head and tail before rendering, as VS Code does: a
 * runaway print loop must not build a million DOM nodes and freeze the window. The person
 * sees both ends (the start of a log, the latest lines and any final error) and a button
 * to show everything.
 */

export interface TextLimits {
  /** Text with more lines than this is truncated… */
  maxLines: number;
  /** …and so is text with more characters than this (one enormous line counts too). */
  maxChars: number;
  headLines: number;
  tailLines: number;
  headChars: number;
  tailChars: number;
}

export const DEFAULT_TEXT_LIMITS: TextLimits = {
  maxLines: 2_000,
  maxChars: 200_000,
  headLines: 500,
  tailLines: 100,
  headChars: 100_000,
  tailChars: 20_000,
};

export interface TruncatedText {
  head: string;
  tail: string;
  hiddenLines: number;
  hiddenChars: number;
  totalLines: number;
  totalChars: number;
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  // A final newline ends the last line rather than starting an empty one.
  return text.endsWith('\n') ? lines - 1 : lines;
}

/** Index just past the `n`th newline, or the text's length when there are fewer. */
function afterNthNewline(text: string, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) {
    const next = text.indexOf('\n', at);
    if (next === -1) return text.length;
    at = next + 1;
  }
  return at;
}

/** Index where the last `n` lines begin (a final newline does not start a line). */
function startOfLastLines(text: string, n: number): number {
  let at = text.endsWith('\n') ? text.length - 1 : text.length;
  for (let i = 0; i < n; i++) {
    const prev = text.lastIndexOf('\n', at - 1);
    if (prev === -1) return 0;
    at = prev;
  }
  return at + 1;
}

// A cut through an escape sequence would print its remains ("[31") as text.
const PARTIAL_ESCAPE_AT_END = /\u001b(\[[0-9;?]*)?$/;

/** The head and tail to show, or null when the text is short enough to show whole. */
export function truncateText(text: string, limits: TextLimits = DEFAULT_TEXT_LIMITS): TruncatedText | null {
  if (text.length <= limits.maxChars && countLines(text) <= limits.maxLines) return null;
  const headEnd = Math.min(afterNthNewline(text, limits.headLines), limits.headChars);
  const tailStart = Math.max(startOfLastLines(text, limits.tailLines), text.length - limits.tailChars, headEnd);
  const head = text.slice(0, headEnd).replace(PARTIAL_ESCAPE_AT_END, '');
  const tail = text.slice(tailStart);
  const totalLines = countLines(text);
  return {
    head,
    tail,
    hiddenLines: Math.max(0, totalLines - countLines(head) - countLines(tail)),
    hiddenChars: text.length - head.length - tail.length,
    totalLines,
    totalChars: text.length,
  };
}
