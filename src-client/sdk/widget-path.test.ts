/**
 * The widget path end to end: a real ipykernel, the real daemon process over its socket,
 * independent client replicas (and the CLI as a separate process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, waitFor, type TestDaemon } from '../testing/daemon-harness';
import type { NotebookSession } from './index';

let daemon: TestDaemon;

beforeAll(async () => {
  daemon = await startTestDaemon();
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
});

/** Two independent replicas (two connections) on one notebook. */
async function twoSessions(name: string): Promise<[NotebookSession, NotebookSession]> {
  const path = daemon.notebook(name);
  const a = await (await daemon.client('a')).openNotebook(path);
  const b = await (await daemon.client('b')).openNotebook(path);
  return [a, b];
}

function widgetByName(nb: NotebookSession, modelName: string) {
  return nb.getWidgets().filter((w) => w.modelName === modelName);
}

async function kernelValue(nb: NotebookSession, expr: string): Promise<string> {
  const result = await nb.execute(`print(${expr})`);
  expect(result.status).toBe('ok');
  return result.outputs.map((o) => String(o.text ?? '')).join('').trim();
}

describe('widget path', () => {
  it("an IntSlider's comm_open reaches a second process's getWidgets() after confirmSync()", async () => {
    const [a] = await twoSessions('second-process.ipynb');
    const result = await a.execute('import ipywidgets as w\ns = w.IntSlider(value=3)\ndisplay(s)');
    expect(result.status).toBe('ok');
    const view = result.outputs.find((o) => o.output_type === 'display_data')?.data as Record<string, { model_id: string }>;
    const modelId = view['application/vnd.jupyter.widget-view+json']!.model_id;

    const cli = await daemon.cli(['widgets', a.path, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const widgets = JSON.parse(cli.stdout) as { id: string; modelName: string; state: Record<string, unknown> }[];
    const slider = widgets.find((w) => w.id === modelId);
    expect(slider?.modelName).toBe('IntSliderModel');
    expect(slider?.state.value).toBe(3);
  });

  it('a kernel-side value change reaches both clients', async () => {
    const [a, b] = await twoSessions('kernel-change.ipynb');
    await a.execute('import ipywidgets as w\ns = w.IntSlider()');
    await a.execute('s.value = 7');
    for (const nb of [a, b]) {
      await nb.confirmSync();
      expect(widgetByName(nb, 'IntSliderModel')[0]?.state.value).toBe(7);
    }
  });

  it("updateWidget from one client changes the kernel's value and the other client's", async () => {
    const [a, b] = await twoSessions('client-update.ipynb');
    await a.execute('import ipywidgets as w\ns = w.IntSlider()');
    await a.confirmSync();
    const id = widgetByName(a, 'IntSliderModel')[0]!.id;
    a.updateWidget(id, { value: 42 });
    await a.confirmSent();
    await waitFor(async () => (await kernelValue(a, 's.value')) === '42', 'the kernel to see value 42');
    await b.confirmSync();
    expect(b.getWidgets().find((w) => w.id === id)?.state.value).toBe(42);
  });

  it('an update sent right after a comm_open, behind another comm\'s update, is not lost', async () => {
    const [a] = await twoSessions('update-after-open.ipynb');
    await a.execute('import ipywidgets as w\nfirst = w.IntSlider()');
    // One cell: an update of an existing comm, then a new comm and its immediate update
    // (add_class), all inside one coalescing frame of the daemon.
    for (let i = 0; i < 5; i++) {
      await a.execute(`first.value = ${i + 1}\nb${i} = w.HBox()\nb${i}.add_class('marked-${i}')`);
    }
    await a.confirmSync();
    const classes = widgetByName(a, 'HBoxModel').map((w) => w.state._dom_classes);
    expect(classes).toHaveLength(5);
    for (const [i, c] of classes.entries()) expect(c).toEqual([`marked-${i}`]);
  });

  it('rapid client edits end with the kernel and every replica on the last value (no echo bounce)', async () => {
    const [a, b] = await twoSessions('no-echo.ipynb');
    await a.execute('import ipywidgets as w\ns = w.IntSlider(max=1000)\nseen = []\ns.observe(lambda c: seen.append(c["new"]), "value")');
    await a.confirmSync();
    const id = widgetByName(a, 'IntSliderModel')[0]!.id;
    for (let v = 1; v <= 50; v++) a.updateWidget(id, { value: v });
    await a.confirmSent();
    await waitFor(async () => (await kernelValue(a, 's.value')) === '50', 'the kernel to reach 50');
    // Give any echo a chance to bounce back, then check nothing moved.
    await new Promise((r) => setTimeout(r, 300));
    for (const nb of [a, b]) {
      await nb.confirmSync();
      expect(nb.getWidgets().find((w) => w.id === id)?.state.value).toBe(50);
    }
    // The kernel saw values in order and never went backwards (no stale echo re-applied).
    const seen = JSON.parse((await kernelValue(a, 'seen')).replace(/'/g, '"')) as number[];
    expect(seen.at(-1)).toBe(50);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
  });

  it('a container is created after its children (seq order)', async () => {
    const [a] = await twoSessions('seq-order.ipynb');
    await a.execute('import ipywidgets as w\nbox = w.VBox([w.IntSlider(), w.HBox([w.Button(), w.Checkbox()])])');
    await a.confirmSync();
    const widgets = a.getWidgets();
    const seqOf = new Map(widgets.map((w) => [w.id, w.seq]));
    let references = 0;
    for (const w of widgets) {
      for (const ref of JSON.stringify(w.state).match(/IPY_MODEL_[0-9a-f]+/g) ?? []) {
        references++;
        expect(seqOf.get(ref.slice('IPY_MODEL_'.length)), `${w.modelName} references ${ref}`).toBeLessThan(w.seq);
      }
    }
    expect(references).toBeGreaterThanOrEqual(8); // children, layouts and styles
    expect(widgets.map((w) => w.seq)).toEqual([...widgets.map((w) => w.seq)].sort((x, y) => x - y));
  });

  it('traitlets.link in the kernel propagates a client edit to the linked widget in every client', async () => {
    const [a, b] = await twoSessions('link.ipynb');
    await a.execute('import ipywidgets as w\nx = w.IntSlider(description="x")\ny = w.IntSlider(description="y")\nl = w.link((x, "value"), (y, "value"))');
    await a.confirmSync();
    const x = a.getWidgets().find((w) => w.state.description === 'x')!;
    const y = a.getWidgets().find((w) => w.state.description === 'y')!;
    a.updateWidget(x.id, { value: 9 });
    await a.confirmSent();
    await waitFor(async () => {
      await b.confirmSync();
      return b.getWidgets().find((w) => w.id === y.id)?.state.value === 9;
    }, 'y to follow x in client b');
    await a.confirmSync();
    expect(a.getWidgets().find((w) => w.id === y.id)?.state.value).toBe(9);
  });

  it('a custom message round-trips and never touches the doc', async () => {
    const [a, b] = await twoSessions('custom.ipynb');
    await a.execute(
      'import ipywidgets as w\ns = w.IntSlider()\ns.on_msg(lambda widget, content, buffers: widget.send({"echo": content, "n": len(buffers)}, buffers=buffers))',
    );
    await a.confirmSync();
    const id = widgetByName(a, 'IntSliderModel')[0]!.id;
    const headsBefore = (await a.confirmSync(), JSON.stringify(a.getWidgets()));
    const receivedByB = new Promise<{ content: Record<string, unknown>; buffers: Uint8Array[] }>((resolve) =>
      b.onCustom((m) => m.commId === id && resolve(m)),
    );
    await a.sendCustom(id, { hello: 'world' }, [new Uint8Array([1, 2, 3])]);
    const msg = await receivedByB;
    expect(msg.content).toEqual({ echo: { hello: 'world' }, n: 1 });
    expect([...msg.buffers[0]!]).toEqual([1, 2, 3]);
    await a.confirmSync();
    expect(JSON.stringify(a.getWidgets())).toBe(headsBefore);
    expect(JSON.stringify(a.current)).not.toContain('hello');
  });

  it('comm_close removes the comm; restart removes every kernel comm', async () => {
    const [a, b] = await twoSessions('close-restart.ipynb');
    await a.execute('import ipywidgets as w\ns = w.IntSlider()\nt = w.Text()');
    await a.confirmSync();
    const slider = widgetByName(a, 'IntSliderModel')[0]!;
    await a.execute('s.close()');
    await b.confirmSync();
    expect(b.getWidgets().some((w) => w.id === slider.id)).toBe(false);
    expect(widgetByName(b, 'TextModel')).toHaveLength(1);

    await a.restart();
    await b.confirmSync();
    expect(b.getWidgets()).toEqual([]);
    expect(await kernelValue(a, '"t" in dir()')).toBe('False');
  });

  it('binary buffers go to the blob store; the doc holds a hash', async () => {
    const [a, b] = await twoSessions('buffers.ipynb');
    await a.execute('import ipywidgets as w\nimg = w.Image(value=bytes(range(256)) * 4, format="png")');
    await b.confirmSync();
    const image = widgetByName(b, 'ImageModel')[0]!;
    const ref = image.state.value as { $quireBlob: string };
    expect(ref.$quireBlob).toMatch(/^[0-9a-f]{64}$/);
    const bytes = await b.getBlob(ref.$quireBlob);
    expect(bytes.length).toBe(1024);
    expect(bytes[255]).toBe(255);
    // And back: a buffer set by a client reaches the kernel as bytes.
    b.updateWidget(image.id, { width: '64' });
    await b.confirmSent();
    await waitFor(async () => (await kernelValue(a, 'img.width')) === '64', 'the kernel to see width 64');
  });
});

describe('cell outputs in the doc', () => {
  it('stream, display, update_display_data, clear_output(wait) and errors land in the doc', async () => {
    const path = daemon.notebook('outputs.ipynb', [
      { source: "import sys\nprint('a')\nprint('b')\n_ = sys.stderr.write('warn\\n')" },
      {
        source:
          "from IPython.display import display, HTML, clear_output\nh = display(HTML('<b>x</b>'), display_id=True)\nh.update(HTML('<i>y</i>'))\n6 * 7",
      },
      { source: "print('old')\nclear_output(wait=True)\nprint('new')" },
      { source: '1/0' },
      { cell_type: 'markdown', source: '# not run' },
    ]);
    const a = await (await daemon.client('runner')).openNotebook(path);
    const b = await (await daemon.client('watcher')).openNotebook(path);
    const cells = a.getCells();
    const results = [];
    for (const cell of cells) results.push(await a.execute({ cellId: cell.id }));
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'error', 'ok']);
    expect(results[3]!.error?.ename).toBe('ZeroDivisionError');

    await b.confirmSync();
    const [c0, c1, c2, c3] = b.getCells();
    expect(c0!.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
      { output_type: 'stream', name: 'stderr', text: 'warn\n' },
    ]);
    expect(c1!.outputs[0]).toMatchObject({ output_type: 'display_data', data: { 'text/html': '<i>y</i>' } });
    expect(c1!.outputs[1]).toMatchObject({ output_type: 'execute_result', data: { 'text/plain': '42' }, execution_count: 2 });
    expect(c2!.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'new\n' }]);
    expect(c3!.outputs[0]).toMatchObject({ output_type: 'error', ename: 'ZeroDivisionError' });
    expect(b.getCells().map((c) => c.executionCount)).toEqual([1, 2, 3, 4, null]);
    expect(b.getCells().every((c) => c.run === 'idle')).toBe(true);
    expect(b.getKernel().status).toBe('idle');
  });
});
