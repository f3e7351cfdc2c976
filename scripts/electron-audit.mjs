#!/usr/bin/env node
// Runs @doyensec/electronegativity on the Electron adapter and preloads and fails on any
// HIGH-severity finding (issue #8). The tool lives in its own install (scripts/electronegativity)
// because it needs a commander 2 it does not declare. Its online check (Electron release
// advisories) cannot run offline and is excluded; every other check runs.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolDir = join(root, 'scripts', 'electronegativity');
const bin = join(toolDir, 'node_modules', '.bin', 'electronegativity');
if (!existsSync(bin)) {
  console.log('electron-audit: installing electronegativity (scripts/electronegativity)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: toolDir, stdio: 'inherit' });
}
const electronVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron.replace(/^[^\d]*/, '');
const out = mkdtempSync(join(tmpdir(), 'quire-eneg-'));
const findings = [];
try {
  // One scan over everything the Electron app runs, so its global checks (navigation limits,
  // permission handler, CSP) see the whole app at once.
  const app = join(out, 'app');
  for (const dir of ['src-main/electron', 'src-main/core', 'src-preload', 'src-shared/ipc']) cpSync(join(root, dir), join(app, dir), { recursive: true });
  const csv = join(out, 'findings.csv');
  execFileSync(bin, ['-i', app, '-e', electronVersion, '-x', 'AvailableSecurityFixesGlobalCheck', '-o', csv], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const line of readFileSync(csv, 'utf8').split('\n').slice(1)) {
    const m = /^([A-Z_]+),"(\w+)","(\w+)","([^"]*)","([^"]*)",(?:"((?:[^"]|"")*)"|N\/A),"([^"]*)"/.exec(line);
    if (m) findings.push({ check: m[1], severity: m[2], confidence: m[3], file: m[4].replace(app + '/', ''), at: m[5], description: m[7] });
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
for (const f of findings) console.log(`${f.severity.padEnd(6)} ${f.confidence.padEnd(9)} ${f.check.padEnd(28)} ${f.file}:${f.at}  ${f.description}`);
const high = findings.filter((f) => f.severity === 'HIGH');
console.log(`electron-audit: ${findings.length} finding(s), ${high.length} high-severity`);
process.exit(high.length > 0 ? 1 : 0);
