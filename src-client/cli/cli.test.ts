/**
 * The `quire` CLI as a user runs it: separate processes, a daemon it starts itself
 * (detached) in a fresh QUIRE_HOME, real notebooks on disk.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliIn, REPO_ROOT } from '../testing/daemon-harness';
import { defaultPaths } from '../sdk/daemon-launcher';
import { processAlive } from '../../src-shared/node/process-alive';

const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
let home: string;
let cli: ReturnType<typeof cliIn>;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'qc-'));
  cli = cliIn({ ...process.env, QUIRE_HOME: home }, home);
});

afterAll(async () => {
  await cli(['stop']);
  rmSync(home, { recursive: true, force: true });
});

describe('quire CLI', () => {
  it('exec starts a daemon, the kernel and its widgets outlive the command, widgets --json shows them', async () => {
    const first = await cli(['exec', 'demo.ipynb', 'import ipywidgets as w; s = w.IntSlider(); display(s)']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/\[widget [0-9a-f]{32}\]/);
    const second = await cli(['exec', 'demo.ipynb', 's.value = 5']);
    expect(second.code, second.stderr).toBe(0);
    const widgets = await cli(['widgets', 'demo.ipynb', '--json']);
    expect(widgets.code, widgets.stderr).toBe(0);
    const slider = (JSON.parse(widgets.stdout) as { modelName: string; state: { value: number } }[]).find(
      (w) => w.modelName === 'IntSliderModel',
    );
    expect(slider?.state.value).toBe(5);
  });

  it('exec prints outputs and fails with the error when the code raises', async () => {
    const result = await cli(['exec', 'demo.ipynb', 'print("hi there")\n1/0']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('hi there');
    expect(result.stdout).toContain('ZeroDivisionError');
    expect(result.stderr).toContain('ZeroDivisionError: division by zero');
  });

  it('status --json reports the daemon, its room and kernel; files are private', async () => {
    const result = await cli(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as { running: boolean; pid: number; rooms: { path: string; kernel: { status: string; pid: number } | null }[] };
    expect(status.running).toBe(true);
    const room = status.rooms.find((r) => r.path.endsWith('demo.ipynb'));
    expect(room?.kernel?.status).toBe('idle');
    expect(room?.kernel?.pid).toBeGreaterThan(0);
    const paths = defaultPaths({ QUIRE_HOME: home });
    expect(statSync(paths.socket).mode & 0o777).toBe(0o600);
    expect(statSync(paths.token).mode & 0o777).toBe(0o600);
    expect(statSync(paths.runDir).mode & 0o777).toBe(0o700);
  });

  it('a second daemon for the same QUIRE_HOME refuses to start', async () => {
    const second = await cli(['daemon']);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/already running/);
  });

  it('run executes every cell, saves outputs and widget state; after stop, widgets shows the saved state', async () => {
    const nb = join(home, 'run-me.ipynb');
    copyFileSync(join(REPO_ROOT, 'resources', 'demo.ipynb'), nb);
    const run = await cli(['run', nb]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/^\[\d+\/\d+\] cell \S+ ok/gm)).toHaveLength(4);
    const { pid } = JSON.parse((await cli(['status', '--json'])).stdout) as { pid: number };
    expect((await cli(['stop'])).stdout).toContain('daemon stopped');
    expect(existsSync(defaultPaths({ QUIRE_HOME: home }).socket)).toBe(false);
    // Stopped means the process is gone: a script may remove QUIRE_HOME right after.
    expect(processAlive(pid)).toBe(false);

    const saved = JSON.parse(readFileSync(nb, 'utf8'));
    const state = saved.metadata.widgets['application/vnd.jupyter.widget-state+json'];
    expect(state.version_major).toBe(2);
    const models = Object.values(state.state) as { model_name: string; state: Record<string, unknown> }[];
    expect(models.find((m) => m.model_name === 'IntSliderModel')?.state.value).toBe(7);
    // nbformat's own validator (JSON schema) accepts what Quire wrote.
    execFileSync(VENV_PYTHON, ['-c', 'import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))', nb]);
    validateWidgetState(nb);

    const widgets = await cli(['widgets', nb, '--json']);
    expect(widgets.code, widgets.stderr).toBe(0);
    const shown = JSON.parse(widgets.stdout) as { modelName: string; state: Record<string, unknown> }[];
    expect(shown.find((w) => w.modelName === 'IntSliderModel')?.state.value).toBe(7);
    expect(shown.find((w) => w.modelName === 'IntTextModel')?.state.value).toBe(49);
  });

  it('the widget gallery (every control, binary Image and Video values) saves state that both schemas accept', async () => {
    const nb = join(home, 'gallery.ipynb');
    copyFileSync(join(REPO_ROOT, 'resources', 'gallery.ipynb'), nb);
    const run = await cli(['run', nb]);
    expect(run.code, run.stderr).toBe(0);
    const state = JSON.parse(readFileSync(nb, 'utf8')).metadata.widgets['application/vnd.jupyter.widget-state+json'];
    const models = Object.values(state.state) as { model_name: string; buffers?: { path: string[]; encoding: string; data: string }[] }[];
    expect(models.length).toBeGreaterThan(50);
    const image = models.find((m) => m.model_name === 'ImageModel');
    expect(image?.buffers?.[0]).toMatchObject({ path: ['value'], encoding: 'base64' });
    execFileSync(VENV_PYTHON, ['-c', 'import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))', nb]);
    validateWidgetState(nb);
  });

  it('run exits non-zero on a failing cell and shows the error', async () => {
    const nb = join(home, 'failing.ipynb');
    writeFileSync(
      nb,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { id: 'ok', cell_type: 'code', metadata: {}, source: 'x = 1', outputs: [], execution_count: null },
          { id: 'bad', cell_type: 'code', metadata: {}, source: 'raise ValueError("boom")', outputs: [], execution_count: null },
          { id: 'never', cell_type: 'code', metadata: {}, source: 'print("not reached")', outputs: [], execution_count: null },
        ],
      }),
    );
    const run = await cli(['run', nb]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[2/3] cell bad error');
    expect(run.stderr).toContain('ValueError: boom');
    const saved = JSON.parse(readFileSync(nb, 'utf8'));
    expect(saved.cells[1].outputs[0].ename).toBe('ValueError');
    expect(saved.cells[2].outputs).toEqual([]);
  });

  it('a broken notebook fails with a clear message and is left untouched', async () => {
    const nb = join(home, 'broken.ipynb');
    writeFileSync(nb, '{"nbformat": 4, "cells": [');
    const before = readFileSync(nb);
    const result = await cli(['widgets', nb]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot open notebook.*not valid JSON.*not changed/);
    expect(readFileSync(nb)).toEqual(before);
  });
});

/** Checks a saved notebook's widget state against the official schema (@jupyter-widgets/schema v2). */
function validateWidgetState(notebook: string): void {
  const schema = join(REPO_ROOT, 'node_modules', '@jupyter-widgets', 'schema', 'v2', 'state.schema.json');
  execFileSync(VENV_PYTHON, [
    '-c',
    [
      'import json, sys, jsonschema',
      'schema = json.load(open(sys.argv[1]))',
      "state = json.load(open(sys.argv[2]))['metadata']['widgets']['application/vnd.jupyter.widget-state+json']",
      'jsonschema.validate(state, schema)',
    ].join('\n'),
    schema,
    notebook,
  ]);
}
