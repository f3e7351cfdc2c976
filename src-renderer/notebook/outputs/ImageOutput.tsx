import { useMemo, type CSSProperties } from 'react';
import { base64DataUrl, imageSize, svgDataUrl } from './data-url';
import { mimeText } from './mime-bundle';

/** PNG, JPEG, GIF, … (base64) and SVG (text) outputs, sized as the kernel asked. */
export function ImageOutput({ mime, value, metadata }: { mime: string; value: unknown; metadata: unknown }) {
  const raw = mimeText(value);
  const src = useMemo(() => (mime === 'image/svg+xml' ? svgDataUrl(raw) : base64DataUrl(mime, raw)), [mime, raw]);
  const size = imageSize(metadata, mime);
  const style: CSSProperties = size.unconfined ? { maxWidth: 'none' } : {};
  return (
    <img
      className="output-image"
      data-mime={mime}
      alt=""
      src={src}
      width={size.width}
      height={size.height}
      style={style}
    />
  );
}
