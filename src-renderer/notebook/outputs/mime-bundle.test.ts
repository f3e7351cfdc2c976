import { describe, expect, it } from 'vitest';
import { chooseMimeType, mimeText, RICH_MIME_ORDER, WIDGET_VIEW_MIME } from './mime-bundle';

describe('chooseMimeType', () => {
  it('prefers a widget view with a model id over everything', () => {
    expect(chooseMimeType({ 'text/plain': 'IntSlider(value=3)', 'text/html': '<b/>', [WIDGET_VIEW_MIME]: { model_id: 'abc' } })).toBe(WIDGET_VIEW_MIME);
  });

  it('falls back to the next representation when the widget view has no model id', () => {
    expect(chooseMimeType({ 'text/plain': 'IntSlider()', [WIDGET_VIEW_MIME]: { version_major: 2 } })).toBe('text/plain');
  });

  it('picks in JupyterLab order whatever the bundle order', () => {
    // Each prefix of the order, presented reversed, must yield its first element.
    RICH_MIME_ORDER.forEach((mime, i) => {
      const bundle = Object.fromEntries(RICH_MIME_ORDER.slice(i).reverse().map((m) => [m, 'x']));
      expect(chooseMimeType(bundle)).toBe(mime);
    });
  });

  it('chooses html over png, png over markdown, latex over plain text', () => {
    expect(chooseMimeType({ 'image/png': 'iVBOR', 'text/html': '<p/>' })).toBe('text/html');
    expect(chooseMimeType({ 'text/markdown': '# x', 'image/png': 'iVBOR' })).toBe('image/png');
    expect(chooseMimeType({ 'text/plain': 'x', 'text/latex': '$x$' })).toBe('text/latex');
    expect(chooseMimeType({ 'text/plain': '{}', 'application/json': {} })).toBe('application/json');
  });

  it('returns undefined when nothing is renderable', () => {
    expect(chooseMimeType({ 'application/vnd.unknown+json': {} })).toBeUndefined();
    expect(chooseMimeType({})).toBeUndefined();
  });
});

describe('mimeText', () => {
  it('joins nbformat line lists', () => {
    expect(mimeText(['a\n', 'b\n', 'c'])).toBe('a\nb\nc');
  });
  it('keeps strings and tolerates missing values', () => {
    expect(mimeText('x')).toBe('x');
    expect(mimeText(undefined)).toBe('');
    expect(mimeText({ a: 1 })).toBe('{"a":1}');
  });
});
