import { describe, expect, it } from 'vitest';
import {
  type Json,
  JsonSyntaxError,
  PyNumber,
  compareCodePoints,
  dumps,
  parseJson,
  pyFloatRepr,
  toPlain,
} from './pyjson';

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../testing/seeded-random';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = resolve(ROOT, process.env['QUIRE_VENV'] || '.venv', 'bin/python');

/** Runs Python code in the project venv; stdin/stdout are UTF-8. */
function python(code: string, input = ''): string {
  return execFileSync(PYTHON, ['-c', code], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
}

const EDGE_FLOATS = [
  0, -0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 0.3, 1 / 3, 2 / 3, 4.35, 123.456, 100, 1e-5, 1.5e-5, 5e-5, 1e-4, 0.0001234,
  0.001, 1e-7, 1.5e-7, 123e-20, 1e15, 1234567890123456.7, 9999999999999998, 1e16, 1.5e16, 1e17,
  123456789012345680, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e21, 1e22, 1e23, 9.999999999999999e22, 1e100, 1e308,
  1.7976931348623157e308, Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, 1e-310, 5e-324,
  Number.EPSILON, 0.5, 0.25, 1.25e-10, 3.14159, 2.718281828459045, 6.02214076e23, 1.602176634e-19, 99.99,
  1234.5, 1e-3, 12345678.9, 0.000099, 0.00001, -1e-5, -1e16, -0.1, -123.456e7,
];

function randomFloats(count: number): number[] {
  const rand = seededRandom(20240601);
  const out: number[] = [];
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      // Arbitrary bit patterns: every exponent range, subnormals included.
      view.setUint32(0, Math.floor(rand() * 2 ** 32));
      view.setUint32(4, Math.floor(rand() * 2 ** 32));
      const x = view.getFloat64(0);
      if (Number.isFinite(x)) out.push(x);
    } else if (i % 3 === 1) {
      // Values near the fixed/scientific switch points, where mistakes would show.
      out.push((rand() - 0.5) * 10 ** Math.floor(rand() * 44 - 22));
    } else {
      // Short decimals, the kind people type (0.35, 12.5, 1e-06).
      const digits = Math.floor(rand() * 1e4) / 10 ** Math.floor(rand() * 12);
      out.push(digits * 10 ** Math.floor(rand() * 30 - 15));
    }
  }
  return out;
}

describe('float formatting matches Python repr', () => {
  const values = [...EDGE_FLOATS, ...randomFloats(400)];

  it('formats each of a few hundred floats exactly like Python', () => {
    // JS String(x) round-trips exactly and Python's float() parses correctly rounded, so
    // Python sees the same doubles.
    const expected = python(
      'import sys, json\nfor s in sys.stdin.read().split():\n    print(json.dumps(float(s)))',
      values.map((x) => (Object.is(x, -0) ? '-0.0' : String(x))).join('\n'),
    ).split('\n');
    const mismatches = values
      .map((x, i) => ({ x, ours: dumps(PyNumber.float(x)), python: expected[i] }))
      .filter((r) => r.ours !== r.python);
    expect(mismatches).toEqual([]);
    expect(values.length).toBeGreaterThan(300);
  });

  it('writes non-integral numbers as Python floats and integral ones as ints', () => {
    expect(dumps(1e-7)).toBe('1e-07');
    expect(dumps(1.5e16)).toBe('15000000000000000'); // an integral JS number is an int
    expect(dumps(PyNumber.float(1.5e16))).toBe('1.5e+16');
    expect(dumps(0.1)).toBe('0.1');
    expect(dumps(1e21)).toBe('1000000000000000000000');
    expect(dumps(-0)).toBe('0');
    expect(pyFloatRepr(-0)).toBe('-0.0');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(1e15)).toBe('1000000000000000.0');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(1e100)).toBe('1e+100');
    expect(dumps([NaN, Infinity, -Infinity])).toBe('[NaN, Infinity, -Infinity]');
  });

  it('re-writes Python-written random floats byte for byte after parsing', () => {
    const text = python(
      [
        'import json, random, struct, math',
        'rng = random.Random(7)',
        'xs = []',
        'while len(xs) < 300:',
        '    x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]',
        '    if math.isfinite(x): xs.append(x)',
        'xs += [rng.uniform(-1, 1) * 10 ** rng.randint(-20, 20) for _ in range(300)]',
        'xs += [float(rng.randint(-10**6, 10**6)) for _ in range(50)]',
        'xs += [rng.randint(-2**70, 2**70) for _ in range(50)]',
        'xs += [0.0, -0.0, 1.0, 1e16, 1e-07, float("nan"), float("inf"), -float("inf"), 2**53 + 1, -(2**64)]',
        'print(json.dumps(xs), end="")',
      ].join('\n'),
    );
    expect(dumps(parseJson(text))).toBe(text);
  });
});

