/**
 * Run by local-kernel.test.ts in its own Node process: launches two kernels, shuts one down,
 * kills the other, then returns without any cleanup call. The process must then exit by
 * itself; a leftover zmq receive loop, heartbeat timer or child handle would keep it alive.
 */
import { LocalKernelProvider } from './local-kernel';
import type { KernelSpec } from './provider';

const [runtimeDir, specJson] = process.argv.slice(2);
if (!runtimeDir || !specJson) throw new Error('usage: exit-check.fixture.ts <runtimeDir> <specJson>');
const spec = JSON.parse(specJson) as KernelSpec;
const silent = { info: () => {}, warn: () => {}, error: () => {} };
const provider = new LocalKernelProvider({ runtimeDir, logger: silent });

const shutDown = await provider.launch(spec, { cwd: process.cwd() });
await shutDown.shutdown();

const killed = await provider.launch(spec, { cwd: process.cwd() });
const dead = new Promise<void>((resolve) =>
  killed.onEvent((event) => {
    if (event.type === 'status' && event.status === 'dead') resolve();
  }),
);
process.kill(killed.pid!, 'SIGKILL');
await dead;
console.log('kernels gone');
