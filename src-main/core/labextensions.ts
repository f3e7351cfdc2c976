/**
 * Third-party widget libraries (bqplot, ipyleaflet, ipyevents, …) ship their front end only as
 * JupyterLab *federated* extensions: `<data dir>/labextensions/<name>/package.json`, whose
 * `jupyterlab._build.load` names a webpack module-federation entry under `static/`. This file
 * finds the ones installed for a notebook's kernel — the same directories JupyterLab and Voilà
 * read (jupyter_core's `jupyter_path('labextensions')`), plus the kernel's own Python prefix —
 * and maps the URLs the renderer loads them from back to files, refusing anything else.
 *
 * Only widget libraries are offered (the package depends on, or shares, @jupyter-widgets/base):
 * other JupyterLab extensions need a JupyterLab application Quire does not have.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface LabextensionSearch {
  /** The kernelspec's resource dir (`<prefix>/share/jupyter/kernels/<name>` for a venv kernel). */
  resourceDir?: string;
  /** The kernelspec's argv[0] (the kernel's Python), when it is an absolute path. */
  kernelExecutable?: string;
  env?: Record<string, string | undefined>;
  homeDir?: string;
}

export interface WidgetExtension {
  /** npm package name, e.g. `ipyevents` or `@scope/pkg`: also the directory under the root. */
  name: string;
  version: string;
  /** The `labextensions` directory it was found in. */
  root: string;
  /** `jupyterlab._build.load`, relative to the package dir: `static/remoteEntry.<hash>.js`. */
  load: string;
  /** Shared packages the extension does not bundle: the host must provide them. */
  needs: string[];
  /** `jupyterlab._build.extension` / `.style`: the container modules to get (`./extension`, `./style`). */
  extension: string;
  style?: string;
}

/** The library that *is* JupyterLab's widget manager: Quire's manager does its job. */
const NOT_A_WIDGET_LIBRARY = new Set(['@jupyter-widgets/jupyterlab-manager']);

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/i;
const LOAD_PATH = /^static\/[A-Za-z0-9._-]+\.js$/;
const CONTAINER_MODULE = /^\.\/[A-Za-z0-9._/-]+$/;

/** `<prefix>/share/jupyter/labextensions` in jupyter_core's order (earlier wins on a name clash). */
export function labextensionDirs(search: LabextensionSearch = {}): string[] {
  const env = search.env ?? process.env;
  const home = search.homeDir ?? os.homedir();
  const dataDirs: string[] = [];
  for (const entry of (env.JUPYTER_PATH ?? '').split(path.delimiter)) if (entry.trim()) dataDirs.push(entry);
  dataDirs.push(env.JUPYTER_DATA_DIR || path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter'));
  // The kernel's environment: a kernelspec installed with `--sys-prefix`/`--prefix` sits in
  // <prefix>/share/jupyter/kernels/<name>; its Python is <prefix>/bin/python (Windows: <prefix>/python.exe).
  if (search.resourceDir) {
    const kernels = path.dirname(path.resolve(search.resourceDir));
    if (path.basename(kernels) === 'kernels') dataDirs.push(path.dirname(kernels));
  }
  if (search.kernelExecutable && path.isAbsolute(search.kernelExecutable)) {
    const bin = path.dirname(search.kernelExecutable);
    const prefix = /^(bin|Scripts)$/i.test(path.basename(bin)) ? path.dirname(bin) : bin;
    dataDirs.push(path.join(prefix, 'share', 'jupyter'));
  }
  for (const prefix of [env.VIRTUAL_ENV, env.CONDA_PREFIX]) if (prefix) dataDirs.push(path.join(prefix, 'share', 'jupyter'));
  if (process.platform === 'win32') {
    if (env.PROGRAMDATA) dataDirs.push(path.join(env.PROGRAMDATA, 'jupyter'));
  } else {
    dataDirs.push('/usr/local/share/jupyter', '/usr/share/jupyter');
  }
  return [...new Set(dataDirs.map((d) => path.resolve(d, 'labextensions')))];
}

/** Every widget library under `roots`; on a name clash the earlier root wins, as in JupyterLab. */
export async function findWidgetExtensions(roots: string[], warn: (message: string) => void = () => {}): Promise<WidgetExtension[]> {
  const found = new Map<string, WidgetExtension>();
  for (const root of roots) {
    for (const name of await packageDirs(root)) {
      if (found.has(name) || NOT_A_WIDGET_LIBRARY.has(name)) continue;
      const ext = await readExtension(root, name, warn);
      if (ext) found.set(name, ext);
    }
  }
  return [...found.values()];
}

/** `name` and `@scope/name` directories directly under `root`. */
async function packageDirs(root: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdirOrEmpty(root)) {
    if (entry.startsWith('@')) for (const sub of await readdirOrEmpty(path.join(root, entry))) names.push(`${entry}/${sub}`);
    else names.push(entry);
  }
  return names.sort();
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // missing search dirs are the normal case
  }
}

