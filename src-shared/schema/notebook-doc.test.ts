import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import {
  batchCommSeqs,
  SCHEMA_VERSION,
  checkSchemaVersion,
  commPathOf,
  commStatePathOf,
  deleteCommsFrom,
  getCells,
  getComm,
  getCommIds,
  getCommStateText,
  getComms,
  getKernel,
  getNotebookMetadata,
  initNotebookDoc,
  putComm,
  setCommStateJson,
  setKernel,
  type NewComm,
  type NewNotebook,
  type NotebookDoc,
} from './notebook-doc';

const ACTOR_A = 'aa'.repeat(16);
const ACTOR_B = 'bb'.repeat(16);

const NOTEBOOK: NewNotebook = {
  nbformat: 4,
  nbformatMinor: 5,
  metadataJson: '{"kernelspec":{"name":"python3","display_name":"Python 3"},"x":1.0}',
  extraJson: null,
  cells: [
    {
      id: 'c1',
      cellType: 'code',
      source: 'print(1)\n',
      metadataJson: '{"tags":["a"]}',
      executionCount: 3,
      outputsJson: ['{"output_type":"stream","name":"stdout","text":"1\\n"}'],
      attachmentsJson: null,
      extraJson: null,
    },
    {
      id: 'm1',
      cellType: 'markdown',
      source: '# Title',
      metadataJson: '{}',
      executionCount: null,
      outputsJson: [],
      attachmentsJson: null,
      extraJson: null,
    },
  ],
};

function slider(value: number, origin: NewComm['origin'] = 'kernel'): NewComm {
  return {
    targetName: 'jupyter.widget',
    modelModule: '@jupyter-widgets/controls',
    modelModuleVersion: '2.0.0',
    modelName: 'IntSliderModel',
    origin,
    stateJson: { value: String(value), description: '"x"' },
  };
}

function newDoc(actor = ACTOR_A): A.Doc<NotebookDoc> {
  return A.change(A.init<NotebookDoc>({ actor }), (d) => initNotebookDoc(d, NOTEBOOK));
}

describe('initNotebookDoc and readers', () => {
  it('getCells returns cells in order with parsed metadata and outputs', () => {
    const cells = getCells(newDoc());
    expect(cells).toEqual([
      {
        id: 'c1',
        cellType: 'code',
        source: 'print(1)\n',
        executionCount: 3,
        outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
        metadata: { tags: ['a'] },
        run: 'idle',
        lastRun: null,
      },
      {
        id: 'm1',
        cellType: 'markdown',
        source: '# Title',
        executionCount: null,
        outputs: [],
        metadata: {},
        run: 'idle',
        lastRun: null,
      },
    ]);
  });

  it('the doc survives save/load and reads the same', () => {
    const doc = newDoc();
    const loaded = A.load<NotebookDoc>(A.save(doc));
    expect(getCells(loaded)).toEqual(getCells(doc));
    expect(getNotebookMetadata(loaded)).toEqual(getNotebookMetadata(doc));
  });

  it('getKernel starts unknown with null fields', () => {
    expect(getKernel(newDoc())).toEqual({ status: 'unknown', name: null, displayName: null, language: null, error: null });
  });

  it('getNotebookMetadata parses the metadata JSON', () => {
    expect(getNotebookMetadata(newDoc())).toEqual({ kernelspec: { name: 'python3', display_name: 'Python 3' }, x: 1 });
  });

  it('starts with no comms and the current schema version', () => {
    const doc = newDoc();
    expect(getComms(doc)).toEqual([]);
    expect(doc.schemaVersion).toBe(SCHEMA_VERSION);
    expect(checkSchemaVersion(doc)).toBeNull();
  });
});

