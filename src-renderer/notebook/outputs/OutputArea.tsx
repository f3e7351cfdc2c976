import type { WidgetHost } from '../../widgets/index';
import { WidgetView } from '../../widgets/WidgetView';
import { OutputItem, type NbOutput } from './OutputItem';

export type { NbOutput } from './OutputItem';

/** A code cell's outputs. */
export function Outputs({ outputs, widgets }: { outputs: NbOutput[]; widgets: WidgetHost }) {
  if (outputs.length === 0) return null;
  const renderWidget = (modelId: string) => <WidgetView host={widgets} modelId={modelId} />;
  return (
    <div className="outputs">
      {outputs.map((output, i) => (
        <div className="output" key={i} data-output-type={String(output.output_type)}>
          <OutputItem output={output} renderWidget={renderWidget} />
        </div>
      ))}
    </div>
  );
}
