/**
 * Heartbeat: ping the kernel's echo socket and report when it stops answering.
 *
 * A REQ socket that timed out waiting for a reply refuses to send again (strict
 * send/receive alternation), so after every miss the socket is thrown away and recreated.
 */
import * as zmq from 'zeromq';

export interface HeartbeatOptions {
  url: string;
  intervalMs: number;
  /** Declared failed after this long without a pong. */
  timeoutMs: number;
  onFailure: (silentForMs: number) => void;
}

export class Heartbeat {
  private socket: zmq.Request | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  /** One ping on a fresh socket: true if the echo came back within `timeoutMs`. */
  static async ping(url: string, timeoutMs: number): Promise<boolean> {
    const socket = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
    try {
      socket.connect(url);
      await socket.send('ping');
      await socket.receive();
      return true;
    } catch {
      return false;
    } finally {
      socket.close();
    }
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops pinging and closes the socket; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wakeSleep?.();
    this.socket?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    let lastPong = Date.now();
    while (!this.stopped) {
      const started = Date.now();
      if (await this.ping()) {
        lastPong = Date.now();
        await this.sleep(this.options.intervalMs - (Date.now() - started));
      } else if (!this.stopped) {
        const silentFor = Date.now() - lastPong;
        if (silentFor >= this.options.timeoutMs) {
          this.stopped = true;
          this.closeSocket();
          this.options.onFailure(silentFor);
          return;
        }
      }
    }
    this.closeSocket();
  }

  /** One ping; false on timeout (the socket is then discarded). */
  private async ping(): Promise<boolean> {
    const socket = (this.socket ??= this.openSocket());
    try {
      await socket.send('ping');
      await socket.receive();
      return true;
    } catch {
      this.closeSocket();
      return false;
    }
  }

  private openSocket(): zmq.Request {
    const socket = new zmq.Request({
      linger: 0,
      receiveTimeout: this.options.intervalMs,
      sendTimeout: this.options.intervalMs,
    });
    socket.connect(this.options.url);
    return socket;
  }

  private closeSocket(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
