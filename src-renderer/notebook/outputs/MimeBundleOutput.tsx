import type { ReactNode } from 'react';
import { ImageOutput } from './ImageOutput';
import { JsonTree } from './JsonTree';
import { LatexOutput } from './LatexOutput';
import { LongText } from './LongText';
import { chooseMimeType, isImageMime, mimeText, WIDGET_VIEW_MIME, widgetModelId, type MimeBundle } from './mime-bundle';
import { RenderedMarkdown } from './RenderedMarkdown';
import { SanitizedHtml } from './SanitizedHtml';

export interface MimeBundleProps {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  /**
   * Renders a widget view. Passed in rather than imported so that the widget code can use
   * these renderers (the Output widget) without an import cycle.
   */
  renderWidget?: (modelId: string) => ReactNode;
}

/** One display_data / execute_result: its richest representation (see mime-bundle.ts). */
export function MimeBundleOutput({ data, metadata, renderWidget }: MimeBundleProps) {
  const mime = chooseMimeType(renderWidget ? data : withoutWidget(data));
  if (mime === undefined) {
    const types = Object.keys(data);
    return <pre className="output-text muted">[{types.length ? `no renderer for ${types.join(', ')}` : 'empty output'}]</pre>;
  }
  const value = data[mime];
  if (mime === WIDGET_VIEW_MIME) return <>{renderWidget?.(widgetModelId(data)!)}</>;
  if (isImageMime(mime)) return <ImageOutput mime={mime} value={value} metadata={metadata} />;
  switch (mime) {
    case 'text/html':
      return <SanitizedHtml className="output-html" html={mimeText(value)} />;
    case 'text/markdown':
      return <RenderedMarkdown className="output-markdown" source={mimeText(value)} />;
    case 'text/latex':
      return <LatexOutput source={mimeText(value)} />;
    case 'application/json':
      return (
        <div className="output-json">
          <JsonTree value={typeof value === 'string' ? parseOrKeep(value) : value} expandDepth={jsonExpandDepth(metadata)} />
        </div>
      );
    default:
      return <LongText className="output-text" text={mimeText(value)} />;
  }
}

function withoutWidget(data: MimeBundle): MimeBundle {
  const { [WIDGET_VIEW_MIME]: _widget, ...rest } = data;
  return rest;
}

function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** IPython's JSON(expanded=True) asks for every level open. */
function jsonExpandDepth(metadata: Record<string, unknown>): number {
  const own = metadata['application/json'] as { expanded?: unknown } | undefined;
  return own?.expanded === true || metadata.expanded === true ? Infinity : 1;
}
