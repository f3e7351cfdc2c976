/**
 * Shared test vectors: the TypeScript side. python/tests/test_vectors.py checks the Python
 * client against the same files, so both speak the same bytes (README.md here).
 *
 * widget-records.json holds an Automerge doc (bytes from Automerge.save) and what the
 * schema accessors read from it. Regenerate it (after a schema change) with
 *   QUIRE_WRITE_VECTORS=1 npx vitest run src-shared/protocol/vectors
 */
import * as A from '@automerge/automerge';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FrameError,
  FrameKind,
  MAX_FRAME_BYTES,
  MAX_JSON_FRAME_BYTES,
  decodeJsonPayload,
  decodeSyncPayload,
  encodeJsonFrame,
  encodeSyncFrame,
  type Frame,
} from '../frames';
import {
  BroadcastSchema,
  HelloSchema,
  PROTOCOL_MAGIC,
  PROTOCOL_VERSION,
  ProtocolErrorSchema,
  ResponseSchema,
  WelcomeSchema,
} from '../messages';
import {
  deleteComm,
  finishCellRun,
  getCells,
  getCommStateText,
  getComms,
  getKernel,
  initNotebookDoc,
  putComm,
  setCommState,
  setCommStateJson,
  setKernel,
  startCellRun,
  type NotebookDoc,
} from '../../schema/notebook-doc';

const DIR = dirname(fileURLToPath(import.meta.url));
const load = <T>(name: string): T => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

function frameErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError);
    return (err as FrameError).code;
  }
  throw new Error('expected a FrameError, nothing was thrown');
}

interface FramesVectors {
  maxFrameBytes: number;
  maxJsonFrameBytes: number;
  kinds: Record<string, number>;
  jsonFrames: { name: string; kind: number; json: unknown; frame: string }[];
  syncFrames: { name: string; kind: number; roomId: string; message: string; frame: string }[];
  jsonPayloads: { name: string; bytes: string; json: unknown }[];
  errors: { name: string; where: 'decoder' | 'sync-payload' | 'json-payload'; bytes: string; code: string }[];
}

describe('frames.json', () => {
  const v = load<FramesVectors>('frames.json');

  it('has the kinds and caps of frames.ts', () => {
    expect(v.kinds).toEqual(FrameKind);
    expect(v.maxFrameBytes).toBe(MAX_FRAME_BYTES);
    expect(v.maxJsonFrameBytes).toBe(MAX_JSON_FRAME_BYTES);
    const covered = new Set([...v.jsonFrames, ...v.syncFrames].map((f) => f.kind));
    expect([...covered].sort()).toEqual(Object.values(FrameKind).sort());
  });

  it.each(v.jsonFrames.map((f) => [f.name, f] as const))('JSON frame %s encodes and decodes', (_name, f) => {
    expect(hex(encodeJsonFrame(f.kind as FrameKind, f.json))).toBe(f.frame);
    const frames = new FrameDecoder().push(unhex(f.frame));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.kind).toBe(f.kind);
    expect(decodeJsonPayload(frames[0]!)).toEqual(f.json);
  });

  it.each(v.syncFrames.map((f) => [f.name, f] as const))('sync frame %s encodes and decodes', (_name, f) => {
    expect(hex(encodeSyncFrame(f.roomId, unhex(f.message)))).toBe(f.frame);
    const frames = new FrameDecoder().push(unhex(f.frame));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.kind).toBe(FrameKind.Sync);
    const { roomId, message } = decodeSyncPayload(frames[0]!.payload);
    expect(roomId).toBe(f.roomId);
    expect(hex(message)).toBe(f.message);
  });

  it('every frame, one stream, pushed a byte at a time', () => {
    const all = [...v.jsonFrames, ...v.syncFrames];
    const stream = unhex(all.map((f) => f.frame).join(''));
    const decoder = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(got.map((f) => hex(new Uint8Array([f.kind, ...f.payload])))).toEqual(all.map((f) => f.frame.slice(8)));
    expect(decoder.pendingBytes).toBe(0);
  });

  it.each(v.jsonPayloads.map((p) => [p.name, p] as const))('JSON payload: %s', (_name, p) => {
    expect(decodeJsonPayload({ kind: FrameKind.Request, payload: unhex(p.bytes) })).toEqual(p.json);
  });

  it.each(v.errors.map((e) => [e.name, e] as const))('refuses: %s', (_name, e) => {
    const bytes = unhex(e.bytes);
    const code =
      e.where === 'decoder'
        ? frameErrorCode(() => new FrameDecoder().push(bytes))
        : e.where === 'sync-payload'
          ? frameErrorCode(() => decodeSyncPayload(bytes))
          : frameErrorCode(() => decodeJsonPayload({ kind: FrameKind.Request, payload: bytes }));
    expect(code).toBe(e.code);
  });
});

