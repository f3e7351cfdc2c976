// Widgets driven by the front end rather than the kernel: jslink/jsdlink (no kernel
// round-trip), Play (one driver per notebook, not one per window), FileUpload (bytes from a
// window reach the kernel through the blob store), and two windows editing one widget.
import { heldCell } from '../src-client/testing/held-cell';
import { test, expect, type Quire } from './fixtures/quire';
import { family, kernel, openGallery } from './fixtures/gallery';
import type { NotebookPage } from './pages/notebook-page';

async function commOf(win: NotebookPage, modelName: string, description?: string) {
  const comms = await win.comms();
  const found = comms.find((c) => c.modelName === modelName && (description === undefined || c.state.description === description));
  if (!found) throw new Error(`no ${modelName} ${description ?? ''} in the doc`);
  return found;
}

test('jslink and jsdlink propagate in every window while the kernel is busy (no kernel round-trip)', async ({ quire }) => {
  const [one, two] = await openGallery(quire);
  // The kernel cannot answer anything until released: whatever changes now was done by the windows.
  const held = heldCell(quire.home);
  const busy = quire.cli(['exec', quire.notebook, held.code]);
  await expect(one.kernelStatus()).toHaveAttribute('data-status', 'busy');

  const source = family(one, 'animation').getByLabel('Source');
  await source.fill('5');
  await source.press('Enter');
  for (const win of [one, two]) await expect(family(win, 'animation').getByLabel('Target')).toHaveValue('5');

  // jsdlink is one-way: the target can diverge without touching the source.
  const target = family(two, 'animation').getByLabel('Target');
  await target.fill('9');
  await target.press('Enter');
  for (const win of [one, two]) await expect(family(win, 'animation').getByLabel('Source')).toHaveValue('5');

  // jslink is two-way: the Frame slider (window two) moves the Play model's value too.
  const frame = family(two, 'animation').getByRole('slider');
  await frame.focus();
  await frame.press('ArrowRight');
  await frame.press('ArrowRight');
  await expect.poll(async () => (await commOf(one, 'PlayModel')).state.value).toBe(2);
  await expect(one.kernelStatus()).toHaveAttribute('data-status', 'busy'); // all of it while busy

  held.release();
  await busy;
  await expect.poll(() => kernel(quire, 'print(source_text.value, target_text.value, play.value, play_slider.value)')).toBe('5 9 2 2');
});

const PLAY_INTERVAL = 300;

/** Starts Play from `win`, lets it run 4 s and returns what the kernel saw: ticks, their span (s), and whether they stepped by one. */
async function runPlay(quire: Quire, win: NotebookPage): Promise<{ count: number; span: number; monotonic: boolean }> {
  await kernel(
    quire,
    ['import time as _t', 'ticks = []', "play.observe(lambda c: ticks.append((_t.monotonic(), c['new'])), names='value')", `play.interval = ${PLAY_INTERVAL}`].join('\n'),
  );
  await family(win, 'animation').locator('.widget-play button').first().click();
  await expect.poll(() => kernel(quire, 'print(play.playing)')).toBe('True');
  await win.page.waitForTimeout(4000);
  const [count, span, monotonic] = JSON.parse(
    await kernel(quire, 'import json; v = [x for _, x in ticks]; print(json.dumps([len(ticks), ticks[-1][0] - ticks[0][0], all(b == a + 1 for a, b in zip(v, v[1:]))]))'),
  ) as [number, number, boolean];
  return { count, span, monotonic };
}

/** One timer: at most one step per interval (two drivers would make about twice as many). */
function expectOneDriver({ count, span, monotonic }: { count: number; span: number; monotonic: boolean }): void {
  expect(count).toBeGreaterThanOrEqual(5);
  expect(count - 1).toBeLessThanOrEqual((span * 1000) / PLAY_INTERVAL + 1);
  expect(monotonic).toBe(true);
}

/** Closes the driving window; Play must keep advancing from `next`, which then pauses it. */
async function expectHandOver(quire: Quire, driving: NotebookPage, next: NotebookPage): Promise<void> {
  await driving.page.close();
  const before = Number(await kernel(quire, 'print(play.value)'));
  await expect.poll(async () => Number(await kernel(quire, 'print(play.value)')), { timeout: 10_000 }).toBeGreaterThan(before + 2);
  await family(next, 'animation').locator('.widget-play button').first().click(); // pause
  await expect.poll(() => kernel(quire, 'print(play.playing)')).toBe('False');
}

