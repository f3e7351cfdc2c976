/**
 * `quire <command>`: the headless front end over the Node SDK.
 * (`quire daemon` is dispatched by bin/quire.mjs to src-daemon.)
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NotebookSession, type QuireClient } from '../sdk/index';
import { openSocket, defaultPaths } from '../sdk/daemon-launcher';
import { formatOutput, formatWidgets, plain } from './format';
import { processAlive } from '../../src-shared/node/process-alive';

const USAGE = `usage: quire <command>

  daemon                         run the daemon in the foreground
  status [--json]                daemon pid, socket, rooms and kernels
  exec <notebook> <code>         run code in the notebook's live kernel and print its outputs
  widgets <notebook> [--json]    the notebook's widgets (live, or as saved in the file)
  run <notebook> [--output P]    run every cell, save outputs and widget state
  serve <notebook> [--port N]    serve the shell on 127.0.0.1 (the browser host); prints its URL
  demo                           run the bundled demo notebook headlessly and print its widgets
  stop                           shut kernels down, persist docs and stop the daemon

Environment: QUIRE_HOME relocates the daemon's socket, token, logs and state.`;

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);
const colour = Boolean(process.stdout.isTTY);

async function withNotebook<T>(path: string, fn: (client: QuireClient, nb: NotebookSession) => Promise<T>): Promise<T> {
  const client = await connect({ clientName: 'quire-cli' });
  try {
    const nb = await client.openNotebook(path);
    return await fn(client, nb);
  } finally {
    await client.close();
  }
}

async function cmdStatus(json: boolean): Promise<number> {
  const paths = defaultPaths();
  try {
    (await openSocket(paths.socket)).destroy();
  } catch {
    if (json) out(JSON.stringify({ running: false, socket: paths.socket }) + '\n');
    else out(`no daemon running (socket ${paths.socket})\n`);
    return 0;
  }
  const client = await connect({ autostart: false, clientName: 'quire-cli' });
  try {
    const status = await client.status();
    if (json) out(JSON.stringify({ running: true, ...status }, null, 2) + '\n');
    else {
      out(`daemon pid ${status.pid}, up ${Math.round(status.uptimeMs / 1000)} s\nsocket ${status.socket}\n`);
      if (status.rooms.length === 0) out('no open notebooks\n');
      for (const r of status.rooms) {
        const k = r.kernel ? `kernel ${r.kernel.name} (${r.kernel.status}, pid ${r.kernel.pid ?? 'not yet known'})` : 'no kernel';
        out(`${r.path}: ${r.clients} client(s), ${k}\n`);
      }
    }
    return 0;
  } finally {
    await client.close();
  }
}

async function cmdExec(path: string, code: string): Promise<number> {
  return withNotebook(path, async (_client, nb) => {
    const result = await nb.execute(code, (o) => out(formatOutput(o, colour)));
    if (result.status === 'error') {
      // The traceback was printed as an output; say plainly that it failed.
      err(`error: ${result.error?.ename}: ${result.error?.evalue}\n`);
      return 1;
    }
    if (result.status === 'aborted') {
      err(`aborted: ${result.error?.evalue ?? 'the kernel did not run the code'}\n`);
      return 1;
    }
    return 0;
  });
}

async function cmdWidgets(path: string, json: boolean): Promise<number> {
  return withNotebook(path, async (_client, nb) => {
    await nb.confirmSync();
    const widgets = nb.getWidgets();
    out(json ? JSON.stringify(widgets, null, 2) + '\n' : formatWidgets(widgets));
    return 0;
  });
}

async function runAllCells(nb: NotebookSession, print: (line: string) => void): Promise<{ failed: boolean }> {
  const cells = nb.getCells().filter((c) => c.cellType === 'code');
  let n = 0;
  for (const cell of cells) {
    n++;
    const started = Date.now();
    const result = await nb.execute({ cellId: cell.id });
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (result.status === 'ok') {
      print(`[${n}/${cells.length}] cell ${cell.id} ok (${secs} s)\n`);
      continue;
    }
    print(`[${n}/${cells.length}] cell ${cell.id} ${result.status} (${secs} s)\n`);
    if (result.error) err(plain(result.error.traceback.join('\n') || `${result.error.ename}: ${result.error.evalue}`, colour) + '\n');
    return { failed: true };
  }
  return { failed: false };
}

async function cmdRun(path: string, output: string | undefined): Promise<number> {
  return withNotebook(path, async (_client, nb) => {
    const kernelWasLive = !['unknown', 'dead'].includes(nb.getKernel().status);
    const { failed } = await runAllCells(nb, out);
    await nb.confirmSync();
    const saved = await nb.save(output ? resolve(output) : undefined);
    out(`saved ${saved.path} (${saved.bytes} bytes)\n`);
    // The kernel stays up while anyone else has the notebook open; a kernel this run
    // started for itself alone is shut down with it.
    await nb.close({ shutdownKernelIfUnused: !kernelWasLive });
    return failed ? 1 : 0;
  });
}

async function cmdStop(): Promise<number> {
  const paths = defaultPaths();
  let client: QuireClient;
  try {
    client = await connect({ autostart: false, clientName: 'quire-cli' });
  } catch {
    // A daemon without a socket it answers on: already stopping (and maybe still writing), or
    // still starting up. SIGTERM is a stop to it; asking again is harmless.
    const pid = lockHolder(paths.lock);
    if (pid === null || !processAlive(pid) || !isQuireDaemon(pid)) {
      out('no daemon running\n');
      return 0;
    }
    process.kill(pid, 'SIGTERM');
    return untilExited(pid, paths.log, []);
  }
  const { pid, rooms } = await client.status();
  await client.stopDaemon();
  client.connection.close();
  return untilExited(pid, paths.log, rooms.filter((r) => r.clients > 0).map((r) => r.path));
}

function lockHolder(lock: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** The lock's pid may have been reused by another process since: only a `quire daemon` is signalled. */
function isQuireDaemon(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('quire.mjs')) && argv.includes('daemon');
  } catch {
    return false; // no /proc (macOS): do not signal what we cannot identify
  }
}