describe('parseJson', () => {
  it('keeps numbers plain unless JS would print them differently', () => {
    const parsed = parseJson('[1, 0.1, 1e-07, 2.5, -3, 1.0, 1e+16, -0.0, 12345678901234567890, 1E5, -0]') as Json[];
    expect(parsed.slice(0, 5)).toEqual([1, 0.1, 1e-7, 2.5, -3]);
    const kept = parsed.slice(5).map((n) => (n instanceof PyNumber ? n.lexeme : 'plain'));
    expect(kept).toEqual(['1.0', '1e+16', '-0.0', '12345678901234567890', '1E5', '-0']);
    expect((parsed[5] as PyNumber).value).toBe(1);
    expect((parsed[8] as PyNumber).isInteger).toBe(true);
    expect((parsed[5] as PyNumber).isInteger).toBe(false);
    expect(parseJson('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseJson('9007199254740993')).toBeInstanceOf(PyNumber);
  });

  it('reads NaN and Infinity as Python writes them', () => {
    const parsed = parseJson('[NaN, Infinity, -Infinity]') as number[];
    expect(parsed[0]).toBeNaN();
    expect(parsed.slice(1)).toEqual([Infinity, -Infinity]);
  });

  it('decodes escapes, surrogate pairs and keeps __proto__ as data', () => {
    expect(parseJson('"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"')).toBe('a"\\/\b\f\n\r\té😀');
    const obj = parseJson('{"__proto__": {"x": 1}, "a": 1, "a": 2}') as Record<string, Json>;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(['__proto__', 'a']);
    expect(obj['a']).toBe(2);
    expect(dumps(obj)).toBe('{"__proto__": {"x": 1}, "a": 2}');
  });

  it('toPlain replaces PyNumbers with numbers', () => {
    expect(toPlain(parseJson('{"a": [1.0, 0.5, {"b": 1e+16}], "s": "x"}'))).toEqual({
      a: [1, 0.5, { b: 1e16 }],
      s: 'x',
    });
  });

  it('reports syntax errors at the same line, column and offset as Python', () => {
    const bad = [
      '',
      '   ',
      '[1 2]',
      '{"a" 1}',
      '{"a":1,}',
      '[1,]',
      '{1: 2}',
      '"abc',
      '"a\nb"',
      '"\\x"',
      '"\\u12"',
      'tru',
      '[1] x',
      '-',
      '01',
      '1.',
      '{\n "cells": [\n  1,\n  2\n  3\n ]\n}',
      '{\n "a": "\\q"\n}',
      '[\n\n   @]',
      '{"a": [1, {"b": nul}]}',
    ];
    const expected = JSON.parse(
      python(
        [
          'import json, sys',
          'out = []',
          'for s in json.load(sys.stdin):',
          '    try:',
          '        json.loads(s); out.append(None)',
          '    except json.JSONDecodeError as e:',
          '        out.append([e.lineno, e.colno, e.pos])',
          'print(json.dumps(out))',
        ].join('\n'),
        JSON.stringify(bad),
      ),
    ) as [number, number, number][];
    const ours = bad.map((text) => {
      try {
        parseJson(text);
        return null;
      } catch (err) {
        expect(err).toBeInstanceOf(JsonSyntaxError);
        const e = err as JsonSyntaxError;
        expect(e.message).toBe(`${e.reason}: line ${e.line} column ${e.column} (char ${e.offset})`);
        return [e.line, e.column, e.offset];
      }
    });
    expect(ours).toEqual(expected);
  });

  it('names the problem', () => {
    expect(() => parseJson('{"a": 1,}')).toThrow('Illegal trailing comma before end of object: line 1 column 9');
    expect(() => parseJson('[1\n 2]')).toThrow("Expecting ',' delimiter: line 2 column 2 (char 4)");
    expect(() => parseJson('[1] 2')).toThrow('Extra data');
    expect(() => parseJson('['.repeat(5000))).toThrow(JsonSyntaxError);
  });
});

describe('dumps matches json.dumps(ensure_ascii=False)', () => {
  it('escapes strings exactly like Python', () => {
    let all = '';
    for (let c = 0; c < 0x250; c++) all += String.fromCharCode(c);
    const samples = [all, '\u2028\u2029\ufeff\u200b', '日本語の文字', '😀👍🏽🇯🇵', 'tab\tquote"back\\slash', '\u001b[31mred\u001b[0m'];
    const expected = python(
      'import json, sys\nfor s in json.load(sys.stdin):\n    print(json.dumps(s, ensure_ascii=False))',
      JSON.stringify(samples),
    ).split('\n');
    expect(samples.map((s) => dumps(s))).toEqual(expected.slice(0, samples.length));
  });

  it('escapes lone surrogates instead of writing unencodable text', () => {
    expect(dumps('a\ud800b\udc00')).toBe('"a\\ud800b\\udc00"');
    expect(parseJson(dumps('x\udbff'))).toBe('x\udbff');
  });

  it('sorts keys by code point and formats nesting like Python, in every separator style', () => {
    const value: Json = {
      b: [1, 2.5, [], {}, { z: null, y: true, x: false }],
      a: { '😀': 1, '\uffff': 2, '\ue000': 3, é: 4, Z: 5, aa: 6, '': 7, '\u2028': 8, '10': 9, '9': 10 },
      c: [[[]], [{}], 'ü', new PyNumber('1.0'), 1e-7, '12345678901234567890'],
      d: new PyNumber('12345678901234567890'),
    };
    const text = dumps(value);
    const cases: [string, Parameters<typeof dumps>[1]][] = [
      ['indent=1, sort_keys=True', { indent: 1, sortKeys: true }],
      ['indent=2', { indent: 2 }],
      ['indent=0, sort_keys=True', { indent: 0, sortKeys: true }],
      ['indent="\\t", sort_keys=True', { indent: '\t', sortKeys: true }],
      ['sort_keys=True', { sortKeys: true }],
      ['separators=(",", ":"), sort_keys=True', { compact: true, sortKeys: true }],
    ];
    const expected = JSON.parse(
      python(
        [
          'import json, sys',
          'v = json.loads(sys.stdin.read())',
          `out = [${cases.map(([args]) => `json.dumps(v, ensure_ascii=False, ${args})`).join(', ')}]`,
          'print(json.dumps(out))',
        ].join('\n'),
        text,
      ),
    ) as string[];
    expect(cases.map(([, opts]) => dumps(parseJson(text), opts))).toEqual(expected);
  });

  it('compares code points, not UTF-16 units', () => {
    expect(compareCodePoints('\uffff', '😀')).toBeLessThan(0); // U+FFFF < U+1F600, though 0xFFFF > 0xD83D
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('\ud800', '\ue000')).toBeLessThan(0); // lone surrogate is its own code point
    expect(compareCodePoints('x😀', 'x😁')).toBeLessThan(0);
  });

  it('rejects values that are not JSON', () => {
    const cyclic: Json[] = [];
    cyclic.push(cyclic);
    expect(() => dumps(cyclic)).toThrow('circular reference');
    expect(() => dumps({ f: (() => 1) as unknown as Json })).toThrow('not JSON serializable');
    expect(dumps({ a: undefined as unknown as Json, b: 1 })).toBe('{"b": 1}');
  });
});
