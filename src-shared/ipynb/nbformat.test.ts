import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CodeCell,
  type DisplayDataOutput,
  type MarkdownCell,
  type Notebook,
  NotebookFormatError,
  WIDGET_STATE_MIME,
  ensureCellIds,
  isValidCellId,
  newCellId,
  notebookToJson,
  readNotebook,
  readWidgetState,
  splitLines,
  withWidgetState,
  writeNotebook,
} from './nbformat';
import { type Json, type JsonObject, JsonSyntaxError, PyNumber, dumps } from './pyjson';

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = resolve(ROOT, process.env['QUIRE_VENV'] || '.venv', 'bin/python');
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Runs Python code in the project venv (which has nbformat); stdin/stdout are UTF-8. */
function python(code: string, args: string[] = [], input = ''): string {
  return execFileSync(PYTHON, ['-c', code, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
}

/**
 * Notebooks written by nbformat.write, the writer Jupyter Server uses when JupyterLab saves.
 * (Written with String.raw: backslash escapes below are Python's.)
 */
const MAKE_NOTEBOOKS = String.raw`
import base64, copy, logging, os, sys
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

logging.disable(logging.CRITICAL)  # nbformat logs (but writes) notebooks that fail validation
out = sys.argv[1]
png = base64.b64encode(bytes(range(256)) * 40).decode()
svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\n  <rect width="10" height="10"/>\n</svg>\n'
tb = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m\x1b[38;5;241m/\x1b[39m\x1b[38;5;241m0\x1b[39m\n",
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
]
cells = [
    new_markdown_cell(
        "# Title 標題 🚀\n\nU+2028\u2028inside, U+2029\u2029too.\r\nCRLF\rCR\x0bVT\x0cFF\x1cFS\x1dGS\x1eRS\x85NEL\n\n\nend",
        attachments={"img.png": {"image/png": png}, "notes.txt": {"text/plain": "a\nb\n", "text/html": "<p>x</p>"}},
        metadata={"tags": ["intro"], "jupyter": {"source_hidden": True}},
    ),
    new_code_cell(
        "import numpy as np\nprint('héllo 世界')\n\n\n",
        execution_count=1,
        outputs=[
            new_output("stream", name="stdout", text="héllo 世界\n10%\r50%\r100%\n"),
            new_output("stream", name="stderr", text="warning: 🐍 no newline"),
        ],
        metadata={"collapsed": False, "scrolled": True, "custom": {"ratio": 0.5, "one": 1.0, "big": 2**70, "tiny": 1e-07}},
    ),
    new_code_cell(
        "display(x)",
        execution_count=2,
        outputs=[
            new_output(
                "display_data",
                data={
                    "text/plain": "<Figure>\nsize 1x1",
                    "text/html": "<div>\n<b>bold</b>\n</div>\n",
                    "image/png": png + "\n",
                    "image/svg+xml": svg,
                    "application/json": {
                        "a": 1.0, "b": 0.1, "c": 1e-07, "d": 2**64 + 1, "e": 1e16, "f": -0.0,
                        "g": [1, 2.5, None, True, 1e22, 123456.789], "h": "text\nwith newline",
                        "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),
                    },
                    "application/vnd.custom+json": {"x": 3.0, "lines": ["a\n", "b"]},
                    "application/javascript": "console.log(1);\nconsole.log(2);",
                    "text/latex": "$x^2$",
                    "text/markdown": "",
                },
                metadata={"image/png": {"width": 640, "height": 480.0}},
            )
        ],
    ),
    new_code_cell(
        "1/0",
        execution_count=3,
        outputs=[new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=tb)],
    ),
    new_code_cell(
        "x",
        execution_count=4,
        outputs=[new_output("execute_result", execution_count=4, data={"text/plain": "array([0.1, 1. , 1e-07])"})],
    ),
    new_code_cell(""),
    new_markdown_cell(""),
    new_raw_cell("..  rst raw\n", metadata={"format": "text/x-rst", "raw_mimetype": "text/restructuredtext"}),
    new_raw_cell("raw with attachment", attachments={"a.svg": {"image/svg+xml": svg}}),
]
widget_state = {
    "state": {
        "f00d": {
            "model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
            "model_name": "FloatSliderModel",
            "state": {"value": 0.5, "max": 10.0, "min": 0, "step": 0.1, "readout_format": ".2f", "layout": "IPY_MODEL_beef"},
        },
        "beef": {
            "model_module": "@jupyter-widgets/base", "model_module_version": "2.0.0",
            "model_name": "LayoutModel", "state": {"width": "50%", "height": None},
        },
        "cafe": {
            "model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
            "model_name": "ImageModel", "state": {"format": "png", "value": {}},
            "buffers": [{"path": ["value"], "encoding": "base64", "data": "iVBORw0KGgo="}],
        },
    },
    "version_major": 2,
    "version_minor": 0,
}
nb = new_notebook(
    cells=cells,
    metadata={
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.7", "codemirror_mode": {"name": "ipython", "version": 3}},
        "widgets": {"application/vnd.jupyter.widget-state+json": widget_state},
        "😀": 1, "\uffff": 2, "é": [1.5e300, 1e-300], "10": "numeric key", "9": "sorts after 10",
    },
)
nbformat.write(nb, os.path.join(out, "full.ipynb"))

# nbformat 4.4, as older Jupyter saved it: no cell ids.
old = copy.deepcopy(nb)
old.nbformat_minor = 4
for cell in old.cells:
    del cell["id"]
nbformat.write(old, os.path.join(out, "v44.ipynb"))

# Keys nbformat does not know, at every level, plus attachments on a code cell (which
# nbformat joins and splits like any other): nbformat logs these as invalid but writes them.
odd = new_notebook(cells=[
    new_code_cell("x = 1\n", outputs=[new_output("stream", name="stdout", text="1\n")]),
    new_markdown_cell("text"),
])
odd["x_custom"] = {"n": 1.0, "when": "now"}
odd.cells[0]["x_cell"] = [1.0, "a\nb"]
odd.cells[0]["attachments"] = {"f.txt": {"text/plain": "one\ntwo\n"}}
odd.cells[0].outputs[0]["transient"] = {"display_id": "abc"}
odd.cells[1]["x_note"] = None
nbformat.write(odd, os.path.join(out, "unknown-fields.ipynb"))

nbformat.write(new_notebook(), os.path.join(out, "empty.ipynb"))

# A larger notebook, for scale.
many = new_notebook(cells=[
    new_code_cell(f"for i in range({i}):\n    print(i)\n", execution_count=i, outputs=[
        new_output("stream", name="stdout", text="".join(f"{j}\n" for j in range(i % 50))),
        new_output("execute_result", execution_count=i, data={"text/plain": repr(i / 7), "application/json": {"v": i / 7, "w": float(i)}}),
    ]) for i in range(1, 400)
])
nbformat.write(many, os.path.join(out, "many.ipynb"))
print("\n".join(sorted(f for f in os.listdir(out))))
`;

let dir = '';
let names: string[] = [];
const text = (name: string): string => readFileSync(join(dir, name), 'utf8');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'quire-ipynb-'));
  names = python(MAKE_NOTEBOOKS, [dir]).trim().split('\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('round trip of notebooks written by nbformat', () => {
  it('writes back the exact bytes nbformat wrote', () => {
    expect(names).toEqual(['empty.ipynb', 'full.ipynb', 'many.ipynb', 'unknown-fields.ipynb', 'v44.ipynb']);
    for (const name of names) {
      const bytes = readFileSync(join(dir, name));
      const written = writeNotebook(readNotebook(bytes.toString('utf8')));
      expect(written, name).toBe(bytes.toString('utf8'));
      expect(Buffer.from(written, 'utf8').equals(bytes), name).toBe(true);
    }
  });

  it('joins multi-line text exactly as nbformat.reads does', () => {
    const expected = JSON.parse(
      python(
        [
          'import json, os, sys, nbformat.v4 as v4',
          'out = {}',
          'for name in sys.argv[2:]:',
          '    with open(os.path.join(sys.argv[1], name), encoding="utf-8") as f:',
          '        out[name] = v4.writes(v4.reads(f.read()), split_lines=False)',
          'print(json.dumps(out))',
        ].join('\n'),
        [dir, ...names],
      ),
    ) as Record<string, string>;
    for (const name of names) {
      const joined = notebookToJson(readNotebook(text(name)), { splitLines: false });
      expect(dumps(joined, { indent: 1, sortKeys: true }), name).toBe(expected[name]);
    }
  });

  it('reads the in-memory form callers expect', () => {
    const nb = readNotebook(text('full.ipynb'));
    expect(nb.nbformat_minor).toBe(5);
    const [md, code1, code2, error] = nb.cells as [MarkdownCell, CodeCell, CodeCell, CodeCell];
    expect(md.source).toBe(
      '# Title 標題 🚀\n\nU+2028\u2028inside, U+2029\u2029too.\r\nCRLF\rCR\vVT\fFF\x1cFS\x1dGS\x1eRS\x85NEL\n\n\nend',
    );
    expect(md.attachments?.['notes.txt']).toEqual({ 'text/plain': 'a\nb\n', 'text/html': '<p>x</p>' });
    expect(md.metadata).toEqual({ tags: ['intro'], jupyter: { source_hidden: true } });
    expect(nb.cells.every((cell) => cell.id !== undefined && isValidCellId(cell.id))).toBe(true);

    expect(code1.outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: 'héllo 世界\n10%\r50%\r100%\n' });
    expect((code1.metadata['custom'] as JsonObject)['one']).toEqual(new PyNumber('1.0'));

    const display = code2.outputs[0] as DisplayDataOutput;
    expect(display.data['text/html']).toBe('<div>\n<b>bold</b>\n</div>\n');
    expect(display.data['image/svg+xml']).toMatch(/^<svg[^]*<\/svg>\n$/);
    const json = display.data['application/json'] as JsonObject;
    expect([json['a'], json['b'], json['c'], json['d'], json['e'], json['f']]).toEqual([
      new PyNumber('1.0'),
      0.1,
      1e-7,
      new PyNumber('18446744073709551617'),
      new PyNumber('1e+16'),
      new PyNumber('-0.0'),
    ]);
    expect(json['nan']).toBeNaN();
    // JSON mime types keep lists of strings as lists.
    expect((display.data['application/vnd.custom+json'] as JsonObject)['lines']).toEqual(['a\n', 'b']);

    expect(error.outputs[0]).toMatchObject({ output_type: 'error', ename: 'ZeroDivisionError' });
    expect(nb.cells[5]).toEqual({
      cell_type: 'code',
      id: nb.cells[5]?.id,
      source: '',
      metadata: {},
      execution_count: null,
      outputs: [],
    });
  });

  it('does not invent cell ids', () => {
    const nb = readNotebook(text('v44.ipynb'));
    expect(nb.nbformat_minor).toBe(4);
    expect(nb.cells.some((cell) => 'id' in cell)).toBe(false);
  });

  it('keeps keys it does not know at every level', () => {
    const nb = readNotebook(text('unknown-fields.ipynb'));
    expect(nb.extra).toEqual({ x_custom: { n: new PyNumber('1.0'), when: 'now' } });
    const [code, md] = nb.cells as [CodeCell, MarkdownCell];
    expect(code.extra).toEqual({ x_cell: [new PyNumber('1.0'), 'a\nb'], attachments: { 'f.txt': { 'text/plain': 'one\ntwo\n' } } });
    expect(code.outputs[0]?.extra).toEqual({ transient: { display_id: 'abc' } });
    expect(md.extra).toEqual({ x_note: null });
  });

  it('round-trips the static JupyterLab 4 fixture', () => {
    const bytes = readFileSync(join(FIXTURES, 'jupyterlab-widgets.ipynb'));
    const nb = readNotebook(bytes.toString('utf8'));
    expect(Buffer.from(writeNotebook(nb), 'utf8').equals(bytes)).toBe(true);
    expect(ensureCellIds(nb)).toBe(nb); // already 4.5 with good ids
    expect(nb.metadata['kernelspec']).toEqual({ display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' });

    const { records, problems } = readWidgetState(nb);
    expect(problems).toEqual([]);
    expect(Object.values(records).map((r) => r.model_name).sort()).toEqual([
      'IntSliderModel',
      'LayoutModel',
      'SliderStyleModel',
    ]);
    const view = (nb.cells[1] as CodeCell).outputs[0] as DisplayDataOutput;
    const modelId = (view.data['application/vnd.jupyter.widget-view+json'] as JsonObject)['model_id'] as string;
    expect(records[modelId]?.state['value']).toBe(7);
    // Re-saving unchanged widget state changes nothing.
    expect(Buffer.from(writeNotebook(withWidgetState(nb, records)), 'utf8').equals(bytes)).toBe(true);
  });

  it('reads a notebook of a few MB quickly', () => {
    const nb = readNotebook(text('full.ipynb'));
    const cells = Array.from({ length: 200 }, () => nb.cells).flat();
    const large = writeNotebook({ ...nb, cells });
    const start = performance.now();
    expect(writeNotebook(readNotebook(large))).toBe(large);
    const ms = performance.now() - start;
    expect(large.length).toBeGreaterThan(4_000_000);
    expect(ms).toBeLessThan(5000);
  });
});

