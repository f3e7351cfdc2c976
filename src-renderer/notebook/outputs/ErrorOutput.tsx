import { LongText } from './LongText';

/** An exception: IPython's coloured traceback, or just the name and message when there is none. */
export function ErrorOutput({ ename, evalue, traceback }: { ename: unknown; evalue: unknown; traceback: unknown }) {
  const text =
    Array.isArray(traceback) && traceback.length ? traceback.map(String).join('\n') : `${String(ename ?? 'Error')}: ${String(evalue ?? '')}`;
  return <LongText className="output-error" role="alert" text={text} />;
}
