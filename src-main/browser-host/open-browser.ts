/**
 * Opens the browser host's URL in Chromium's app mode (a window with no browser chrome), when
 * there is a display and a Chromium. Used by `quire serve` and `npm start`.
 *
 * The token never appears on a command line (other local users can read those): Chromium is
 * pointed at a 0600 file in a private temp dir that redirects to the URL, as Jupyter does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findOnPath, isExecutable } from '../core/find-executable';

export function hasDisplay(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** QUIRE_CHROMIUM, else the first chromium / chromium-browser on PATH (null when none). */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.QUIRE_CHROMIUM) return isExecutable(env.QUIRE_CHROMIUM) ? env.QUIRE_CHROMIUM : null;
  return findOnPath(['chromium', 'chromium-browser'], env);
}

/** Can we open an app window here? With the reason when not. */
export function appModeAvailability(env: NodeJS.ProcessEnv = process.env): { chromium: string | null; reason: string } {
  if (!hasDisplay(env)) return { chromium: null, reason: 'there is no display ($DISPLAY and $WAYLAND_DISPLAY are unset)' };
  const chromium = findChromium(env);
  if (!chromium) return { chromium: null, reason: 'no Chromium was found (install chromium or set QUIRE_CHROMIUM)' };
  return { chromium, reason: '' };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface AppWindow {
  process: ChildProcess;
  /** Resolves when Chromium exits (the user closed the window). */
  exited: Promise<number | null>;
  close(): void;
}

/**
 * Starts Chromium in app mode on `url` with a throwaway profile. The flags are the ones known to
 * work on our machines (TESTING.md); `--no-sandbox` only when running as root, where Chromium
 * refuses to start without it.
 */
export function openChromiumApp(chromium: string, url: string): AppWindow {
  const dir = mkdtempSync(join(tmpdir(), 'quire-app-'));
  const redirect = join(dir, 'open.html');
  const href = escapeHtml(url);
  writeFileSync(
    redirect,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>Quire</title><p><a href="${href}">Open Quire</a></p>\n`,
    { mode: 0o600 },
  );
  const args = [
    `--app=${pathToFileURL(redirect).href}`,
    `--user-data-dir=${join(dir, 'profile')}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--window-size=1200,900',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  const child = spawn(chromium, args, { stdio: 'ignore', detached: false });
  const cleanup = () => {
    try {
      // Chromium's helper processes can outlive the launcher and still write into the profile.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      // A leftover temporary profile is not worth crashing the host over.
    }
  };
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      cleanup();
      resolveExit(code);
    });
    child.once('error', () => {
      cleanup();
      resolveExit(null);
    });
  });
  return {
    process: child,
    exited,
    close: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
