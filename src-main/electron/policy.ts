/**
 * The Electron adapter's decisions that need no Electron (so they are unit-tested without the
 * binary): window titles, which URLs are our renderer, launch arguments, the recent list, CSP,
 * and how to start the daemon from inside Electron.
 */
import { rendererCsp } from '../../src-shared/ipc/renderer-csp';
import { findOnPath } from '../core/find-executable';
import { isAbsolute, resolve } from 'node:path';

export const APP_NAME = 'Quire';

/** `name.ipynb — Quire`, with `• ` in front while there are unsaved changes. */
export function windowTitle(name: string, dirty: boolean): string {
  return `${dirty ? '• ' : ''}${name} — ${APP_NAME}`;
}

/** The CSP of every renderer response (index.html carries the same as a meta tag for file://). */
export const RENDERER_CSP = rendererCsp();

export interface TrustedRenderer {
  /** `file:///…/out/renderer/index.html` */
  fileUrl: string;
  /** The dev server's origin (electron-vite dev), or null. */
  devOrigin: string | null;
}

/** Is `url` (a sender frame's URL) our renderer page? Query and hash are ignored. */
export function isTrustedRendererUrl(url: string, trusted: TrustedRenderer): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'file:') {
    const expected = new URL(trusted.fileUrl);
    return u.host === expected.host && u.pathname === expected.pathname;
  }
  return trusted.devOrigin !== null && (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === trusted.devOrigin;
}

/** Links that may be handed to the system browser. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Notebook paths from the command line: drops the executable, switches (`--no-sandbox`,
 * `--inspect=0`, macOS's `-psn_…`) and, when not packaged, the app entry (`out/main/index.js`
 * or `.`). Relative paths resolve against `cwd`.
 */
export function notebookArgs(argv: readonly string[], isPackaged: boolean, cwd: string): string[] {
  const positional = argv.slice(1).filter((a) => !a.startsWith('-'));
  return (isPackaged ? positional : positional.slice(1)).map((p) => resolve(cwd, p));
}

export const RECENT_MAX = 10;

/** The recent list with `path` first, without duplicates, at most `max` long. */
export function pushRecent(list: readonly string[], path: string, max = RECENT_MAX): string[] {
  return [path, ...list.filter((p) => p !== path)].slice(0, max);
}

/** A recent list read from disk: anything that is not a list of absolute paths is dropped. */
export function parseRecent(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    if (!Array.isArray(value)) return [];
    return value.filter((p): p is string => typeof p === 'string' && isAbsolute(p)).slice(0, RECENT_MAX);
  } catch {
    return [];
  }
}

/**
 * How to start a daemon from inside Electron. `process.execPath` is Electron, not Node: prefer a
 * real `node` on PATH (the daemon's native zeromq is built for Node), else run Electron as Node.
 */
export function daemonLaunch(
  quireBin: string,
  env: NodeJS.ProcessEnv,
  electronExecPath: string,
): { command: string[]; env: NodeJS.ProcessEnv } {
  const node = findOnPath([process.platform === 'win32' ? 'node.exe' : 'node'], env);
  if (node) return { command: [node, quireBin, 'daemon', '--detached'], env };
  return { command: [electronExecPath, quireBin, 'daemon', '--detached'], env: { ...env, ELECTRON_RUN_AS_NODE: '1' } };
}