interface HandshakeVectors {
  protocolVersion: number;
  magic: string;
  hello: { token: string; clientName: string; pid: number; json: unknown; frame: string };
  welcome: { valid: unknown[]; invalid: unknown[] };
  responses: { valid: unknown[]; invalid: unknown[] };
  broadcasts: { known: unknown[]; ignored: unknown[] };
  protocolErrors: { valid: unknown[]; invalid: unknown[] };
}

describe('handshake.json', () => {
  const v = load<HandshakeVectors>('handshake.json');

  it('names the protocol this build speaks', () => {
    expect(v.protocolVersion).toBe(PROTOCOL_VERSION);
    expect(v.magic).toBe(PROTOCOL_MAGIC);
  });

  it('a hello is built, byte for byte, as the SDK builds it, and the daemon accepts it', () => {
    const hello = { magic: PROTOCOL_MAGIC, protocol: PROTOCOL_VERSION, token: v.hello.token, client: { name: v.hello.clientName, pid: v.hello.pid } };
    expect(hello).toEqual(v.hello.json);
    expect(hex(encodeJsonFrame(FrameKind.Hello, hello))).toBe(v.hello.frame);
    expect(HelloSchema.safeParse(v.hello.json).success).toBe(true);
  });

  const cases = [
    ['welcome', WelcomeSchema, v.welcome.valid, v.welcome.invalid],
    ['response', ResponseSchema, v.responses.valid, v.responses.invalid],
    ['broadcast', BroadcastSchema, v.broadcasts.known, v.broadcasts.ignored],
    ['protocol error', ProtocolErrorSchema, v.protocolErrors.valid, v.protocolErrors.invalid],
  ] as const;
  it.each(cases)('%s: valid ones pass the schema, invalid ones do not', (_name, schema, valid, invalid) => {
    for (const value of valid) expect(schema.safeParse(value).success, JSON.stringify(value)).toBe(true);
    for (const value of invalid) expect(schema.safeParse(value).success, JSON.stringify(value)).toBe(false);
  });
});

