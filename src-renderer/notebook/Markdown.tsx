import { RenderedMarkdown } from './outputs/RenderedMarkdown';

/** A markdown cell's rendered view: the same renderer as text/markdown outputs (math included). */
export function MarkdownView({ source }: { source: string }) {
  if (!source.trim()) return <p className="markdown-empty muted">Empty markdown cell</p>;
  return <RenderedMarkdown className="markdown-cell" source={source} />;
}

/** The name CellView imports. */
export { MarkdownView as Markdown };