describe('comms', () => {
  it('putComm assigns increasing seq and getComms sorts by seq, not by id', () => {
    let doc = newDoc();
    const seqs: number[] = [];
    doc = A.change(doc, (d) => {
      seqs.push(putComm(d, 'zzz', slider(1)));
      seqs.push(putComm(d, 'aaa', slider(2)));
    });
    doc = A.change(doc, (d) => {
      seqs.push(putComm(d, 'mmm', slider(3)));
    });
    expect(seqs).toEqual([1, 2, 3]);
    const comms = getComms(doc);
    expect(comms.map((c) => c.id)).toEqual(['zzz', 'aaa', 'mmm']);
    expect(comms.map((c) => c.seq)).toEqual([1, 2, 3]);
    expect(comms[0]).toEqual({
      id: 'zzz',
      targetName: 'jupyter.widget',
      modelModule: '@jupyter-widgets/controls',
      modelModuleVersion: '2.0.0',
      modelName: 'IntSliderModel',
      seq: 1,
      state: { value: 1, description: 'x' },
    });
  });

  it('replacing a comm gives it a new, higher seq', () => {
    let doc = A.change(newDoc(), (d) => {
      putComm(d, 'a', slider(1));
      putComm(d, 'b', slider(2));
    });
    doc = A.change(doc, (d) => {
      putComm(d, 'a', slider(5));
    });
    expect(getComms(doc).map((c) => [c.id, c.seq])).toEqual([
      ['b', 2],
      ['a', 3],
    ]);
    expect(getComm(doc, 'a')?.state.value).toBe(5);
  });

  it('opening a comm costs a fixed handful of ops, however many traits it has', () => {
    const stateJson: Record<string, string> = {};
    for (let i = 0; i < 40; i++) stateJson[`trait_${i}`] = JSON.stringify({ i, list: [i, 'x'] });
    const before = newDoc();
    const after = A.change(before, (d) => {
      putComm(d, 'w', { ...slider(1), stateJson });
    });
    const [change] = A.getChanges(before, after).map((c) => A.decodeChange(c));
    // the comm map, `opened`, `origin`, the `state` map and the seq counter: not one op per trait.
    expect(change!.ops.length).toBeLessThanOrEqual(5);
    expect(Object.keys(getComm(after, 'w')!.state)).toHaveLength(40);
    expect(getCommStateText(after, 'w', 'trait_7')).toBe(stateJson.trait_7);
  });

  it('a batch of comm opens writes the seq counter once, and seqs keep increasing across batches', () => {
    const before = A.change(newDoc(), (d) => {
      putComm(d, 'first', slider(0));
    });
    const after = A.change(before, (d) => {
      batchCommSeqs(d, () => {
        for (let i = 1; i <= 100; i++) putComm(d, `w${i}`, slider(i));
      });
    });
    const [change] = A.getChanges(before, after).map((c) => A.decodeChange(c));
    // Per comm: its map, `opened`, `origin` and the `state` map; the counter once for all.
    expect(change!.ops.length).toBe(4 * 100 + 1);
    const next = A.change(after, (d) => {
      putComm(d, 'last', slider(0));
    });
    const seqs = getComms(next).map((c) => c.seq);
    expect(seqs).toEqual(Array.from({ length: 102 }, (_, i) => i + 1));
    expect(getComms(next).at(-1)!.id).toBe('last');
  });

  it('a trait written after opening wins over the opened value, and survives save/load', () => {
    let doc = A.change(newDoc(), (d) => {
      putComm(d, 'w', slider(1));
    });
    doc = A.change(doc, (d) => {
      setCommStateJson(d, 'w', { value: '2' });
    });
    doc = A.load<NotebookDoc>(A.save(doc));
    expect(getComm(doc, 'w')?.state).toEqual({ value: 2, description: 'x' });
    expect(getCommStateText(doc, 'w', 'value')).toBe('2');
    expect(getCommStateText(doc, 'w', 'description')).toBe('"x"');
    expect(getCommStateText(doc, 'w', 'missing')).toBeUndefined();
  });

  it('setCommStateJson writes only changed keys and returns them', () => {
    let doc = A.change(newDoc(), (d) => {
      putComm(d, 'w', slider(1));
    });
    const headsBefore = A.getHeads(doc);
    let written: string[] = [];
    doc = A.change(doc, (d) => {
      written = setCommStateJson(d, 'w', { value: '1', description: '"y"', max: '10' });
    });
    expect(written.sort()).toEqual(['description', 'max']);
    // Only the two changed keys show up in the change's diff.
    const patches = A.diff(doc, headsBefore, A.getHeads(doc));
    const touched = patches.map((p) => commStatePathOf(p.path)?.key).filter((k) => k !== undefined);
    expect(new Set(touched)).toEqual(new Set(['description', 'max']));
    expect(getComm(doc, 'w')?.state).toEqual({ value: 1, description: 'y', max: 10 });
  });

  it('setCommStateJson with nothing changed makes no change at all', () => {
    const doc = A.change(newDoc(), (d) => {
      putComm(d, 'w', slider(1));
    });
    let written: string[] = ['sentinel'];
    const after = A.change(doc, (d) => {
      written = setCommStateJson(d, 'w', { value: '1', description: '"x"' });
    });
    expect(written).toEqual([]);
    expect(A.getHeads(after)).toEqual(A.getHeads(doc));
  });

  it('setCommStateJson on a missing comm writes nothing', () => {
    let written: string[] = ['sentinel'];
    A.change(newDoc(), (d) => {
      written = setCommStateJson(d, 'nope', { value: '1' });
    });
    expect(written).toEqual([]);
  });

  it('two replicas changing different traits of one comm both survive a merge', () => {
    const base = A.change(newDoc(ACTOR_A), (d) => {
      putComm(d, 'w', slider(1));
    });
    let a = base;
    let b = A.clone(base, { actor: ACTOR_B });
    a = A.change(a, (d) => {
      setCommStateJson(d, 'w', { value: '42' });
    });
    b = A.change(b, (d) => {
      setCommStateJson(d, 'w', { description: '"from b"' });
    });
    a = A.merge(a, b);
    b = A.merge(b, a);
    const expected = { value: 42, description: 'from b' };
    expect(getComm(a, 'w')?.state).toEqual(expected);
    expect(getComm(b, 'w')?.state).toEqual(expected);
  });

  it('two replicas changing the same trait converge to one of the two values on both sides', () => {
    const base = A.change(newDoc(ACTOR_A), (d) => {
      putComm(d, 'w', slider(1));
    });
    let a = base;
    let b = A.clone(base, { actor: ACTOR_B });
    a = A.change(a, (d) => {
      setCommStateJson(d, 'w', { value: '10' });
    });
    b = A.change(b, (d) => {
      setCommStateJson(d, 'w', { value: '20' });
    });
    a = A.merge(a, b);
    b = A.merge(b, a);
    const va = getCommStateText(a, 'w', 'value');
    expect(va).toBe(getCommStateText(b, 'w', 'value'));
    expect(['10', '20']).toContain(va);
    // The trait stays one JSON value, not a mix of the two.
    expect(getComm(a, 'w')?.state.value).toBe(Number(va));
  });

  it("deleteCommsFrom('kernel') deletes kernel comms and keeps saved ones", () => {
    let doc = A.change(newDoc(), (d) => {
      putComm(d, 'k1', slider(1, 'kernel'));
      putComm(d, 's1', slider(2, 'saved'));
      putComm(d, 'k2', slider(3, 'kernel'));
    });
    let n = -1;
    doc = A.change(doc, (d) => {
      n = deleteCommsFrom(d, 'kernel');
    });
    expect(n).toBe(2);
    expect(getCommIds(doc)).toEqual(['s1']);
    expect(getComm(doc, 's1')?.state.value).toBe(2);
  });
});

