// Small helpers shared by the harness and the scenarios: wall-clock time, processes we own,
// waiting for files, percentiles.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO_ROOT = path.dirname(BENCH_DIR);

/** Wall-clock ms with sub-ms resolution; comparable with the page's and Python's time.time(). */
export const nowMs = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Every child process the harness started, so it can stop exactly those (by pid). */
const children = new Set();

export function spawnTracked(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Sends SIGTERM to a child we started and waits (up to `ms`) before SIGKILL. */
export async function stopChild(child, ms = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = sleep(ms).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function stopAllChildren() {
  await Promise.allSettled([...children].map((c) => stopChild(c)));
}

/** Polls until `path` holds JSON that parses; removes nothing. */
export async function waitForJsonFile(file, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        /* still being written */
      }
    }
    if (Date.now() > deadline) throw new Error(`no result file ${file} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function removeFile(file) {
  rmSync(file, { force: true });
}

/** Nearest-rank percentile of numbers (p in 0..100); null for no samples. */
export function percentile(values, p) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const rank = Math.ceil((p / 100) * xs.length);
  return xs[Math.min(xs.length, Math.max(1, rank)) - 1];
}

export const median = (values) => percentile(values, 50);
