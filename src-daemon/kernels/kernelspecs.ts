/**
 * Kernelspec discovery with the same search order and precedence as `jupyter kernelspec list`,
 * so a kernel the user installed for Jupyter shows up in Quire under the same name.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KernelSpec } from './provider';
import { consoleKernelLogger, type KernelLogger } from './logger';

export interface FindKernelSpecsOptions {
  /** Environment prefixes (a venv, sys.prefix) searched as `<prefix>/share/jupyter/kernels`. */
  prefixes?: string[];
  /** Defaults to process.env; injectable so discovery is testable and deterministic. */
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  homeDir?: string;
  logger?: KernelLogger;
}

/** Kernel directories in precedence order (earlier wins), duplicates removed. */
export function kernelSearchDirs(options: FindKernelSpecsOptions = {}): string[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.homeDir ?? os.homedir();
  // path.win32/posix so the order can be computed for another platform (tests, docs).
  const p = platform === 'win32' ? path.win32 : path.posix;
  const delimiter = platform === 'win32' ? ';' : ':';

  const dataDirs: string[] = [];
  for (const entry of (env.JUPYTER_PATH ?? '').split(delimiter)) {
    if (entry.trim() !== '') dataDirs.push(entry);
  }
  dataDirs.push(userDataDir(env, platform, home, p));
  const prefixes = [...(options.prefixes ?? []), env.VIRTUAL_ENV, env.CONDA_PREFIX];
  for (const prefix of prefixes) {
    if (prefix) dataDirs.push(p.join(prefix, 'share', 'jupyter'));
  }
  if (platform === 'win32') {
    if (env.PROGRAMDATA) dataDirs.push(p.join(env.PROGRAMDATA, 'jupyter'));
  } else {
    dataDirs.push('/usr/local/share/jupyter', '/usr/share/jupyter');
  }

  const seen = new Set<string>();
  const result: string[] = [];
  for (const dir of dataDirs) {
    const kernels = p.resolve(p.join(dir, 'kernels'));
    if (!seen.has(kernels)) {
      seen.add(kernels);
      result.push(kernels);
    }
  }
  return result;
}

function userDataDir(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform,
  home: string,
  p: path.PlatformPath,
): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === 'darwin') return p.join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return p.join(env.APPDATA ?? p.join(home, 'AppData', 'Roaming'), 'jupyter');
  // jupyter_core honours XDG_DATA_HOME on Linux and other Unixes.
  return p.join(env.XDG_DATA_HOME || p.join(home, '.local', 'share'), 'jupyter');
}

/** Every kernelspec found, in search order; on a name clash the earlier directory wins. */
export async function findKernelSpecs(options: FindKernelSpecsOptions = {}): Promise<KernelSpec[]> {
  const logger = options.logger ?? consoleKernelLogger;
  const byName = new Map<string, KernelSpec>();
  for (const dir of kernelSearchDirs(options)) {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      continue; // Missing search dirs are the normal case.
    }
    for (const entry of entries.sort()) {
      const name = entry.toLowerCase();
      if (byName.has(name)) continue;
      const resourceDir = path.join(dir, entry);
      const spec = await readKernelSpec(resourceDir, name, logger);
      if (spec) byName.set(name, spec);
    }
  }
  return [...byName.values()];
}

async function readKernelSpec(resourceDir: string, name: string, logger: KernelLogger): Promise<KernelSpec | undefined> {
  const file = path.join(resourceDir, 'kernel.json');
  let text: string;
  try {
    if (!(await stat(resourceDir)).isDirectory()) return undefined;
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // Not a kernel directory.
  }
  if (!/^[a-z0-9._-]+$/.test(name)) {
    // Jupyter lists these too (with the same warning), so we do as well.
    logger.warn(`Kernelspec directory name ${JSON.stringify(name)} has characters Jupyter does not allow: ${resourceDir}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    logger.warn(`Skipping kernelspec ${name}: ${file} is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
  const problem = kernelJsonProblem(raw);
  if (problem) {
    logger.warn(`Skipping kernelspec ${name}: ${file} ${problem}`);
    return undefined;
  }
  const json = raw as Record<string, unknown>;
  return {
    name,
    resourceDir,
    argv: json.argv as string[],
    display_name: typeof json.display_name === 'string' ? json.display_name : name,
    language: typeof json.language === 'string' ? json.language : '',
    interrupt_mode: json.interrupt_mode === 'message' ? 'message' : 'signal',
    env: (json.env as Record<string, string> | undefined) ?? {},
    metadata: (json.metadata as Record<string, unknown> | undefined) ?? {},
  };
}

/** Why a parsed kernel.json cannot be used, or undefined when it can. */
function kernelJsonProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'is not a JSON object';
  const json = raw as Record<string, unknown>;
  if (!Array.isArray(json.argv) || json.argv.length === 0 || !json.argv.every((a) => typeof a === 'string')) {
    return 'needs "argv": a non-empty array of strings';
  }
  if (json.display_name !== undefined && typeof json.display_name !== 'string') return 'has a non-string "display_name"';
  if (json.language !== undefined && typeof json.language !== 'string') return 'has a non-string "language"';
  if (json.interrupt_mode !== undefined && json.interrupt_mode !== 'signal' && json.interrupt_mode !== 'message') {
    return `has "interrupt_mode" ${JSON.stringify(json.interrupt_mode)} (expected "signal" or "message")`;
  }
  if (json.env !== undefined) {
    if (typeof json.env !== 'object' || json.env === null || Array.isArray(json.env)) return 'has an "env" that is not an object';
    if (!Object.values(json.env).every((v) => typeof v === 'string')) return 'has non-string values in "env"';
  }
  if (json.metadata !== undefined && (typeof json.metadata !== 'object' || json.metadata === null || Array.isArray(json.metadata))) {
    return 'has a "metadata" that is not an object';
  }
  return undefined;
}

/**
 * Picks the spec a notebook asks for: exact name, else the first spec for the same language,
 * else python3, else the first spec; undefined only when there are none.
 */
export function resolveKernelSpec(
  specs: readonly KernelSpec[],
  wanted: { name?: string; language?: string },
): KernelSpec | undefined {
  const name = wanted.name?.toLowerCase();
  const language = wanted.language?.toLowerCase();
  return (
    (name ? specs.find((s) => s.name === name) : undefined) ??
    (language ? specs.find((s) => s.language.toLowerCase() === language) : undefined) ??
    specs.find((s) => s.name === 'python3') ??
    specs[0]
  );
}
