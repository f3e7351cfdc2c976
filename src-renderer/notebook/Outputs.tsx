import { sanitizeHtml } from '../safe-html';
import type { WidgetHost } from '../widgets/index';
import { WidgetView } from '../widgets/WidgetView';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
// Escape sequences for colours; shown as plain text until outputs get an ANSI renderer.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

type Output = Record<string, unknown>;

function text(value: unknown): string {
  return Array.isArray(value) ? value.join('') : String(value ?? '');
}

function MimeBundle({ data, widgets }: { data: Record<string, unknown>; widgets: WidgetHost }) {
  const view = data[WIDGET_MIME] as { model_id?: unknown } | undefined;
  if (view && typeof view.model_id === 'string') {
    return <WidgetView host={widgets} modelId={view.model_id} />;
  }
  if ('text/html' in data) {
    // DOMPurify strips scripts and handlers; kernels' HTML is shown, never executed.
    return <div className="output-html" dangerouslySetInnerHTML={{ __html: sanitizeHtml(text(data['text/html'])) }} />;
  }
  for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
    if (mime in data) return <img className="output-image" alt="" src={`data:${mime};base64,${text(data[mime]).replace(/\s/g, '')}`} />;
  }
  if ('image/svg+xml' in data) {
    return <img className="output-image" alt="" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(text(data['image/svg+xml']))}`} />;
  }
  if ('text/plain' in data) return <pre className="output-text">{text(data['text/plain'])}</pre>;
  return <pre className="output-text muted">[{Object.keys(data).join(', ') || 'empty output'}]</pre>;
}

function OutputItem({ output, widgets }: { output: Output; widgets: WidgetHost }) {
  switch (output.output_type) {
    case 'stream':
      return <pre className={`output-stream ${output.name === 'stderr' ? 'stderr' : ''}`}>{text(output.text).replace(ANSI, '')}</pre>;
    case 'error':
      return (
        <pre className="output-error" role="alert">
          {(Array.isArray(output.traceback) && output.traceback.length
            ? output.traceback.map(String).join('\n')
            : `${String(output.ename)}: ${String(output.evalue)}`
          ).replace(ANSI, '')}
        </pre>
      );
    case 'display_data':
    case 'execute_result':
      return <MimeBundle data={(output.data ?? {}) as Record<string, unknown>} widgets={widgets} />;
    default:
      return null;
  }
}

export function Outputs({ outputs, widgets }: { outputs: Output[]; widgets: WidgetHost }) {
  if (outputs.length === 0) return null;
  return (
    <div className="outputs">
      {outputs.map((output, i) => (
        <div className="output" key={i} data-output-type={String(output.output_type)}>
          <OutputItem output={output} widgets={widgets} />
        </div>
      ))}
    </div>
  );
}
