// Electron smoke test: the built app opens a window on the renderer, locked down.
import { expect, test } from './fixtures/electron';

type Prefs = { contextIsolation?: boolean; sandbox?: boolean; nodeIntegration?: boolean };

test('opens a window with a locked-down renderer', async ({ electronApp, firstWindow }) => {
  await expect(firstWindow.locator('#root')).toBeVisible();
  await expect(firstWindow).toHaveTitle(/Quire/);

  // webPreferences as Electron applied them. getLastWebPreferences() exists at run time but is
  // not in electron.d.ts any more, hence the cast.
  const prefs = await electronApp.evaluate(({ BrowserWindow }) => {
    const win = BrowserWindow.getAllWindows()[0];
    if (!win) throw new Error('no BrowserWindow open');
    const wc = win.webContents as unknown as { getLastWebPreferences?: () => Prefs | null };
    const p = wc.getLastWebPreferences?.();
    return p ? { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration } : null;
  });
  if (prefs === null) test.info().annotations.push({ type: 'note', description: 'getLastWebPreferences() unavailable' });
  else expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });

  // Whatever the API says, Node must not be reachable from the page, and popups are denied.
  const page = await firstWindow.evaluate(() => {
    const g = globalThis as unknown as Record<string, unknown> & { open(url: string): unknown };
    return { require: typeof g['require'], process: typeof g['process'], popup: g.open('about:blank') };
  });
  expect(page).toEqual({ require: 'undefined', process: 'undefined', popup: null });
  expect(electronApp.windows()).toHaveLength(1);
});
