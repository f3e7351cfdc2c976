/**
 * Terminal colours in kernel text (stream output, tracebacks, text/plain) parsed by `anser`
 * into segments that React renders as spans: the text stays text (never HTML), and the 16
 * standard colours become classes so each theme sets its own palette (outputs.css).
 */
import Anser from 'anser';

export interface AnsiSegment {
  text: string;
  className?: string;
  /** Only for 256-colour and true-colour codes, which no palette class can name. */
  style?: { color?: string; backgroundColor?: string };
}

const NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
const ESC = '\u001b';

/** A foreground or background colour: a palette class stem, or a literal CSS colour. */
type Colour = { name: string } | { css: string } | null;

/** xterm's 256-colour table beyond the 16 named colours: a 6×6×6 cube, then 24 greys. */
export function xterm256(index: number): string {
  if (index >= 232) {
    const grey = 8 + (index - 232) * 10;
    return `rgb(${grey}, ${grey}, ${grey})`;
  }
  const cube = index - 16;
  const level = (n: number) => (n === 0 ? 0 : 55 + n * 40);
  return `rgb(${level(Math.floor(cube / 36))}, ${level(Math.floor(cube / 6) % 6)}, ${level(cube % 6)})`;
}

function colourOf(anserColour: string | null, truecolor: string | null): Colour {
  if (!anserColour) return null;
  if (anserColour === 'ansi-truecolor') return truecolor ? { css: `rgb(${truecolor})` } : null;
  const palette = /^ansi-palette-(\d+)$/.exec(anserColour);
  if (palette) {
    const index = Number(palette[1]);
    if (index < 8) return { name: `ansi-${NAMES[index]}` };
    if (index < 16) return { name: `ansi-bright-${NAMES[index - 8]}` };
    return index < 256 ? { css: xterm256(index) } : null;
  }
  // anser names the 16 standard colours itself: ansi-red, ansi-bright-red, …
  return { name: anserColour };
}

const DECORATION_CLASSES: Record<string, string> = {
  bold: 'ansi-bold',
  dim: 'ansi-dim',
  italic: 'ansi-italic',
  underline: 'ansi-underline',
  hidden: 'ansi-hidden',
  strikethrough: 'ansi-strikethrough',
};

export function ansiSegments(text: string): AnsiSegment[] {
  if (!text.includes(ESC)) return text ? [{ text }] : [];
  return Anser.ansiToJson(text, { use_classes: true, remove_empty: true }).map((entry) => {
    // anser has already applied reverse video (swapped colours, defaulting to white on black).
    const fg = colourOf(entry.fg, entry.fg_truecolor);
    const bg = colourOf(entry.bg, entry.bg_truecolor);
    const classes: string[] = [];
    const decorations = entry.decorations ?? [];
    const style: AnsiSegment['style'] = {};
    if (fg && 'name' in fg) classes.push(`${fg.name}-fg`);
    if (fg && 'css' in fg) style.color = fg.css;
    if (bg && 'name' in bg) classes.push(`${bg.name}-bg`);
    if (bg && 'css' in bg) style.backgroundColor = bg.css;
    for (const d of decorations) if (DECORATION_CLASSES[d]) classes.push(DECORATION_CLASSES[d]);
    const segment: AnsiSegment = { text: entry.content };
    if (classes.length) segment.className = classes.join(' ');
    if (style.color || style.backgroundColor) segment.style = style;
    return segment;
  });
}
