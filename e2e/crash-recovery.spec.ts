// Unsaved edits survive a crash of the daemon and the host: the next window shows them and
// offers the recovered version (keep it, or go back to the file on disk).
import { readFileSync } from 'node:fs';
import { test, expect } from './fixtures/quire';
import { writeNotebook } from './fixtures/notebooks';

test('SIGKILL the daemon and the host mid-edit: reopening shows every edit and offers the recovered version', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'x = 1' }, { source: 'y = 2' }]);
  const win = await quire.openWindow();
  await win.typeInCell(0, '\n# typed before the crash');
  await win.typeInCell(1, '  # and here', { delay: 5 });
  await expect.poll(async () => (await win.docCells()).map((c) => c.source)).toEqual(['x = 1\n# typed before the crash', 'y = 2  # and here']);
  // The daemon snapshots at most once a second: the crash must come after it wrote these edits.
  await expect.poll(() => quire.snapshotSources(), { timeout: 10_000 }).toEqual(['x = 1\n# typed before the crash', 'y = 2  # and here']);

  const pid = await quire.daemonPid();
  quire.killHosts();
  process.kill(pid, 'SIGKILL');
  const onDisk = readFileSync(quire.notebook, 'utf8');
  expect(onDisk).not.toContain('typed before the crash'); // nothing was saved: recovery is the only way back

  const again = await quire.openWindow(); // a new host, which starts a new daemon
  await expect.poll(() => again.cellText(0), { timeout: 30_000 }).toBe('x = 1\n# typed before the crash');
  await expect.poll(() => again.cellText(1)).toBe('y = 2  # and here');
  const banner = again.page.getByTestId('recovery-banner');
  await expect(banner).toBeVisible();
  await banner.getByRole('button', { name: /Keep recovered version/ }).click();
  await expect(banner).toBeHidden();
  await expect(again.page.getByTestId('save-state')).toHaveAttribute('data-state', 'dirty');
});

test('discarding the recovered version reloads the file', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'original' }]);
  const win = await quire.openWindow();
  await win.typeInCell(0, ' edited');
  await expect.poll(async () => (await win.docCells())[0]?.source).toBe('original edited');
  await expect.poll(() => quire.snapshotSources(), { timeout: 10_000 }).toEqual(['original edited']);
  const pid = await quire.daemonPid();
  quire.killHosts();
  process.kill(pid, 'SIGKILL');

  const again = await quire.openWindow();
  await expect.poll(() => again.cellText(0), { timeout: 30_000 }).toBe('original edited');
  await again.page.getByTestId('recovery-banner').getByRole('button', { name: /Discard/ }).click();
  await expect.poll(() => again.cellText(0)).toBe('original');
  await expect(again.page.getByTestId('recovery-banner')).toBeHidden();
});

test('a file changed on disk by another program is detected; the user reloads it', async ({ quire }) => {
  writeNotebook(quire.notebook, [{ source: 'mine' }]);
  const win = await quire.openWindow();
  await expect.poll(() => win.cellText(0)).toBe('mine');
  writeNotebook(quire.notebook, [{ source: 'theirs' }]);
  const banner = win.page.getByTestId('disk-banner');
  await expect(banner).toBeVisible({ timeout: 15_000 });
  await banner.getByRole('button', { name: /Reload from disk/ }).click();
  await expect.poll(() => win.cellText(0)).toBe('theirs');
  await expect(banner).toBeHidden();
});