describe('writeNotebook', () => {
  it('drops the keys nbformat strips as transient', () => {
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { orig_nbformat: 3, orig_nbformat_minor: 0, signature: 'sha256:x', keep: true },
      cells: [{ cell_type: 'raw', id: 'a', source: 'x', metadata: { trusted: true, keep: 1 } }],
    };
    expect(writeNotebook(nb)).toBe(
      '{\n "cells": [\n  {\n   "cell_type": "raw",\n   "id": "a",\n   "metadata": {\n    "keep": 1\n   },\n' +
        '   "source": [\n    "x"\n   ]\n  }\n ],\n "metadata": {\n  "keep": true\n },\n "nbformat": 4,\n' +
        ' "nbformat_minor": 5\n}\n',
    );
  });

  it('splits lines like Python str.splitlines(keepends=True)', () => {
    const samples = [
      '',
      'a',
      '\n',
      'a\nb',
      'a\r\nb\rc\n',
      '\r\r\n\n\r',
      'x\u2028y\u2029z\x85w\vv\fu\x1ct\x1ds\x1er',
      '\u000b\u000c',
      'no break \u200b\u00a0here',
      'tail\r',
      '😀\n😀',
    ];
    const expected = JSON.parse(
      python('import json, sys\nprint(json.dumps([s.splitlines(True) for s in json.load(sys.stdin)]))', [], JSON.stringify(samples)),
    ) as string[][];
    expect(samples.map(splitLines)).toEqual(expected);
  });
});

