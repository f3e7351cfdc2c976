import { useMemo } from 'react';
import { ansiSegments } from './ansi';

/** Kernel text with its terminal colours, as React text nodes and spans (never HTML). */
export function AnsiText({ text }: { text: string }) {
  const segments = useMemo(() => ansiSegments(text), [text]);
  return (
    <>
      {segments.map((s, i) =>
        s.className || s.style ? (
          <span key={i} className={s.className} style={s.style}>
            {s.text}
          </span>
        ) : (
          s.text
        ),
      )}
    </>
  );
}
