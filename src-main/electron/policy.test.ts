/** The Electron adapter's Electron-free decisions (the binary is not needed to test these). */
import { describe, expect, it } from 'vitest';
import { daemonLaunch, isExternalWebUrl, isTrustedRendererUrl, notebookArgs, parseRecent, pushRecent, windowTitle } from './policy';

describe('Electron adapter policy', () => {
  it('titles', () => {
    expect(windowTitle('demo.ipynb', false)).toBe('demo.ipynb — Quire');
    expect(windowTitle('demo.ipynb', true)).toBe('• demo.ipynb — Quire');
  });

  it('only our renderer page is a trusted sender', () => {
    const trusted = { fileUrl: 'file:///app/out/renderer/index.html', devOrigin: null };
    expect(isTrustedRendererUrl('file:///app/out/renderer/index.html', trusted)).toBe(true);
    expect(isTrustedRendererUrl('file:///app/out/renderer/index.html#x?y', trusted)).toBe(true);
    expect(isTrustedRendererUrl('file:///tmp/evil.html', trusted)).toBe(false);
    expect(isTrustedRendererUrl('http://localhost:5173/', trusted)).toBe(false);
    expect(isTrustedRendererUrl('about:blank', trusted)).toBe(false);
    expect(isTrustedRendererUrl('', trusted)).toBe(false);
    const dev = { ...trusted, devOrigin: 'http://localhost:5173' };
    expect(isTrustedRendererUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isTrustedRendererUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isTrustedRendererUrl('https://example.com/', dev)).toBe(false);
  });

  it('external links', () => {
    expect(isExternalWebUrl('https://jupyter.org')).toBe(true);
    expect(isExternalWebUrl('file:///etc/passwd')).toBe(false);
    expect(isExternalWebUrl('javascript:alert(1)')).toBe(false);
    expect(isExternalWebUrl('not a url')).toBe(false);
  });

  it('notebook paths from the command line', () => {
    expect(notebookArgs(['/electron', '--no-sandbox', '/repo/out/main/index.js'], false, '/cwd')).toEqual([]);
    expect(notebookArgs(['/electron', '--inspect=0', '--remote-debugging-port=0', 'out/main/index.js', 'a.ipynb', '/x/b.ipynb'], false, '/cwd')).toEqual([
      '/cwd/a.ipynb',
      '/x/b.ipynb',
    ]);
    expect(notebookArgs(['/Applications/Quire', '-psn_0_123', 'n.ipynb'], true, '/home')).toEqual(['/home/n.ipynb']);
  });

  it('the recent list', () => {
    expect(pushRecent(['/a', '/b', '/c'], '/b')).toEqual(['/b', '/a', '/c']);
    expect(pushRecent(Array.from({ length: 10 }, (_, i) => `/${i}`), '/new')).toHaveLength(10);
    expect(parseRecent('["/a", 3, "relative", "/b"]')).toEqual(['/a', '/b']);
    expect(parseRecent('{"not": "a list"}')).toEqual([]);
    expect(parseRecent('garbage')).toEqual([]);
  });

  it('starts the daemon with a real node when there is one, else Electron as node', () => {
    const withNode = daemonLaunch('/repo/bin/quire.mjs', { PATH: process.env.PATH }, '/electron');
    expect(withNode.command.slice(1)).toEqual(['/repo/bin/quire.mjs', 'daemon', '--detached']);
    expect(withNode.command[0]).toMatch(/node$/);
    expect(withNode.env.ELECTRON_RUN_AS_NODE).toBeUndefined();
    const without = daemonLaunch('/repo/bin/quire.mjs', { PATH: '/nonexistent' }, '/electron');
    expect(without.command[0]).toBe('/electron');
    expect(without.env.ELECTRON_RUN_AS_NODE).toBe('1');
  });
});
