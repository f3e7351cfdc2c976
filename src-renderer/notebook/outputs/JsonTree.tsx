/**
 * application/json outputs as a collapsible tree. Written by hand: it is a few dozen lines,
 * while JupyterLab's JSON viewer pulls in react-json-tree, a theme system and a search we do
 * not need. Collapsed nodes render no children, and wide nodes show their first entries, so
 * a huge document costs only what is open.
 */
import { useState } from 'react';


/** Entries a node shows before a "Show more" button. */
const PAGE = 100;

function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function Primitive({ value }: { value: unknown }) {
  if (typeof value === 'string') return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="json-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="json-boolean">{String(value)}</span>;
  return <span className="json-null">null</span>;
}

function JsonNode({ name, value, depth, expandDepth }: { name: string | null; value: unknown; depth: number; expandDepth: number }) {
  const [open, setOpen] = useState(depth < expandDepth);
  const [shown, setShown] = useState(PAGE);
  const label = name === null ? null : <span className="json-key">{name}</span>;
  if (!isContainer(value)) {
    return (
      <li role="treeitem" className="json-leaf">
        {label}
        {label && ': '}
        <Primitive value={value} />
      </li>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const [openBracket, closeBracket] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const summary = Array.isArray(value) ? `${entries.length} item${entries.length === 1 ? '' : 's'}` : `${entries.length} key${entries.length === 1 ? '' : 's'}`;
  return (
    <li role="treeitem" aria-expanded={open} className="json-node">
      <button type="button" className="json-toggle" aria-label={open ? 'Collapse' : 'Expand'} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'}
      </button>
      {label}
      {label && ': '}
      <span className="json-bracket">{openBracket}</span>
      {open ? (
        <>
          <ul role="group">
            {entries.slice(0, shown).map(([key, child]) => (
              <JsonNode key={key} name={key} value={child} depth={depth + 1} expandDepth={expandDepth} />
            ))}
            {entries.length > shown && (
              <li className="json-more">
                <button type="button" className="link" onClick={() => setShown(shown + PAGE)}>
                  Show {Math.min(PAGE, entries.length - shown)} more of {entries.length - shown}
                </button>
              </li>
            )}
          </ul>
          <span className="json-bracket">{closeBracket}</span>
        </>
      ) : (
        <button type="button" className="json-summary" onClick={() => setOpen(true)}>
          … {summary} {closeBracket}
        </button>
      )}
    </li>
  );
}

/** `expandDepth`: how many levels start open (1: the top level's entries are listed). */
export function JsonTree({ value, expandDepth = 1 }: { value: unknown; expandDepth?: number }) {
  return (
    <ul className="json-tree" role="tree">
      <JsonNode name={null} value={value} depth={0} expandDepth={expandDepth} />
    </ul>
  );
}
