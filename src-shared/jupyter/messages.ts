/**
 * Jupyter messaging protocol 5.3 types, as used on the kernel edge of the daemon.
 * Only the shapes Quire reads are spelled out; everything else stays `Record<string, unknown>`
 * and is validated where it is read.
 */

export const PROTOCOL_VERSION = '5.3';

export type Channel = 'shell' | 'iopub' | 'stdin' | 'control';

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };

export interface JupyterMessage<C = Record<string, unknown>> {
  channel: Channel;
  header: MessageHeader;
  /** Empty object when the message has no parent. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  /** Binary buffers that trail the message (ipywidgets binary state, custom messages). */
  buffers: Uint8Array[];
}

/** A message to send: the header's ids and date are filled in by the connection. */
export interface OutgoingMessage<C = Record<string, unknown>> {
  channel: Exclude<Channel, 'iopub'>;
  /** Preset id, so replies can be matched even if they arrive before send() resolves. */
  msg_id?: string;
  msg_type: string;
  content: C;
  metadata?: Record<string, unknown>;
  parent_header?: Partial<MessageHeader>;
  buffers?: Uint8Array[];
}

export type KernelStatus =
  | 'unknown'
  | 'starting'
  | 'idle'
  | 'busy'
  | 'restarting'
  | 'dead';

export interface KernelInfo {
  protocol_version: string;
  implementation: string;
  language_info: { name: string; version?: string; mimetype?: string; file_extension?: string; [k: string]: unknown };
  banner?: string;
  [k: string]: unknown;
}

export interface CommOpenContent {
  comm_id: string;
  target_name: string;
  data: Record<string, unknown>;
  target_module?: string;
}

export interface CommMsgContent {
  comm_id: string;
  data: Record<string, unknown>;
}

export interface CommCloseContent {
  comm_id: string;
  data?: Record<string, unknown>;
}
