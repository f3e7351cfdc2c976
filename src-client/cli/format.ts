/** Plain-text rendering of outputs and widgets for the terminal. */
import type { OutputJson } from '../../src-shared/protocol/messages';
import type { CommRecord } from '../../src-shared/schema/notebook-doc';

// Strip ANSI colour codes when the terminal cannot show them.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function plain(text: string, keepAnsi: boolean): string {
  return keepAnsi ? text : text.replace(ANSI, '');
}

function joined(v: unknown): string {
  return Array.isArray(v) ? v.join('') : String(v ?? '');
}

export function formatOutput(output: OutputJson, keepAnsi: boolean): string {
  switch (output.output_type) {
    case 'stream':
      return plain(String(output.text ?? ''), keepAnsi);
    case 'error':
      return plain((output.traceback as string[] | undefined)?.join('\n') ?? `${output.ename}: ${output.evalue}`, keepAnsi) + '\n';
    case 'display_data':
    case 'execute_result': {
      const data = (output.data ?? {}) as Record<string, unknown>;
      const view = data['application/vnd.jupyter.widget-view+json'] as { model_id?: string } | undefined;
      if (view?.model_id) return `[widget ${view.model_id}]\n`;
      if ('text/plain' in data) return joined(data['text/plain']) + '\n';
      return `[${Object.keys(data).join(', ') || 'empty output'}]\n`;
    }
    default:
      return '';
  }
}

const SHOWN_TRAITS = ['value', 'description', 'min', 'max', 'children'];

export function formatWidgets(widgets: CommRecord[]): string {
  const rows = widgets
    .filter((w) => w.targetName === 'jupyter.widget' || w.modelName)
    .map((w) => {
      const traits = SHOWN_TRAITS.filter((k) => k in w.state)
        .map((k) => `${k}=${JSON.stringify(w.state[k])}`)
        .join(' ');
      return `${String(w.seq).padStart(4)}  ${w.id}  ${w.modelName || w.targetName}  ${traits}`;
    });
  if (rows.length === 0) return 'no widgets\n';
  return ['seq   id                                modelName  traits', ...rows].join('\n') + '\n';
}
