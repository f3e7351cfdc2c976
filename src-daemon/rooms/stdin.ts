/**
 * stdin for executions (input(), getpass()), Jupyter's stdin channel between a kernel and
 * the one client that may answer: the one that ran the code with `allowStdin`. Its
 * `input_request` goes to that connection only (an `input-request` broadcast); its
 * `inputReply` becomes the kernel's `input_reply`.
 */
import type { JupyterMessage, MessageHeader } from '../../src-shared/jupyter/messages';
import type { KernelConnection } from '../kernels/provider';
import type { Logger } from '../log';
import type { ClientConnection } from '../transport/connection';
import { RoomError } from './room-error';

/** The part of a room's execution record stdin needs. */
export interface StdinExecution {
  cellId: string | null;
  requester: { conn: ClientConnection; requestId: number } | null;
  /** The requester can answer input requests for this execution. */
  allowStdin: boolean;
  /** The kernel's input_request waiting for the requester's reply. */
  pendingInput: MessageHeader | null;
}

export interface StdinHost {
  readonly id: string;
  readonly path: string;
  execution(msgId: string): StdinExecution | undefined;
  executions(): Iterable<StdinExecution>;
  isPeer(conn: ClientConnection): boolean;
  kernel(): KernelConnection | null;
  interrupt(): Promise<boolean>;
  logger: Logger;
}

export class StdinBroker {
  constructor(private readonly host: StdinHost) {}

  /** The kernel asks for input: only the client that ran the code with allowStdin can answer. */
  onInputRequest(msg: JupyterMessage): void {
    const exec = msg.parent_header.msg_id ? this.host.execution(msg.parent_header.msg_id) : undefined;
    const c = msg.content as { prompt?: unknown; password?: unknown };
    const requester = exec?.requester;
    if (!exec || !requester || !exec.allowStdin || !requester.conn.isOpen || !this.host.isPeer(requester.conn)) {
      this.interrupt('an input request nobody can answer');
      return;
    }
    exec.pendingInput = msg.header;
    this.host.logger.info(`room ${this.host.id}: the kernel asks ${requester.conn.clientName} for input (cell ${exec.cellId ?? 'none'})`);
    requester.conn.sendBroadcast({
      event: 'input-request',
      roomId: this.host.id,
      requestId: requester.requestId,
      cellId: exec.cellId,
      prompt: typeof c.prompt === 'string' ? c.prompt : '',
      password: c.password === true,
    });
  }

  /** Sends the requester's answer to the kernel's pending input request. */
  async reply(conn: ClientConnection, value: string): Promise<boolean> {
    let exec: StdinExecution | undefined;
    for (const e of this.host.executions()) if (e.pendingInput && e.requester?.conn.id === conn.id) exec = e;
    const kernel = this.host.kernel();
    if (!exec?.pendingInput || !kernel) {
      throw new RoomError('no-input-pending', `no input request from the kernel of ${this.host.path} is waiting for this client`);
    }
    const parent = exec.pendingInput;
    exec.pendingInput = null;
    await kernel.send({ channel: 'stdin', msg_type: 'input_reply', content: { value }, parent_header: parent });
    this.host.logger.info(`room ${this.host.id}: input reply from ${conn.clientName} sent to the kernel`);
    return true;
  }

  /**
   * The client that was asked for input left (closed the notebook or disconnected). Jupyter
   * front ends send nothing then and the kernel waits forever; an empty reply would feed the
   * code an answer nobody gave. So the kernel is interrupted: input() raises KeyboardInterrupt
   * and the cell ends with that error, visible to every other client.
   */
  abandon(conn: ClientConnection): void {
    for (const exec of this.host.executions()) {
      if (exec.requester?.conn.id !== conn.id) continue;
      exec.allowStdin = false;
      if (exec.pendingInput) {
        exec.pendingInput = null;
        this.interrupt(`the client asked for input (${conn.clientName}) left`);
      }
    }
  }

  private interrupt(why: string): void {
    this.host.logger.info(`room ${this.host.id}: interrupting the kernel: ${why}`);
    this.host.interrupt().catch((err: Error) => this.host.logger.warn(`room ${this.host.id}: interrupt failed: ${err.message}`));
  }
}