describe('setKernel', () => {
  it('sets the given fields and leaves the others alone', () => {
    let doc = A.change(newDoc(), (d) => {
      setKernel(d, { status: 'idle', name: 'python3', displayName: 'Python 3', language: 'python' });
    });
    expect(getKernel(doc)).toEqual({ status: 'idle', name: 'python3', displayName: 'Python 3', language: 'python', error: null });
    doc = A.change(doc, (d) => {
      setKernel(d, { status: 'dead', error: 'kernel died' });
    });
    expect(getKernel(doc)).toEqual({
      status: 'dead',
      name: 'python3',
      displayName: 'Python 3',
      language: 'python',
      error: 'kernel died',
    });
  });

  it('null clears a field', () => {
    let doc = A.change(newDoc(), (d) => {
      setKernel(d, { status: 'dead', error: 'boom' });
    });
    doc = A.change(doc, (d) => {
      setKernel(d, { status: 'starting', error: null });
    });
    expect(getKernel(doc).error).toBeNull();
    expect(getKernel(doc).status).toBe('starting');
  });

  it('an unchanged patch makes no change', () => {
    const doc = A.change(newDoc(), (d) => {
      setKernel(d, { status: 'idle', name: 'python3' });
    });
    const after = A.change(doc, (d) => {
      setKernel(d, { status: 'idle', name: 'python3' });
    });
    expect(A.getHeads(after)).toEqual(A.getHeads(doc));
  });
});

