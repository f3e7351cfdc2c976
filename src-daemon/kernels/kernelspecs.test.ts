import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKernelSpecs, kernelSearchDirs, resolveKernelSpec } from './kernelspecs';
import type { KernelLogger } from './logger';
import type { KernelSpec } from './provider';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const venv = path.join(repoRoot, '.venv');

function recordingLogger(): KernelLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'quire-kernelspecs-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function fakeKernel(dataDir: string, dirName: string, json: unknown): Promise<void> {
  const dir = path.join(dataDir, 'kernels', dirName);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'kernel.json'), typeof json === 'string' ? json : JSON.stringify(json));
}

describe('kernelspec discovery', () => {
  it('finds the python3 kernel of the project venv', async () => {
    const specs = await findKernelSpecs({ prefixes: [venv], env: {}, homeDir: path.join(tmp, 'nohome') });
    const python = specs.find((s) => s.name === 'python3');
    expect(python).toBeDefined();
    expect(python!.resourceDir).toBe(path.join(venv, 'share', 'jupyter', 'kernels', 'python3'));
    expect(python!.language).toBe('python');
    expect(python!.interrupt_mode).toBe('signal');
    expect(python!.argv).toContain('{connection_file}');
  });

  it('searches JUPYTER_PATH, user dir, prefixes, VIRTUAL_ENV/CONDA_PREFIX, then system dirs', () => {
    const dirs = kernelSearchDirs({
      platform: 'linux',
      homeDir: '/home/u',
      prefixes: ['/venv'],
      env: { JUPYTER_PATH: '/a::/b', VIRTUAL_ENV: '/ve', CONDA_PREFIX: '/conda' },
    });
    expect(dirs).toEqual([
      '/a/kernels',
      '/b/kernels',
      '/home/u/.local/share/jupyter/kernels',
      '/venv/share/jupyter/kernels',
      '/ve/share/jupyter/kernels',
      '/conda/share/jupyter/kernels',
      '/usr/local/share/jupyter/kernels',
      '/usr/share/jupyter/kernels',
    ]);
    expect(kernelSearchDirs({ platform: 'darwin', homeDir: '/Users/u', env: { JUPYTER_DATA_DIR: '/data' } })[0]).toBe(
      '/data/kernels',
    );
    expect(kernelSearchDirs({ platform: 'darwin', homeDir: '/Users/u', env: {} })[0]).toBe('/Users/u/Library/Jupyter/kernels');
    expect(
      kernelSearchDirs({ platform: 'win32', homeDir: 'C:\\Users\\u', env: { APPDATA: 'C:\\AppData', PROGRAMDATA: 'C:\\PD' } }),
    ).toEqual(['C:\\AppData\\jupyter\\kernels', 'C:\\PD\\jupyter\\kernels']);
  });

  it('honours JUPYTER_PATH order: the first occurrence of a name wins', async () => {
    const first = path.join(tmp, 'first');
    const second = path.join(tmp, 'second');
    const user = path.join(tmp, 'user');
    await fakeKernel(first, 'Shared', { argv: ['first'], display_name: 'First', language: 'python' });
    await fakeKernel(second, 'shared', { argv: ['second'], display_name: 'Second', language: 'python' });
    await fakeKernel(second, 'only-second', { argv: ['x'], display_name: 'Only second', language: 'r' });
    await fakeKernel(user, 'shared', { argv: ['user'], display_name: 'User', language: 'python' });

    const specs = await findKernelSpecs({
      env: { JUPYTER_PATH: [first, second].join(path.delimiter), JUPYTER_DATA_DIR: user },
      homeDir: tmp,
    });
    const shared = specs.filter((s) => s.name === 'shared');
    expect(shared).toHaveLength(1);
    expect(shared[0]!.display_name).toBe('First'); // name lowercased, earlier dir wins
    expect(specs.map((s) => s.name)).toContain('only-second');
    const onlySecond = specs.find((s) => s.name === 'only-second')!;
    expect(onlySecond).toMatchObject({ env: {}, metadata: {}, interrupt_mode: 'signal' });
  });

  it('skips malformed kernel.json with a warning instead of throwing', async () => {
    const dataDir = path.join(tmp, 'broken');
    await fakeKernel(dataDir, 'not-json', '{ "argv": [');
    await fakeKernel(dataDir, 'no-argv', { display_name: 'x', language: 'python' });
    await fakeKernel(dataDir, 'bad-mode', { argv: ['x'], interrupt_mode: 'telepathy' });
    await fakeKernel(dataDir, 'good', { argv: ['ok'], display_name: 'Good', language: 'julia', interrupt_mode: 'message' });
    await mkdir(path.join(dataDir, 'kernels', 'empty-dir'), { recursive: true });

    const logger = recordingLogger();
    const specs = await findKernelSpecs({ env: { JUPYTER_PATH: dataDir }, homeDir: tmp, logger });
    expect(specs.map((s) => s.name)).toEqual(['good']);
    expect(specs[0]!.interrupt_mode).toBe('message');
    expect(logger.warnings).toHaveLength(3);
    expect(logger.warnings.join('\n')).toMatch(/not-json.*not valid JSON/);
    expect(logger.warnings.join('\n')).toMatch(/no-argv.*argv/);
  });
});

describe('resolveKernelSpec', () => {
  const spec = (name: string, language: string): KernelSpec => ({
    name,
    language,
    resourceDir: `/k/${name}`,
    argv: ['x'],
    display_name: name,
    interrupt_mode: 'signal',
    env: {},
    metadata: {},
  });
  const specs = [spec('ir', 'R'), spec('julia-1.10', 'julia'), spec('python3', 'python'), spec('venv-py', 'python')];

  it('prefers the exact name, then the language, then python3, then the first', () => {
    expect(resolveKernelSpec(specs, { name: 'venv-py', language: 'python' })?.name).toBe('venv-py');
    expect(resolveKernelSpec(specs, { name: 'VENV-PY' })?.name).toBe('venv-py');
    expect(resolveKernelSpec(specs, { name: 'gone', language: 'r' })?.name).toBe('ir');
    expect(resolveKernelSpec(specs, { name: 'gone', language: 'haskell' })?.name).toBe('python3');
    expect(resolveKernelSpec([specs[1]!, specs[0]!], {})?.name).toBe('julia-1.10');
    expect(resolveKernelSpec([], { name: 'python3' })).toBeUndefined();
  });
});
