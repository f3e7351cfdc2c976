/** Data URLs for image outputs (the CSP allows `img-src data:`). */

/** Base64 of a string's UTF-8 bytes (`btoa` alone rejects anything beyond Latin-1). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  // Chunked: spreading a whole large SVG into fromCharCode would overflow the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * An SVG output as an <img> source: inside an <img>, an SVG's scripts, handlers and
 * external loads never run, so kernel SVG needs no sanitizing.
 */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;base64,${base64Utf8(svg)}`;
}

/** Raster outputs are base64 already; nbformat allows line breaks inside it. */
export function base64DataUrl(mime: string, base64: string): string {
  return `data:${mime};base64,${base64.replace(/\s+/g, '')}`;
}

export interface ImageSize {
  width?: number;
  height?: number;
  /** JupyterLab's `unconfined`: show at natural size rather than shrinking to the cell. */
  unconfined?: boolean;
}

/** Size hints of an image output: `metadata[mime]` (IPython's Image(width=…)), then top-level. */
export function imageSize(metadata: unknown, mime: string): ImageSize {
  const md = (metadata && typeof metadata === 'object' ? metadata : {}) as Record<string, unknown>;
  const own = (md[mime] && typeof md[mime] === 'object' ? md[mime] : {}) as Record<string, unknown>;
  const positive = (v: unknown) => {
    const n = typeof v === 'string' ? Number(v) : v;
    return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const size: ImageSize = {};
  const width = positive(own.width) ?? positive(md.width);
  const height = positive(own.height) ?? positive(md.height);
  if (width !== undefined) size.width = width;
  if (height !== undefined) size.height = height;
  if (own.unconfined === true || md.unconfined === true) size.unconfined = true;
  return size;
}
