/**
 * Minimal markdown display until the editing issue brings a markdown library: headings and
 * paragraphs as text (no HTML is interpreted, so nothing in a notebook can inject markup).
 */
export function Markdown({ source }: { source: string }) {
  const blocks = source.split(/\n{2,}/);
  return (
    <>
      {blocks.map((block, i) => {
        const heading = /^(#{1,6})\s+(.*)$/s.exec(block.trim());
        if (heading) {
          const level = Math.min(heading[1]!.length + 1, 6);
          const Tag = `h${level}` as 'h2';
          return <Tag key={i}>{heading[2]}</Tag>;
        }
        return <p key={i}>{block}</p>;
      })}
    </>
  );
}

/** The rendered view of a markdown cell (replaced by the markdown renderer of the outputs work). */
export const MarkdownView = Markdown;
