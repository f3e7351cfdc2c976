/**
 * JSON values as Python's `json` module sees them.
 *
 * JS numbers cannot tell `1.0` from `1`, and JS prints floats differently from Python's
 * `repr` (`1e-7` vs `1e-07`). Notebooks are written by Python, so to write back the bytes we
 * read, any number whose Python spelling we could not reproduce from its JS value is kept
 * as a `PyNumber` holding the original lexeme. Everything else is a plain JS number.
 */

export type Json = null | boolean | number | string | PyNumber | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

/** A JSON number kept as its source text, because its JS value would print differently. */
export class PyNumber {
  constructor(readonly lexeme: string) {}

  /** The nearest JS number (big integers lose precision, `1e400` is Infinity). */
  get value(): number {
    return Number(this.lexeme);
  }

  /** True when Python would read this lexeme as an `int` rather than a `float`. */
  get isInteger(): boolean {
    return !/[.eE]/.test(this.lexeme);
  }

  valueOf(): number {
    return this.value;
  }

  toJSON(): number {
    return this.value;
  }

  toString(): string {
    return this.lexeme;
  }

  /**
   * `x` as a Python float: a plain number when dumps would already write Python's spelling,
   * else a PyNumber (for integral floats such as 2.0 or 1e16, and -0.0).
   */
  static float(x: number): Json {
    const repr = pyFloatRepr(x);
    return repr === formatNumber(x) ? x : new PyNumber(repr);
  }
}

/** The JSON value of a number the way the parser would produce it from `lexeme`. */
export function numberFromLexeme(lexeme: string): number | PyNumber {
  const value = Number(lexeme);
  return formatNumber(value) === lexeme ? value : new PyNumber(lexeme);
}

/**
 * How `dumps` writes a plain JS number: integral values as Python ints, others like Python's
 * float repr, non-finite values the way Python's json module writes them.
 */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return BigInt(x).toString(); // BigInt: no `1e+21`, and -0 → "0"
  return pyFloatRepr(x);
}

/** Python's `repr(float)`: shortest round-trip digits, fixed notation iff -4 < decpt <= 16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip, which
  // is what Python's repr uses too (both are correctly rounded).
  const [mantissa = '', expText = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(expText);
  const decpt = exponent + 1; // digits are d.ddd × 10^exponent → point after `decpt` digits
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${digits[0] ?? ''}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** A deep copy with every PyNumber replaced by its JS number, for consumers that want plain JSON. */
export function toPlain(json: Json): unknown {
  if (json instanceof PyNumber) return json.value;
  if (Array.isArray(json)) return json.map(toPlain);
  if (json !== null && typeof json === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(json)) setOwn(out, key, toPlain(value));
    return out;
  }
  return json;
}

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyNumber);
}

/** `obj[key] = value`, except that a `__proto__` key becomes an own property, not the prototype. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