describe('json-text.json', () => {
  const v = load<{ stringify: { input: string; output: string }[]; invalid: string[] }>('json-text.json');
  it('JSON.stringify(JSON.parse(input)) is output', () => {
    for (const { input, output } of v.stringify) expect(JSON.stringify(JSON.parse(input)), input).toBe(output);
  });
  it('JSON.parse refuses the invalid texts', () => {
    for (const text of v.invalid) expect(() => JSON.parse(text), text).toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// Widget records

interface WidgetVectors {
  description: string;
  doc: string;
  heads: string[];
  comms: unknown;
  cells: unknown;
  kernel: unknown;
  writes: { commId: string; patch: string; written: string[]; texts: Record<string, string> }[];
}

const ACTOR_A = 'aa'.repeat(16);
const ACTOR_B = 'bb'.repeat(16);
const BLOB = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/** The doc behind widget-records.json: every shape of value a reader meets. */
function buildDoc(): A.Doc<NotebookDoc> {
  let doc = A.change(A.init<NotebookDoc>({ actor: ACTOR_A }), (d) => {
    initNotebookDoc(d, {
      nbformat: 4,
      nbformatMinor: 5,
      metadataJson: '{"kernelspec":{"display_name":"Python 3","language":"python","name":"python3"}}',
      extraJson: null,
      cells: [
        {
          id: 'cell-a',
          cellType: 'code',
          source: 'import ipywidgets as w\ns = w.IntSlider(value=7)\ns',
          metadataJson: '{"tags":["x"]}',
          executionCount: 3,
          outputsJson: ['{"output_type":"stream","name":"stdout","text":"hi ✓\\n"}'],
          attachmentsJson: null,
          extraJson: null,
        },
        { id: 'cell-b', cellType: 'markdown', source: '# Größe 😀', metadataJson: '{}', executionCount: null, outputsJson: [], attachmentsJson: null, extraJson: null },
      ],
    });
  });
  const base = { targetName: 'jupyter.widget', origin: 'kernel' as const };
  doc = A.change(doc, (d) => {
    setKernel(d, { status: 'idle', name: 'python3', displayName: 'Python 3', language: 'python', error: null });
    // A finished run's timing (cell-b, markdown, has none: readers give null).
    startCellRun(d, 'cell-a', 1_767_225_600_000);
    finishCellRun(d, 'cell-a', 'ok', 1_767_225_600_250);
    putComm(d, 'zz-layout', {
      ...base,
      modelModule: '@jupyter-widgets/base',
      modelModuleVersion: '2.0.0',
      modelName: 'LayoutModel',
      stateJson: { _model_name: '"LayoutModel"', width: 'null', align_items: 'null' },
    });
    putComm(d, 'mm-style', {
      ...base,
      modelModule: '@jupyter-widgets/controls',
      modelModuleVersion: '2.0.0',
      modelName: 'SliderStyleModel',
      stateJson: { description_width: '""', handle_color: 'null' },
    });
    putComm(d, 'aa-slider', {
      ...base,
      modelModule: '@jupyter-widgets/controls',
      modelModuleVersion: '2.0.0',
      modelName: 'IntSliderModel',
      stateJson: {
        value: '7',
        step: '1',
        layout: '"IPY_MODEL_zz-layout"',
        style: '"IPY_MODEL_mm-style"',
        description: '"Größe \\"q\\" 😀\\n"',
        _dom_classes: '[]',
        continuous_update: 'true',
      },
    });
  });
  doc = A.change(doc, (d) => {
    putComm(d, 'gone', { ...base, modelModule: 'm', modelModuleVersion: '1', modelName: 'GoneModel', stateJson: { value: '1' } });
    putComm(d, '42', {
      ...base,
      modelModule: '@jupyter-widgets/controls',
      modelModuleVersion: '2.0.0',
      modelName: 'FloatSliderModel',
      stateJson: { value: '0.5', max: '1e+21', min: '-2.5', tiny: '1e-7', readout_format: '".2f"' },
    });
    putComm(d, 'img', {
      targetName: 'jupyter.widget',
      origin: 'saved',
      modelModule: '@jupyter-widgets/controls',
      modelModuleVersion: '2.0.0',
      modelName: 'ImageModel',
      stateJson: { value: `{"$quireBlob":"${BLOB}"}`, format: '"png"' },
    });
    setCommStateJson(d, 'img', { broken: '"not json', nan: 'NaN', empty: '' });
    setCommState(d, 'aa-slider', { nested: { a: [1, 2.5, null], b: true, 'ü': {} } });
    // A trait written as a plain JS string becomes Automerge text; readers accept it too.
    (d.comms.img!.state as Record<string, unknown>).asText = '"from text"';
  });
  doc = A.change(doc, (d) => {
    deleteComm(d, 'gone');
    // A comm as schema 1 wrote it (a recovery snapshot from an older daemon): model and seq as
    // fields, every trait in `state`. Readers still read it.
    const imm = (s: string) => new A.ImmutableString(s);
    (d.comms as Record<string, unknown>)['legacy-v1'] = {
      targetName: imm('jupyter.widget'),
      modelModule: imm('@jupyter-widgets/controls'),
      modelModuleVersion: imm('2.0.0'),
      modelName: imm('CheckboxModel'),
      seq: 4.5,
      origin: 'saved',
      state: { value: imm('true'), description: imm('"old"') },
    };
  });
  // Two writers at once: same trait (last writer wins, the same way in every replica) and
  // different traits (both kept).
  let other = A.clone(doc, { actor: ACTOR_B });
  doc = A.change(doc, (d) => void setCommState(d, 'aa-slider', { value: 8, readout: false }));
  other = A.change(other, (d) => void setCommState(d, 'aa-slider', { value: 9, description: 'from b' }));
  return A.merge(doc, other);
}

function applyWrite(bytes: Uint8Array, commId: string, patch: Record<string, unknown>): { written: string[]; doc: A.Doc<NotebookDoc> } {
  let written: string[] = [];
  const doc = A.change(A.load<NotebookDoc>(bytes), (d) => {
    written = setCommState(d, commId, patch);
  });
  return { written, doc };
}

function writeWidgetVectors(): void {
  const doc = buildDoc();
  const bytes = A.save(doc);
  const writes = [
    { commId: 'aa-slider', patch: '{"value": 9, "step": 2.0, "description": "neu ✓", "extra": {"z": [1.0, 1e-7, 1e21]}, "continuous_update": true}' },
    { commId: '42', patch: '{"value": 0.25, "max": 1e21, "tags": ["a", "b"], "none": null}' },
  ].map(({ commId, patch }) => {
    const { written, doc: after } = applyWrite(bytes, commId, JSON.parse(patch) as Record<string, unknown>);
    const texts = Object.fromEntries(Object.keys(JSON.parse(patch) as object).map((k) => [k, getCommStateText(after, commId, k)!]));
    return { commId, patch, written, texts };
  });
  const vectors: WidgetVectors = {
    description:
      'A notebook doc (base64 of Automerge.save, @automerge/automerge 3.5) and what the schema accessors read from it: comms = getComms(doc) (records sorted by seq), cells = getCells(doc), kernel = getKernel(doc). writes: setCommState(doc, commId, JSON.parse(patch)) on the loaded doc writes `written` (only traits whose JSON text changes) with these `texts`. Regenerate: QUIRE_WRITE_VECTORS=1 npx vitest run src-shared/protocol/vectors',
    doc: Buffer.from(bytes).toString('base64'),
    heads: A.getHeads(doc),
    comms: getComms(doc),
    cells: getCells(doc),
    kernel: getKernel(doc),
    writes,
  };
  writeFileSync(join(DIR, 'widget-records.json'), JSON.stringify(vectors, null, 2) + '\n');
}

describe('widget-records.json', () => {
  beforeAll(() => {
    if (process.env.QUIRE_WRITE_VECTORS === '1') writeWidgetVectors();
  });

  it('getComms, getCells and getKernel of the saved doc are the expected records', () => {
    const v = load<WidgetVectors>('widget-records.json');
    const doc = A.load<NotebookDoc>(new Uint8Array(Buffer.from(v.doc, 'base64')));
    expect(A.getHeads(doc)).toEqual(v.heads);
    expect(getComms(doc)).toEqual(v.comms);
    expect(getComms(doc).map((c) => c.id)).toEqual((v.comms as { id: string }[]).map((c) => c.id));
    expect(getCells(doc)).toEqual(v.cells);
    expect(getKernel(doc)).toEqual(v.kernel);
  });

  it('setCommState writes exactly the expected trait texts', () => {
    const v = load<WidgetVectors>('widget-records.json');
    const bytes = new Uint8Array(Buffer.from(v.doc, 'base64'));
    for (const w of v.writes) {
      const { written, doc } = applyWrite(bytes, w.commId, JSON.parse(w.patch) as Record<string, unknown>);
      expect(written).toEqual(w.written);
      for (const [key, text] of Object.entries(w.texts)) expect(getCommStateText(doc, w.commId, key)).toBe(text);
    }
  });

  it('the doc covers what it claims: seq order differs from key order, blobs, text traits, a merged conflict', () => {
    const v = load<WidgetVectors>('widget-records.json');
    const comms = v.comms as { id: string; seq: number; state: Record<string, unknown> }[];
    const ids = comms.map((c) => c.id);
    expect(ids).not.toEqual([...ids].sort());
    expect(ids).not.toContain('gone');
    const img = comms.find((c) => c.id === 'img')!;
    expect(img.state.value).toEqual({ $quireBlob: BLOB });
    expect(img.state.asText).toBe('from text');
    expect([img.state.broken, img.state.nan, img.state.empty]).toEqual([null, null, null]);
    const slider = comms.find((c) => c.id === 'aa-slider')!;
    expect([8, 9]).toContain(slider.state.value);
    expect(slider.state.readout).toBe(false);
    expect(slider.state.description).toBe('from b');
  });
});