test('Play advances once per notebook: two windows do not drive it twice; the next window takes over', async ({ quire }) => {
  const [one, two] = await openGallery(quire);
  // Started from the window that is not the driver: the driver still runs it.
  expectOneDriver(await runPlay(quire, two));
  for (const win of [one, two]) await expect.poll(async () => Number(await family(win, 'animation').getByRole('slider').getAttribute('aria-valuenow'))).toBeGreaterThan(3);

  // The driver window closes: window two takes over and Play keeps going.
  await expectHandOver(quire, one, two);
});

test('Play with windows in two host processes: the daemon elects one driver, so it still steps once per interval', async ({ quire }) => {
  const [one] = await openGallery(quire);
  const other = await quire.openWindowInSecondHost();
  await expect(family(other, 'animation')).toBeVisible({ timeout: 15_000 });
  expectOneDriver(await runPlay(quire, other));
  // The first host's only window closes (the host keeps the notebook open): the second host drives.
  await expectHandOver(quire, one, other);
});

test('FileUpload: bytes chosen in one window reach the kernel through the blob store; the other window sees the upload', async ({ quire }) => {
  const [one, two] = await openGallery(quire);
  const bytes = Buffer.from([0, 1, 2, 254, 255, ...Buffer.from(' hello from Quire')]);
  // The view's file input is not in the document; its click opens the chooser.
  const chooser = one.page.waitForEvent('filechooser');
  await family(one, 'files').getByRole('button', { name: /Upload/ }).click();
  await (await chooser).setFiles({ name: 'hello.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await expect
    .poll(() => kernel(quire, "f = upload.value[0] if upload.value else None; print(f and (f['name'], f['size'], bytes(f['content']).hex()))"))
    .toBe(`('hello.bin', ${bytes.length}, '${bytes.toString('hex')}')`);
  // The kernel's observer saw the bytes too (value changed once, with content).
  expect(await kernel(quire, "print([e for e in log if e[0] == 'Upload'][-1][1][0][1].hex())")).toBe(bytes.toString('hex'));
  // The doc holds a hash, not the bytes.
  const upload = await commOf(two, 'FileUploadModel');
  const content = (upload.state.value as { content: unknown }[])[0]?.content as { $quireBlob?: string };
  expect(content.$quireBlob).toMatch(/^[0-9a-f]{64}$/);
  await expect(family(two, 'files').getByRole('button', { name: /Upload \(1\)/ })).toBeVisible();
  // And the kernel clearing it reaches both windows.
  await kernel(quire, 'upload.value = ()');
  for (const win of [one, two]) await expect(family(win, 'files').getByRole('button', { name: /Upload \(0\)/ })).toBeVisible();
});

test('two host processes editing one widget: different keys both survive; the same key converges', async ({ quire }) => {
  const [one] = await openGallery(quire);
  const other = await quire.openWindowInSecondHost();
  await expect(family(other, 'numbers')).toBeVisible({ timeout: 15_000 });
  const id = (await commOf(one, 'IntTextModel', 'Int text')).id;
  const update = (win: NotebookPage, patch: Record<string, unknown>) =>
    win.page.evaluate(([i, p]) => window.quire!.updateWidget(i as string, p as Record<string, unknown>), [id, patch] as const);

  // Different keys, at the same moment, from two replicas.
  await Promise.all([update(one, { value: 11 }), update(other, { description: 'Edited' })]);
  await expect.poll(() => kernel(quire, 'print(int_text.value, int_text.description)')).toBe('11 Edited');
  for (const win of [one, other]) {
    await expect(family(win, 'numbers').getByLabel('Edited')).toHaveValue('11');
  }

  // The same key, at the same moment: every window and the kernel end on one value.
  await Promise.all([update(one, { value: 21 }), update(other, { value: 22 })]);
  await expect.poll(async () => {
    const [a, b, k] = [
      (await commOf(one, 'IntTextModel', 'Edited')).state.value,
      (await commOf(other, 'IntTextModel', 'Edited')).state.value,
      Number(await kernel(quire, 'print(int_text.value)')),
    ];
    return a === b && b === k && (k === 21 || k === 22);
  }, { timeout: 15_000 }).toBe(true);
  const settled = Number(await kernel(quire, 'print(int_text.value)'));
  for (const win of [one, other]) await expect(family(win, 'numbers').getByLabel('Edited')).toHaveValue(String(settled));
});
