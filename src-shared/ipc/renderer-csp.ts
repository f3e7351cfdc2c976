/**
 * The Content-Security-Policy of every renderer window, one list for both hosts (Electron
 * sets it as a response header, the browser host likewise; index.html repeats it as a meta
 * tag for file:// loads). Widgets set inline styles, hence 'unsafe-inline' for styles only.
 * `blob:` in script-src is for anywidget: its `_esm` source is imported from a blob: URL
 * made by the renderer (src-renderer/widgets/anywidget.ts); no remote script is allowed.
 */
export function rendererCsp(extraConnectSrc: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...extraConnectSrc].join(' '),
    "media-src 'self' blob: data:",
    "frame-src 'none'",
    "child-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}