async function readExtension(root: string, dirName: string, warn: (message: string) => void): Promise<WidgetExtension | null> {
  const file = path.join(root, dirName, 'package.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') warn(`skipping ${file}: ${(err as Error).message}`);
    return null;
  }
  const pkg = json as {
    name?: unknown;
    version?: unknown;
    dependencies?: unknown;
    jupyterlab?: { _build?: { load?: unknown; extension?: unknown; style?: unknown }; sharedPackages?: unknown };
  };
  const build = pkg.jupyterlab?._build;
  const load = build?.load;
  // Not built (a source extension), not an extension at all, or a mime renderer only.
  if (typeof load !== 'string' || typeof build?.extension !== 'string') return null;
  const extension = build.extension;
  const style = typeof build.style === 'string' && CONTAINER_MODULE.test(build.style) ? build.style : undefined;
  if (pkg.name !== dirName || !PACKAGE_NAME.test(dirName) || typeof pkg.version !== 'string' || !LOAD_PATH.test(load) || !CONTAINER_MODULE.test(extension)) {
    warn(`skipping ${file}: its name, version or jupyterlab._build.load is not what JupyterLab expects`);
    return null;
  }
  const shared = isRecord(pkg.jupyterlab?.sharedPackages) ? pkg.jupyterlab.sharedPackages : {};
  const deps = isRecord(pkg.dependencies) ? pkg.dependencies : {};
  if (!('@jupyter-widgets/base' in deps) && !('@jupyter-widgets/base' in shared)) return null;
  try {
    if (!(await stat(path.join(root, dirName, load))).isFile()) return null;
  } catch {
    warn(`skipping ${dirName} in ${root}: ${load} is missing`);
    return null;
  }
  // JupyterLab's default for a shared dependency is "bundled": a fallback copy ships with it.
  const needs = Object.entries(shared)
    .filter(([, how]) => isRecord(how) && how.bundled === false)
    .map(([dep]) => dep)
    .sort();
  return { name: dirName, version: pkg.version, root, load, needs, extension, ...(style ? { style } : {}) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Short, stable id of a root in URLs (the path itself stays in main). */
export function rootKey(root: string): string {
  return createHash('sha256').update(root).digest('hex').slice(0, 16);
}

/** `labextensions/<root key>/<name>/<file>`: the URL path of an extension's file, relative to the host's base. */
export function extensionUrlPath(ext: WidgetExtension, file = ext.load): string {
  return `labextensions/${rootKey(ext.root)}/${ext.name}/${file}`;
}

/**
 * The files a window may load: only `static/` of an extension that was offered. Returns the
 * absolute file for a URL path (`labextensions/<key>/<name>/static/<file>`, already
 * percent-decoded), or null — for an unknown root or package, a path outside `static/`, or
 * any `..`, backslash or NUL.
 */
export class ExtensionFiles {
  private readonly offered = new Map<string, string>(); // `<key>/<name>` → package dir

  offer(exts: readonly WidgetExtension[]): void {
    for (const ext of exts) this.offered.set(`${rootKey(ext.root)}/${ext.name}`, path.join(ext.root, ext.name));
  }

  resolve(urlPath: string): string | null {
    if (urlPath.includes('\0') || urlPath.includes('\\')) return null;
    const m = /^\/?labextensions\/([0-9a-f]{16})\/((?:@[^/]+\/)?[^/@]+)\/static\/(.+)$/.exec(urlPath);
    if (!m) return null;
    const dir = this.offered.get(`${m[1]}/${m[2]}`);
    const rest = m[3]!;
    if (!dir || rest.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) return null;
    const staticDir = path.join(dir, 'static');
    const file = path.resolve(staticDir, rest);
    return file.startsWith(staticDir + path.sep) ? file : null;
  }
}
