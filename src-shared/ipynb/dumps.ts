/**
 * `json.dumps(value, indent=…, sort_keys=…, ensure_ascii=False)` from Python, reproduced
 * byte for byte, so notebooks we write look exactly like the ones Jupyter writes.
 */

import { type Json, PyNumber, formatNumber } from './pynumber';

export interface DumpsOptions {
  /** As Python's `indent`: a number of spaces or a string; newlines between items when set. */
  indent?: number | string;
  /** Sort object keys by Unicode code point, as Python sorts str keys. */
  sortKeys?: boolean;
  /** Separators ',' and ':' with no spaces (for storage); default is Python's ', ' / ': '. */
  compact?: boolean;
}

export function dumps(value: Json, opts: DumpsOptions = {}): string {
  const indent = typeof opts.indent === 'number' ? ' '.repeat(opts.indent) : opts.indent;
  const itemSep = opts.compact || indent !== undefined ? ',' : ', ';
  const keySep = opts.compact ? ':' : ': ';
  const sortKeys = opts.sortKeys ?? false;
  const out: string[] = [];
  // Containers currently being written: a cycle would otherwise recurse until the stack overflows.
  const open = new Set<object>();

  const write = (v: Json, level: number): void => {
    if (v === null) out.push('null');
    else if (v === true) out.push('true');
    else if (v === false) out.push('false');
    else if (typeof v === 'string') out.push(quote(v));
    else if (typeof v === 'number') out.push(formatNumber(v));
    else if (v instanceof PyNumber) out.push(v.lexeme);
    else if (Array.isArray(v)) {
      if (v.length === 0) return void out.push('[]');
      enter(v);
      const inner = indent === undefined ? '' : '\n' + indent.repeat(level + 1);
      out.push('[', inner);
      v.forEach((item, i) => {
        if (i > 0) out.push(itemSep, inner);
        if (item === undefined) throw new TypeError('dumps: undefined is not JSON serializable (in a list)');
        write(item, level + 1);
      });
      if (indent !== undefined) out.push('\n', indent.repeat(level));
      out.push(']');
      open.delete(v);
    } else if (typeof v === 'object') {
      // Like JSON.stringify, a property whose value is undefined is absent.
      const keys = Object.keys(v).filter((k) => v[k] !== undefined);
      if (keys.length === 0) return void out.push('{}');
      if (sortKeys) keys.sort(compareCodePoints);
      enter(v);
      const inner = indent === undefined ? '' : '\n' + indent.repeat(level + 1);
      out.push('{', inner);
      keys.forEach((key, i) => {
        if (i > 0) out.push(itemSep, inner);
        out.push(quote(key), keySep);
        write(v[key] as Json, level + 1);
      });
      if (indent !== undefined) out.push('\n', indent.repeat(level));
      out.push('}');
      open.delete(v);
    } else {
      throw new TypeError(`dumps: a ${typeof v} is not JSON serializable`);
    }
  };
  const enter = (container: object): void => {
    if (open.has(container)) throw new TypeError('dumps: circular reference detected');
    open.add(container);
  };

  write(value, 0);
  return out.join('');
}

/**
 * Python's ensure_ascii=False escaping: only '"', '\\' and C0 controls are escaped. Lone
 * surrogates are escaped too: Python would write them raw and then fail to encode the file
 * as UTF-8, while a JS writer would silently turn them into U+FFFD; an escape keeps them.
 */
const NEEDS_ESCAPE =
  /[\u0000-\u001f"\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

export function quote(s: string): string {
  NEEDS_ESCAPE.lastIndex = 0;
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  NEEDS_ESCAPE.lastIndex = 0;
  const escaped = s.replace(
    NEEDS_ESCAPE,
    (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}

/** Order strings by Unicode code point (Python's str order), not by UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Code units differ at i. Units agree before i, so a surrogate here begins the same kind
    // of sequence in both strings only if both are surrogates; then unit order is code point
    // order. Otherwise a (paired) surrogate stands for a code point above every BMP unit.
    const xs = isPairedSurrogate(a, i);
    const ys = isPairedSurrogate(b, i);
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function isPairedSurrogate(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff;
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = s.charCodeAt(i - 1);
    return prev >= 0xd800 && prev <= 0xdbff;
  }
  return false;
}
