/**
 * Progress bars (tqdm, pip) redraw a line with `\r`. A terminal overwrites the line from its
 * first column; JupyterLab does the same, so a finished progress bar shows once, not as
 * every intermediate frame glued together.
 */
export function applyCarriageReturns(text: string): string {
  if (!text.includes('\r')) return text;
  return text.replace(/\r+\n/g, '\n').split('\n').map(overwriteLine).join('\n');
}

function overwriteLine(line: string): string {
  if (!line.includes('\r')) return line;
  let shown = '';
  // Each segment overwrites as many columns as it has; a longer earlier segment shows through.
  for (const segment of line.split('\r')) shown = segment + shown.slice(segment.length);
  return shown;
}
