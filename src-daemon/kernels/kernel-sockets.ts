/**
 * The four message channels of one kernel process as ZeroMQ sockets, with their receive loops.
 * Heartbeat lives in heartbeat.ts because its socket has a different life cycle.
 */
import * as zmq from 'zeromq';
import type { Channel, JupyterMessage } from '../../src-shared/jupyter/messages';
import type { ChannelPorts } from './connection-file';
import { decodeMessage, type DecodeResult } from './wire';

export interface KernelSocketsOptions {
  ip: string;
  ports: ChannelPorts;
  key: string;
  /** Shell and stdin must share an identity: the kernel routes input_request by it. */
  routingId: string;
  onMessage: (message: JupyterMessage) => void;
  onDropped: (channel: Channel, failure: Extract<DecodeResult, { ok: false }>) => void;
  onLoopError: (channel: Channel, error: unknown) => void;
}

type Sendable = Exclude<Channel, 'iopub'>;

export class KernelSockets {
  private readonly dealers: Record<Sendable, zmq.Dealer>;
  private readonly iopub: zmq.Subscriber;
  /** zeromq rejects overlapping sends on a muted socket (EBUSY); chaining keeps sends ordered too. */
  private readonly sendChains: Record<Sendable, Promise<void>> = {
    shell: Promise.resolve(),
    control: Promise.resolve(),
    stdin: Promise.resolve(),
  };
  private readonly loops: Promise<void>[] = [];
  private closed = false;

  constructor(private readonly options: KernelSocketsOptions) {
    const url = (port: number) => `tcp://${options.ip}:${port}`;
    // linger 0: pending messages to a kernel we are closing on are worthless, and a
    // lingering socket can keep the process from exiting.
    const dealer = (port: number) => {
      const socket = new zmq.Dealer({ linger: 0, routingId: options.routingId });
      socket.connect(url(port));
      return socket;
    };
    this.dealers = {
      shell: dealer(options.ports.shell_port),
      control: dealer(options.ports.control_port),
      stdin: dealer(options.ports.stdin_port),
    };
    this.iopub = new zmq.Subscriber({ linger: 0 });
    this.iopub.subscribe();
    this.iopub.connect(url(options.ports.iopub_port));

    this.loops.push(
      this.receive('shell', this.dealers.shell),
      this.receive('control', this.dealers.control),
      this.receive('stdin', this.dealers.stdin),
      this.receive('iopub', this.iopub),
    );
  }

  send(channel: Sendable, frames: Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('kernel sockets are closed'));
    const socket = this.dealers[channel];
    const next = this.sendChains[channel].then(() => socket.send(frames));
    this.sendChains[channel] = next.catch(() => {});
    return next;
  }

  /** Closes every socket; resolves once all receive loops have ended. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const socket of [...Object.values(this.dealers), this.iopub]) socket.close();
    }
    await Promise.all(this.loops);
  }

  private async receive(channel: Channel, socket: zmq.Dealer | zmq.Subscriber): Promise<void> {
    try {
      // The iterator ends when the socket is closed, so close() is what stops the loop.
      for await (const frames of socket) {
        const result = decodeMessage(frames, this.options.key, channel);
        if (result.ok) this.options.onMessage(result.message);
        else this.options.onDropped(channel, result);
      }
    } catch (error) {
      if (!this.closed) this.options.onLoopError(channel, error);
    }
  }
}
