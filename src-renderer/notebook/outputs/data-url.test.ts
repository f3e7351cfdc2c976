import { describe, expect, it } from 'vitest';
import { base64DataUrl, imageSize, svgDataUrl } from './data-url';

describe('svgDataUrl', () => {
  it('base64-encodes UTF-8, so non-Latin text survives', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>π ≈ 3.14 — ✓</text></svg>';
    const url = svgDataUrl(svg);
    expect(url.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(url.split(',')[1]!, 'base64').toString('utf8')).toBe(svg);
  });
  it('handles SVGs larger than one encoding chunk', () => {
    const svg = `<svg>${'<rect/>'.repeat(20_000)}</svg>`;
    expect(Buffer.from(svgDataUrl(svg).split(',')[1]!, 'base64').toString('utf8')).toBe(svg);
  });
});

describe('base64DataUrl', () => {
  it('removes the line breaks nbformat allows inside base64', () => {
    expect(base64DataUrl('image/png', 'iVBO\nRw0K\n')).toBe('data:image/png;base64,iVBORw0K');
  });
});

describe('imageSize', () => {
  it('reads IPython Image(width=…) metadata, per MIME type first', () => {
    expect(imageSize({ 'image/png': { width: 30 } }, 'image/png')).toEqual({ width: 30 });
    expect(imageSize({ width: 10, height: '20', 'image/png': { width: 30 } }, 'image/png')).toEqual({ width: 30, height: 20 });
    expect(imageSize({ 'image/png': { unconfined: true } }, 'image/png')).toEqual({ unconfined: true });
  });
  it('ignores nonsense', () => {
    expect(imageSize({ 'image/png': { width: -1, height: 'big' } }, 'image/png')).toEqual({});
    expect(imageSize(undefined, 'image/png')).toEqual({});
  });
});