describe('path helpers', () => {
  it('commStatePathOf recognises comms/<id>/state/<key>', () => {
    expect(commStatePathOf(['comms', 'c1', 'state', 'value'])).toEqual({ commId: 'c1', key: 'value' });
    expect(commStatePathOf(['comms', 'c1', 'state'])).toBeNull();
    expect(commStatePathOf(['comms', 'c1', 'seq'])).toBeNull();
    expect(commStatePathOf(['cells', 0, 'state', 'value'])).toBeNull();
    expect(commStatePathOf(['comms', 0, 'state', 'value'])).toBeNull();
  });

  it('commPathOf recognises exactly comms/<id>', () => {
    expect(commPathOf(['comms', 'c1'])).toBe('c1');
    expect(commPathOf(['comms', 'c1', 'state'])).toBeNull();
    expect(commPathOf(['comms'])).toBeNull();
    expect(commPathOf(['cells', 'c1'])).toBeNull();
  });

  it('the paths of a real Automerge diff map back to the comm and trait', () => {
    const base = newDoc();
    const doc = A.change(base, (d) => {
      putComm(d, 'w', slider(1));
    });
    const next = A.change(doc, (d) => {
      setCommStateJson(d, 'w', { value: '7' });
    });
    const hits = A.diff(next, A.getHeads(doc), A.getHeads(next))
      .map((p) => commStatePathOf(p.path))
      .filter((x) => x !== null);
    expect(hits).toContainEqual({ commId: 'w', key: 'value' });
    const created = A.diff(doc, A.getHeads(base), A.getHeads(doc))
      .map((p) => commPathOf(p.path))
      .filter((x) => x !== null);
    expect(created).toContain('w');
  });
});

describe('checkSchemaVersion', () => {
  it('accepts the current and older versions', () => {
    expect(checkSchemaVersion({ schemaVersion: SCHEMA_VERSION } as NotebookDoc)).toBeNull();
    expect(checkSchemaVersion({ schemaVersion: 0 } as NotebookDoc)).toBeNull();
  });

  it('refuses a newer version, naming it', () => {
    const message = checkSchemaVersion({ schemaVersion: SCHEMA_VERSION + 1 } as NotebookDoc);
    expect(message).toContain(String(SCHEMA_VERSION + 1));
  });

  it('refuses a doc without a schema version', () => {
    expect(checkSchemaVersion({} as NotebookDoc)).toMatch(/schemaVersion/);
    expect(checkSchemaVersion(A.init<NotebookDoc>())).not.toBeNull();
  });
});
