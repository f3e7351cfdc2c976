/**
 * A JSON parser that accepts what Python's `json.loads` accepts (including NaN, Infinity and
 * -Infinity) and keeps numbers exact enough to write them back byte for byte (see pynumber.ts).
 */

import { type Json, type JsonObject, numberFromLexeme, setOwn } from './pynumber';

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    /** 1-based line (lines end at "\n"). */
    readonly line: number,
    /** 1-based column, in UTF-16 code units. */
    readonly column: number,
    /** 0-based offset into the text, in UTF-16 code units. */
    readonly offset: number,
  ) {
    // Same shape as Python's json.JSONDecodeError, so messages read alike in both worlds.
    super(`${reason}: line ${line} column ${column} (char ${offset})`);
  }
}

/** Deep enough for any real notebook; stops a hostile file from overflowing the JS stack. */
const MAX_DEPTH = 2000;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
/** A run of string characters that need no attention: no quote, backslash or control char. */
const PLAIN_CHARS = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function parseJson(text: string): Json {
  return new Parser(text).parseDocument();
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parseDocument(): Json {
    this.skipWhitespace();
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('Extra data');
    return value;
  }

  private parseValue(): Json {
    const { text } = this;
    const ch = text[this.pos];
    switch (ch) {
      case '{':
        return this.parseObject();
      case '[':
        return this.parseArray();
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      case 'N':
        return this.literal('NaN', NaN);
      case 'I':
        return this.literal('Infinity', Infinity);
      default:
        if (ch === '-' && text.startsWith('-Infinity', this.pos)) return this.literal('-Infinity', -Infinity);
        return this.parseNumber();
    }
  }

  private literal<T extends Json>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('Expecting value');
    this.pos += word.length;
    return value;
  }

  private parseNumber(): Json {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('Expecting value');
    this.pos += match[0].length;
    return numberFromLexeme(match[0]);
  }

  private parseString(): string {
    const { text } = this;
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      PLAIN_CHARS.lastIndex = this.pos;
      PLAIN_CHARS.exec(text);
      const runEnd = PLAIN_CHARS.lastIndex;
      if (runEnd > this.pos) {
        out += text.slice(this.pos, runEnd);
        this.pos = runEnd;
      }
      const ch = text[this.pos];
      if (ch === undefined) this.fail('Unterminated string starting at', start);
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch !== '\\') this.fail('Invalid control character at');
      const esc = text[this.pos + 1];
      if (esc === 'u') {
        const hex = text.slice(this.pos + 2, this.pos + 6);
        if (!HEX4.test(hex)) this.fail('Invalid \\uXXXX escape', this.pos + 1);
        // Surrogate pairs written as two escapes join up by plain concatenation in UTF-16.
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else {
        const decoded = esc === undefined ? undefined : SIMPLE_ESCAPES[esc];
        if (decoded === undefined) {
          if (esc === undefined) this.fail('Unterminated string starting at', start);
          this.fail('Invalid \\escape', this.pos);
        }
        out += decoded;
        this.pos += 2;
      }
    }
  }

  private parseArray(): Json[] {
    this.enter();
    this.pos++; // [
    const items: Json[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return items;
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.parseValue());
      this.skipWhitespace();
      const ch = this.text[this.pos];
      if (ch === ']') break;
      if (ch !== ',') this.fail("Expecting ',' delimiter");
      this.pos++;
      this.skipWhitespace();
      if (this.text[this.pos] === ']') this.fail('Illegal trailing comma before end of array');
    }
    this.pos++;
    this.depth--;
    return items;
  }

  private parseObject(): JsonObject {
    this.enter();
    this.pos++; // {
    const obj: JsonObject = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return obj;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail('Expecting property name enclosed in double quotes');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("Expecting ':' delimiter");
      this.pos++;
      this.skipWhitespace();
      // Duplicate keys: the last value wins, as in Python's dict.
      setOwn(obj, key, this.parseValue());
      this.skipWhitespace();
      const ch = this.text[this.pos];
      if (ch === '}') break;
      if (ch !== ',') this.fail("Expecting ',' delimiter");
      this.pos++;
      this.skipWhitespace();
      if (this.text[this.pos] === '}') this.fail('Illegal trailing comma before end of object');
    }
    this.pos++;
    this.depth--;
    return obj;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`Nesting deeper than ${MAX_DEPTH} levels`);
  }

  /** JSON whitespace only (space, tab, LF, CR), as in Python. */
  private skipWhitespace(): void {
    const { text } = this;
    for (;;) {
      const c = text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else return;
    }
  }

  private fail(reason: string, at: number = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < at; i = this.text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    throw new JsonSyntaxError(reason, line, at - lineStart + 1, at);
  }
}
