/**
 * The Content-Security-Policy of every renderer window, one list for both hosts (Electron
 * sets it as a response header, the browser host likewise; index.html repeats it as a meta
 * tag for file:// loads). Widgets set inline styles, hence 'unsafe-inline' for styles only.
 * `blob:` in script-src is for anywidget: its `_esm` source is imported from a blob: URL
 * made by the renderer (src-renderer/widgets/anywidget.ts); no remote script is allowed.
 *
 * Third-party widget libraries load from the kernel environment's labextensions: the browser
 * host serves them from 'self' (under its token path); Electron's file:// page gets them
 * through the `quire-ext:` scheme its main process handles (src-main/electron/index.ts), so
 * that scheme is allowed for scripts and for the images and fonts their CSS refers to. It is
 * not a scheme Chromium knows, so it changes nothing for the browser host.
 */
export const LABEXTENSION_SCHEME = 'quire-ext';

export function rendererCsp(extraConnectSrc: string[] = []): string {
  const ext = `${LABEXTENSION_SCHEME}:`;
  return [
    "default-src 'self'",
    `script-src 'self' blob: ${ext}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob: ${ext}`,
    `font-src 'self' data: ${ext}`,
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