/**
 * Stopped means the process is gone, not its socket (removed as the stop begins): a script
 * that runs `quire stop` and then removes or copies QUIRE_HOME must not race the last writes.
 */
async function untilExited(pid: number, log: string, stillOpen: string[]): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      err(`the daemon (pid ${pid}) did not stop within 30 s; see ${log}\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  out('daemon stopped\n');
  // A Quire window reconnects by starting a new daemon; scripts and the CLI do not.
  if (stillOpen.length > 0) out(`still open in other clients (a Quire window among them starts a new daemon): ${stillOpen.join(', ')}\n`);
  return 0;
}

export function demoNotebookPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'demo.ipynb');
}

async function cmdDemo(): Promise<number> {
  const path = demoNotebookPath();
  out(`Quire demo: ${path}\n(the windowed shell is the next milestone; this runs the notebook headlessly)\n`);
  return withNotebook(path, async (_client, nb) => {
    out('starting the kernel and running every cell…\n');
    const { failed } = await runAllCells(nb, out);
    await nb.confirmSync();
    out('\nwidgets in the notebook doc:\n' + formatWidgets(nb.getWidgets()));
    out('\nThe kernel keeps running in the daemon. Try:\n  npx quire widgets resources/demo.ipynb\n  npx quire stop\n');
    return failed ? 1 : 0;
  });
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, ...args] = parsed.positionals;
  const { json = false, output, help } = parsed.values;
  if (help || !command) {
    out(USAGE + '\n');
    return command || help ? 0 : 2;
  }
  try {
    switch (command) {
      case 'status':
        return await cmdStatus(json);
      case 'exec':
        if (args.length < 2) break;
        return await cmdExec(args[0]!, args.slice(1).join(' '));
      case 'widgets':
        if (args.length !== 1) break;
        return await cmdWidgets(args[0]!, json);
      case 'run':
        if (args.length !== 1) break;
        return await cmdRun(args[0]!, output);
      case 'stop':
        return await cmdStop();
      case 'demo':
        return await cmdDemo();
      default:
        err(`unknown command "${command}"\n`);
    }
  } catch (e) {
    err(`quire ${command}: ${(e as Error).message}\n`);
    return 1;
  }
  err(USAGE + '\n');
  return 2;
}
