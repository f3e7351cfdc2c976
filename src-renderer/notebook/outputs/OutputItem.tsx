import './outputs.css';
import type { ReactNode } from 'react';
import { ErrorOutput } from './ErrorOutput';
import { MimeBundleOutput } from './MimeBundleOutput';
import type { MimeBundle } from './mime-bundle';
import { StreamOutput } from './StreamOutput';

/** One nbformat output dict, as stored in the notebook doc (`CellView.outputs`). */
export type NbOutput = Record<string, unknown>;

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * One output of any type. Imports nothing from widgets/, so the Output widget's view can
 * render its captured outputs with it (widget views inside come through `renderWidget`).
 */
export function OutputItem({ output, renderWidget }: { output: NbOutput; renderWidget?: (modelId: string) => ReactNode }) {
  switch (output.output_type) {
    case 'stream':
      return <StreamOutput name={output.name} text={output.text} />;
    case 'error':
      return <ErrorOutput ename={output.ename} evalue={output.evalue} traceback={output.traceback} />;
    case 'display_data':
    case 'execute_result':
      return <MimeBundleOutput data={asRecord(output.data) as MimeBundle} metadata={asRecord(output.metadata)} renderWidget={renderWidget} />;
    default:
      return null;
  }
}
