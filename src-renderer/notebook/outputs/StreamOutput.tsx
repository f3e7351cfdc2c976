import { useMemo } from 'react';
import { applyCarriageReturns } from './carriage-returns';
import { LongText } from './LongText';
import { mimeText } from './mime-bundle';

/** stdout / stderr of a cell (the daemon already joins consecutive writes to one stream). */
export function StreamOutput({ name, text }: { name: unknown; text: unknown }) {
  const shown = useMemo(() => applyCarriageReturns(mimeText(text)), [text]);
  return <LongText className={`output-stream ${name === 'stderr' ? 'stderr' : 'stdout'}`} text={shown} />;
}
