/**
 * Which representation of a display_data / execute_result bundle to show: the richest one
 * Quire can render, in the order JupyterLab's rendermime ranks them.
 */

export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

/** Richest first. Widget views come before all of these when their model id is usable. */
export const RICH_MIME_ORDER = [
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'text/markdown',
  'text/latex',
  'application/json',
  'text/plain',
] as const;

export type RichMime = (typeof RICH_MIME_ORDER)[number];
export type ChosenMime = RichMime | typeof WIDGET_VIEW_MIME;

export type MimeBundle = Record<string, unknown>;

/** The widget model a bundle displays, when it carries a usable widget view. */
export function widgetModelId(data: MimeBundle): string | undefined {
  const view = data[WIDGET_VIEW_MIME] as { model_id?: unknown } | undefined;
  return view && typeof view.model_id === 'string' && view.model_id ? view.model_id : undefined;
}

export function chooseMimeType(data: MimeBundle): ChosenMime | undefined {
  if (widgetModelId(data)) return WIDGET_VIEW_MIME;
  return RICH_MIME_ORDER.find((mime) => data[mime] !== undefined && data[mime] !== null);
}

/** nbformat stores text either as a string or as a list of lines to be concatenated. */
export function mimeText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(String).join('');
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function isImageMime(mime: string): boolean {
  return mime.startsWith('image/');
}