describe('readNotebook rejects what it cannot open, naming the place', () => {
  const minimal = (patch: (nb: JsonObject) => void): string => {
    const nb: JsonObject = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { cell_type: 'markdown', id: 'm', metadata: {}, source: 'hi' },
        {
          cell_type: 'code',
          id: 'c',
          metadata: {},
          source: ['x\n', 'y'],
          execution_count: 1,
          outputs: [{ output_type: 'stream', name: 'stdout', text: ['1\n'] }],
        },
      ],
    };
    patch(nb);
    return dumps(nb, { indent: 1 });
  };
  const cell = (nb: JsonObject, i: number): JsonObject => (nb['cells'] as JsonObject[])[i] as JsonObject;
  const output = (nb: JsonObject): JsonObject => (cell(nb, 1)['outputs'] as JsonObject[])[0] as JsonObject;

  const cases: [string, string | (() => string), string | RegExp][] = [
    ['invalid JSON', '{\n "nbformat": 4,\n "cells": [\n  {"a": 1,}\n ]\n}', 'notebook: not valid JSON (Illegal trailing comma before end of object: line 4 column 11 (char 40))'],
    ['not an object', '[]', 'notebook: expected an object; got an empty list'],
    ['not a notebook', '{"a": 1}', 'nbformat: missing; this file is not a Jupyter notebook'],
    ['nbformat 3', '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}', /^Cannot open notebook: nbformat: this is an nbformat 3 notebook; Quire opens nbformat 4.0–4.5 only \(open and save it once in Jupyter to upgrade it\)\. The file was not changed\.$/],
    ['nbformat 5', () => minimal((nb) => (nb['nbformat'] = 5)), 'nbformat: this is an nbformat 5 notebook; Quire opens nbformat 4.0–4.5 only'],
    ['nbformat "4"', () => minimal((nb) => (nb['nbformat'] = '4')), 'nbformat: expected the integer 4; got "4"'],
    ['future minor', () => minimal((nb) => (nb['nbformat_minor'] = 6)), 'nbformat_minor: nbformat 4.6 is newer than Quire supports (4.0–4.5)'],
    ['missing cells', () => minimal((nb) => delete nb['cells']), 'cells: missing; a notebook needs a list of cells'],
    ['cells not a list', () => minimal((nb) => (nb['cells'] = {})), 'cells: expected a list; got an object'],
    ['bad cell type', () => minimal((nb) => (cell(nb, 0)['cell_type'] = 'heading')), 'cells[0].cell_type: expected one of markdown, code, raw; got "heading"'],
    ['source a number', () => minimal((nb) => (cell(nb, 1)['source'] = 42)), 'cells[1].source: expected a string or a list of strings; got 42'],
    ['source list of numbers', () => minimal((nb) => (cell(nb, 0)['source'] = ['a', 1])), 'cells[0].source: expected a string or a list of strings; got a list'],
    ['missing source', () => minimal((nb) => delete cell(nb, 0)['source']), 'cells[0].source: missing'],
    ['metadata a list', () => minimal((nb) => (cell(nb, 1)['metadata'] = [])), 'cells[1].metadata: expected an object; got an empty list'],
    ['bad id', () => minimal((nb) => (cell(nb, 0)['id'] = 7)), 'cells[0].id: expected a string; got 7'],
    ['bad execution_count', () => minimal((nb) => (cell(nb, 1)['execution_count'] = new PyNumber('1.0'))), 'cells[1].execution_count: expected a non-negative integer or null; got 1.0'],
    ['bad output_type', () => minimal((nb) => (output(nb)['output_type'] = 'foo')), 'cells[1].outputs[0].output_type: expected one of stream, display_data, execute_result, error; got "foo"'],
    ['stream without name', () => minimal((nb) => delete output(nb)['name']), 'cells[1].outputs[0].name: missing'],
    ['bad data', () => minimal((nb) => (cell(nb, 1)['outputs'] = [{ output_type: 'display_data', data: 'x', metadata: {} }])), 'cells[1].outputs[0].data: expected an object; got "x"'],
    ['bad traceback', () => minimal((nb) => (cell(nb, 1)['outputs'] = [{ output_type: 'error', ename: 'E', evalue: '', traceback: 'x' }])), 'cells[1].outputs[0].traceback: expected a list of strings; got "x"'],
    ['bad attachment', () => minimal((nb) => (cell(nb, 0)['attachments'] = { 'a b.png': 'x' })), 'cells[0].attachments["a b.png"]: expected an object; got "x"'],
  ];

  it.each(cases)('%s', (_name, input, message) => {
    const source = typeof input === 'string' ? input : input();
    let caught: unknown;
    try {
      readNotebook(source);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NotebookFormatError);
    const err = caught as NotebookFormatError;
    if (typeof message === 'string') expect(err.message).toBe(`Cannot open notebook: ${message}. The file was not changed.`);
    else expect(err.message).toMatch(message);
  });

  it('keeps the syntax error, with its position, as the cause', () => {
    try {
      readNotebook('{\n "cells": [,]}');
      expect.unreachable();
    } catch (err) {
      const cause = (err as NotebookFormatError).cause;
      expect(cause).toBeInstanceOf(JsonSyntaxError);
      expect(cause).toMatchObject({ line: 2, column: 12, offset: 13 });
    }
  });

  it('accepts a leading BOM and defaults for keys older tools leave out', () => {
    const nb = readNotebook('\ufeff{"nbformat": 4, "nbformat_minor": 0, "cells": [{"cell_type": "code", "source": "x"}]}');
    expect(nb).toEqual({
      nbformat: 4,
      nbformat_minor: 0,
      metadata: {},
      cells: [{ cell_type: 'code', source: 'x', metadata: {}, execution_count: null, outputs: [] }],
    });
  });
});

