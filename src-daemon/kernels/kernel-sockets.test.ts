/**
 * When the kernel's stdin ROUTER can reach us. It drops an input_request for an identity it
 * has not learned yet, and input() then hangs, so "stdin is up" must mean the ZMTP handshake,
 * not the TCP connect. Real ZeroMQ sockets on loopback stand in for the kernel's side.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import type { JupyterMessage } from '../../src-shared/jupyter/messages';
import { KernelSockets } from './kernel-sockets';
import { findFreePorts } from './ports';
import { encodeMessage } from './wire';

const KEY = 'stdin-test-key';
const ROUTING_ID = 'quire-test-client';
const cleanups: (() => Promise<unknown> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function socketsWithStdinOn(stdinPort: number, onMessage: (m: JupyterMessage) => void = () => {}): Promise<KernelSockets> {
  // The other channels point at ports nobody listens on; ZeroMQ just keeps retrying them.
  const [shell_port, iopub_port, control_port, hb_port] = await findFreePorts(4);
  const sockets = new KernelSockets({
    ip: '127.0.0.1',
    ports: { shell_port: shell_port!, iopub_port: iopub_port!, stdin_port: stdinPort, control_port: control_port!, hb_port: hb_port! },
    key: KEY,
    routingId: ROUTING_ID,
    onMessage,
    onDropped: () => {},
    onLoopError: () => {},
  });
  cleanups.push(() => sockets.close());
  return sockets;
}

describe('KernelSockets stdin readiness', () => {
  it('a peer that accepts TCP but never completes the ZeroMQ handshake does not count as connected', async () => {
    const accepted: Socket[] = [];
    const silent: Server = createServer((s) => {
      accepted.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of accepted) s.destroy();
      return new Promise((r) => silent.close(r));
    });
    const port = (silent.address() as { port: number }).port;

    const sockets = await socketsWithStdinOn(port);
    expect(await sockets.whenStdinReady(500)).toBe(false);
    expect(accepted.length).toBeGreaterThan(0); // the TCP connection itself was made
  });

  it("once connected, the kernel's ROUTER can already address an input_request to our identity", async () => {
    const router = new zmq.Router({ linger: 0, mandatory: true });
    await router.bind('tcp://127.0.0.1:0');
    cleanups.push(() => router.close());
    const port = Number(/:(\d+)$/.exec(router.lastEndpoint!)![1]);

    const received: JupyterMessage[] = [];
    const sockets = await socketsWithStdinOn(port, (m) => received.push(m));
    expect(await sockets.whenStdinReady(5_000)).toBe(true);
    // mandatory: an identity the ROUTER does not know is an error (EHOSTUNREACH), not a silent drop.
    const request = encodeMessage(
      {
        header: { msg_id: 'in-1', msg_type: 'input_request', session: 'k', username: 'k', date: new Date().toISOString(), version: '5.3' },
        parent_header: {},
        metadata: {},
        content: { prompt: 'name? ', password: false },
        buffers: [],
      },
      KEY,
      [Buffer.from(ROUTING_ID)],
    );
    await router.send(request);
    await expect.poll(() => received.map((m) => m.header.msg_type)).toEqual(['input_request']);
  });
});
