/**
 * The four message channels of one kernel process as ZeroMQ sockets, with their receive loops.
 * Heartbeat lives in heartbeat.ts because its socket has a different life cycle.
 */
import * as zmq from 'zeromq';
import { IOPUB_HWM } from './iopub-limit';
import type { Channel, JupyterMessage } from '../../src-shared/jupyter/messages';
import type { ChannelPorts } from './connection-file';
import { decodeMessage, type DecodeResult } from './wire';
import { traceHop } from '../../src-shared/hop-trace';

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
  /**
   * The kernel's stdin ROUTER drops an input_request addressed to an identity it does not know
   * yet, and input() then waits forever. It learns the identity in the ZMTP handshake, a round
   * trip after the TCP connect, so the connect alone is not enough. Shell answering
   * kernel_info does not prove stdin is up either: each socket reconnects on its own timer.
   */
  private stdinUp = false;
  private readonly stdinWaiters = new Set<() => void>();

  constructor(private readonly options: KernelSocketsOptions) {
    const url = (port: number) => `tcp://${options.ip}:${port}`;
    // linger 0: pending messages to a kernel we are closing on are worthless, and a
    // lingering socket can keep the process from exiting.
    const dealer = (port: number, beforeConnect?: (socket: zmq.Dealer) => void) => {
      const socket = new zmq.Dealer({ linger: 0, routingId: options.routingId });
      beforeConnect?.(socket);
      socket.connect(url(port));
      return socket;
    };
    this.dealers = {
      shell: dealer(options.ports.shell_port),
      control: dealer(options.ports.control_port),
      // The monitor is attached before connecting, or a fast handshake could go unseen.
      stdin: dealer(options.ports.stdin_port, (socket) =>
        socket.events.on('handshake', () => {
          this.stdinUp = true;
          for (const w of this.stdinWaiters) w();
          this.stdinWaiters.clear();
        }),
      ),
    };
    // A limit as high as the kernel's (iopub-limit.ts): ZeroMQ's I/O thread keeps draining the
    // kernel's IOPub into this process while JavaScript is busy (a doc change for 1000 new
    // widgets), so a burst waits here rather than in the kernel.
    this.iopub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: IOPUB_HWM });
    this.iopub.subscribe();
    this.iopub.connect(url(options.ports.iopub_port));

    this.loops.push(
      this.receive('shell', this.dealers.shell),
      this.receive('control', this.dealers.control),
      this.receive('stdin', this.dealers.stdin),
      this.receive('iopub', this.iopub),
    );
  }

  /** Resolves true once the stdin socket has completed its handshake with the kernel, false after `timeoutMs`. */
  whenStdinReady(timeoutMs: number): Promise<boolean> {
    if (this.stdinUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.stdinWaiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.stdinWaiters.add(done);
    });
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
        if (channel === 'iopub') traceHop('daemon:iopub-frame');
        const result = decodeMessage(frames, this.options.key, channel);
        if (result.ok) this.options.onMessage(result.message);
        else this.options.onDropped(channel, result);
      }
    } catch (error) {
      if (!this.closed) this.options.onLoopError(channel, error);
    }
  }
}