describe('widget state', () => {
  it('reads records with exact numbers and re-saves them unchanged', () => {
    const raw = readFileSync(join(dir, 'full.ipynb'));
    const nb = readNotebook(raw.toString('utf8'));
    const { records, problems } = readWidgetState(nb);
    expect(problems).toEqual([]);
    expect(Object.keys(records).sort()).toEqual(['beef', 'cafe', 'f00d']);
    expect(records['f00d']?.state).toMatchObject({ value: 0.5, max: new PyNumber('10.0'), min: 0, step: 0.1 });
    expect(records['cafe']?.buffers).toEqual([{ path: ['value'], encoding: 'base64', data: 'iVBORw0KGgo=' }]);
    expect(Buffer.from(writeNotebook(withWidgetState(nb, records)), 'utf8').equals(raw)).toBe(true);
  });

  it('reports malformed entries and keeps the good ones', () => {
    const good = { model_name: 'LayoutModel', model_module: '@jupyter-widgets/base', model_module_version: '2.0.0', state: {} };
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      cells: [],
      metadata: {
        widgets: {
          [WIDGET_STATE_MIME]: {
            version_major: 2,
            version_minor: 0,
            state: {
              ok: good,
              noName: { ...good, model_name: 3 },
              noState: { ...good, state: [] },
              badBuffer: { ...good, buffers: [{ path: ['v'], encoding: 'utf8', data: '' }] },
              notObject: 'x',
            },
          },
        },
      },
    };
    const { records, problems } = readWidgetState(nb);
    expect(Object.keys(records)).toEqual(['ok']);
    const at = `metadata.widgets["${WIDGET_STATE_MIME}"].state`;
    expect(problems).toEqual([
      `${at}["noName"].model_name: expected a string; got 3`,
      `${at}["noState"].state: expected an object; got an empty list`,
      `${at}["badBuffer"].buffers[0].encoding: expected "base64" or "hex"; got "utf8"`,
      `${at}["notObject"]: expected an object; got "x"`,
    ]);
    const wrongVersion = { ...nb, metadata: { widgets: { [WIDGET_STATE_MIME]: { version_major: 1, state: {} } } } };
    expect(readWidgetState(wrongVersion).problems).toEqual([
      `metadata.widgets["${WIDGET_STATE_MIME}"].version_major: expected 2; got 1`,
    ]);
    expect(readWidgetState({ ...nb, metadata: {} })).toEqual({ records: {}, problems: [] });
  });

  it('sets and removes the metadata without touching the rest', () => {
    const base: Notebook = { nbformat: 4, nbformat_minor: 5, cells: [], metadata: { kernelspec: { name: 'python3' } } };
    const record = { model_name: 'M', model_module: 'm', model_module_version: '1.0.0', state: { x: new PyNumber('2.0') } };
    const set = withWidgetState(base, { a1: record });
    expect(base.metadata['widgets']).toBeUndefined(); // not mutated
    expect(set.metadata['widgets']).toEqual({
      [WIDGET_STATE_MIME]: { version_major: 2, version_minor: 0, state: { a1: record } },
    });
    expect(writeNotebook(set)).toContain('"x": 2.0');
    expect(withWidgetState(set, {}).metadata).toEqual(base.metadata);
    const other: Json = { 'application/x-other': 1 };
    const withOther = { ...set, metadata: { ...set.metadata, widgets: { ...(set.metadata['widgets'] as JsonObject), ...other } } };
    expect(withWidgetState(withOther, {}).metadata['widgets']).toEqual(other);
  });
});

describe('cell ids', () => {
  it('makes valid, distinct ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newCellId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(isValidCellId('a-B_9')).toBe(true);
    expect(isValidCellId('')).toBe(false);
    expect(isValidCellId('x'.repeat(65))).toBe(false);
    expect(isValidCellId('a b')).toBe(false);
  });

  it('ensureCellIds upgrades to 4.5, keeping good ids and replacing missing, invalid and repeated ones', () => {
    const cell = (id?: string): MarkdownCell => ({ cell_type: 'markdown', source: '', metadata: {}, ...(id ? { id } : {}) });
    const nb: Notebook = { nbformat: 4, nbformat_minor: 4, metadata: {}, cells: [cell('keep'), cell(), cell('bad id'), cell('keep')] };
    const upgraded = ensureCellIds(nb);
    expect(upgraded.nbformat_minor).toBe(5);
    const ids = upgraded.cells.map((c) => c.id ?? '');
    expect(ids[0]).toBe('keep');
    expect(new Set(ids).size).toBe(4);
    expect(ids.every(isValidCellId)).toBe(true);
    expect(nb.cells[1]?.id).toBeUndefined(); // input not mutated
  });
});
