/**
 * The CodeMirror setup of a cell editor: what JupyterLab users expect from a cell (no line
 * numbers, bracket matching and closing, indentation on input, highlight by language) and the
 * theme that follows the app's CSS variables, so light and dark follow the OS.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import { bracketMatching, defaultHighlightStyle, HighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { EditorState, type Extension } from '@codemirror/state';
import { drawSelection, EditorView, highlightSpecialChars, keymap } from '@codemirror/view';
import { tags } from '@lezer/highlight';

/** Language support by the cell's type and the kernel's language (plain text when unknown). */
export function languageFor(cellType: string, language: string | null): Extension {
  if (cellType === 'markdown') return markdown();
  if (cellType === 'code' && (language ?? 'python').toLowerCase() === 'python') return python();
  return [];
}

const darkHighlight = HighlightStyle.define([
  { tag: tags.keyword, color: '#ff7b72' },
  { tag: [tags.string, tags.special(tags.string)], color: '#a5d6ff' },
  { tag: [tags.number, tags.bool, tags.null], color: '#79c0ff' },
  { tag: tags.comment, color: '#8b949e', fontStyle: 'italic' },
  { tag: [tags.function(tags.variableName), tags.definition(tags.variableName)], color: '#d2a8ff' },
  { tag: [tags.className, tags.typeName], color: '#ffa657' },
  { tag: tags.operator, color: '#ff7b72' },
  { tag: tags.heading, color: '#79c0ff', fontWeight: 'bold' },
  { tag: tags.link, color: '#a5d6ff', textDecoration: 'underline' },
]);

const prefersDark = () => typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;

const theme = EditorView.theme({
  '&': { backgroundColor: 'var(--cell-bg)', color: 'var(--fg)', border: '1px solid var(--border)', borderRadius: '4px' },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '-1px' },
  '.cm-content': { fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace", fontSize: '13px', lineHeight: '1.45', padding: '6px 0' },
  '.cm-line': { padding: '0 8px' },
  '.cm-cursor': { borderLeftColor: 'var(--fg)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: 'var(--selection)' },
});

/** Everything but the language, the collab extension and the notebook's own keys (the cell editor adds those). */
export function baseExtensions(): Extension[] {
  return [
    // Keep '\r' as text: the authority and Automerge count it, so offsets must too.
    EditorState.lineSeparator.of('\n'),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    indentUnit.of('    '),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ activateOnTyping: false }),
    highlightSelectionMatches(),
    syntaxHighlighting(prefersDark() ? darkHighlight : defaultHighlightStyle, { fallback: true }),
    EditorView.lineWrapping,
    theme,
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
  ];
}
