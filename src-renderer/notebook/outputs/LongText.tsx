import { useMemo, useState, type AriaRole } from 'react';
import { AnsiText } from './AnsiText';
import { truncateText } from './truncate';

const count = (n: number) => n.toLocaleString();

/**
 * Monospace kernel text with ANSI colours. Very long text shows its head and tail around a
 * "Show all" button, so a runaway print cannot freeze the window (see truncate.ts).
 */
export function LongText({ text, className, role }: { text: string; className: string; role?: AriaRole }) {
  const [showAll, setShowAll] = useState(false);
  const truncated = useMemo(() => (showAll ? null : truncateText(text)), [text, showAll]);
  if (!truncated) {
    return (
      <pre className={className} role={role}>
        <AnsiText text={text} />
      </pre>
    );
  }
  const hidden =
    truncated.hiddenLines > 0 ? `${count(truncated.hiddenLines)} more lines` : `${count(truncated.hiddenChars)} more characters`;
  const label = truncated.totalLines > 1 ? `Show all ${count(truncated.totalLines)} lines` : `Show all ${count(truncated.totalChars)} characters`;
  return (
    <pre className={`${className} truncated`} role={role}>
      <AnsiText text={truncated.head} />
      <span className="output-truncation" data-testid="output-truncation">
        <span className="output-truncation-note">… {hidden} not shown</span>
        <button type="button" className="link" onClick={() => setShowAll(true)}>
          {label}
        </button>
      </span>
      <AnsiText text={truncated.tail} />
    </pre>
  );
}
