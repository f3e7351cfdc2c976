/**
 * Finding widget libraries (JupyterLab federated extensions) for a kernel, on real files, and
 * mapping URL paths back to their static/ files only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtensionFiles, extensionUrlPath, findWidgetExtensions, labextensionDirs } from './labextensions';

let dir: string;

function extension(root: string, name: string, pkg: Record<string, unknown>, files: string[] = ['static/remoteEntry.1.js']): void {
  mkdirSync(join(root, name, 'static'), { recursive: true });
  writeFileSync(join(root, name, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...pkg }));
  for (const f of files) {
    mkdirSync(dirname(join(root, name, f)), { recursive: true });
    writeFileSync(join(root, name, f), '/* js */');
  }
}

const build = { _build: { load: 'static/remoteEntry.1.js', extension: './extension' } };
const widgetDeps = { dependencies: { '@jupyter-widgets/base': '^6' } };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qlab-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('labextensionDirs', () => {
  it('JUPYTER_PATH, the user dir, then the kernel prefix (from its kernelspec and its Python), env prefixes, system dirs', () => {
    const dirs = labextensionDirs({
      env: { JUPYTER_PATH: '/jp/one:/jp/two', VIRTUAL_ENV: '/venv' },
      homeDir: '/home/u',
      resourceDir: '/kp/share/jupyter/kernels/python3',
      kernelExecutable: '/other/bin/python3',
    });
    expect(dirs.slice(0, 6)).toEqual([
      '/jp/one/labextensions',
      '/jp/two/labextensions',
      '/home/u/.local/share/jupyter/labextensions',
      '/kp/share/jupyter/labextensions',
      '/other/share/jupyter/labextensions',
      '/venv/share/jupyter/labextensions',
    ]);
    expect(dirs).toContain('/usr/share/jupyter/labextensions');
    // JUPYTER_DATA_DIR replaces the user dir; a kernelspec outside a kernels/ dir adds no prefix.
    expect(labextensionDirs({ env: { JUPYTER_DATA_DIR: '/data' }, homeDir: '/h', resourceDir: '/somewhere/python3' })[0]).toBe('/data/labextensions');
  });
});

describe('findWidgetExtensions', () => {
  it('offers widget libraries only, scoped ones too; the earlier root wins; bad package.json files are skipped with a warning', async () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    extension(first, 'ipyfoo', { ...widgetDeps, jupyterlab: { ...build, sharedPackages: { '@jupyter-widgets/base': { bundled: false, singleton: true }, lodash: { bundled: true } } } });
    extension(second, 'ipyfoo', { ...widgetDeps, version: '9.9.9', jupyterlab: build });
    extension(first, '@scope/bar', { jupyterlab: { ...build, _build: { ...build._build, style: './style' }, sharedPackages: { '@jupyter-widgets/base': {} } } });
    extension(first, 'theme-ext', { jupyterlab: build }); // not a widget library
    extension(first, '@jupyter-widgets/jupyterlab-manager', { ...widgetDeps, jupyterlab: build }); // JupyterLab's manager itself
    extension(first, 'renamed', { ...widgetDeps, name: 'other-name', jupyterlab: build });
    extension(first, 'escapes', { ...widgetDeps, jupyterlab: { _build: { load: '../../evil.js', extension: './extension' } } });
    extension(first, 'no-entry', { ...widgetDeps, jupyterlab: build }, []);
    mkdirSync(join(first, 'broken'));
    writeFileSync(join(first, 'broken', 'package.json'), '{ not json');
    const warnings: string[] = [];
    const found = await findWidgetExtensions([join(dir, 'missing'), first, second], (m) => warnings.push(m));
    expect(found.map((e) => [e.name, e.version])).toEqual([
      ['@scope/bar', '1.0.0'],
      ['ipyfoo', '1.0.0'],
    ]);
    expect(found[1]).toMatchObject({ root: first, load: 'static/remoteEntry.1.js', extension: './extension', needs: ['@jupyter-widgets/base'] });
    expect(found[0]).toMatchObject({ style: './style', needs: [] });
    expect(warnings.join('\n')).toMatch(/broken/);
    expect(warnings.join('\n')).toMatch(/renamed/);
    expect(warnings.join('\n')).toMatch(/escapes/);
    expect(warnings.join('\n')).toMatch(/no-entry/);
  });
});

describe('ExtensionFiles', () => {
  it('maps offered extensions\' static/ files and refuses everything else', async () => {
    const root = join(dir, 'files');
    extension(root, 'ipyfoo', { ...widgetDeps, jupyterlab: build }, ['static/remoteEntry.1.js', 'static/sub/chunk.js']);
    extension(root, '@s/lib', { ...widgetDeps, jupyterlab: build });
    extension(root, 'hidden', { ...widgetDeps, jupyterlab: build });
    const found = await findWidgetExtensions([root]);
    const scoped = found.find((e) => e.name === '@s/lib');
    const foo = found.find((e) => e.name === 'ipyfoo');
    const files = new ExtensionFiles();
    files.offer([foo!, scoped!]);
    const url = extensionUrlPath(foo!);
    expect(files.resolve(url)).toBe(join(root, 'ipyfoo', 'static', 'remoteEntry.1.js'));
    expect(files.resolve('/' + extensionUrlPath(foo!, 'static/sub/chunk.js'))).toBe(join(root, 'ipyfoo', 'static', 'sub', 'chunk.js'));
    expect(files.resolve(extensionUrlPath(scoped!))).toBe(join(root, '@s/lib', 'static', 'remoteEntry.1.js'));
    const key = url.split('/')[1];
    for (const bad of [
      `labextensions/${key}/ipyfoo/package.json`,
      `labextensions/${key}/ipyfoo/static/../package.json`,
      `labextensions/${key}/ipyfoo/static/sub/../../package.json`,
      `labextensions/${key}/ipyfoo/static/..\\package.json`,
      `labextensions/${key}/ipyfoo/static/x\0.js`,
      `labextensions/${key}/ipyfoo/static//etc/passwd`,
      `labextensions/${key}/hidden/static/remoteEntry.1.js`, // found but never offered
      `labextensions/${key}/../files/ipyfoo/static/remoteEntry.1.js`,
      `labextensions/0123456789abcdef/ipyfoo/static/remoteEntry.1.js`,
    ]) {
      expect(files.resolve(bad), bad).toBeNull();
    }
  });
});
