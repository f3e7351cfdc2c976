/**
 * The daemon ↔ client contract: handshake, request table, broadcasts and errors.
 * Every JSON frame is validated with these schemas where it is received.
 */
import { z } from 'zod';

export const PROTOCOL_MAGIC = 'quire';
/** Bump on any breaking change to frames or to this file. */
export const PROTOCOL_VERSION = 1;

export const HelloSchema = z.object({
  magic: z.literal(PROTOCOL_MAGIC),
  protocol: z.number().int(),
  token: z.string().min(1).max(512),
  client: z.object({ name: z.string().max(200), pid: z.number().int().optional() }).optional(),
});
export type Hello = z.infer<typeof HelloSchema>;

export const WelcomeSchema = z.object({
  protocol: z.number().int(),
  daemon: z.object({ version: z.string(), pid: z.number().int() }),
  connectionId: z.string(),
});
export type Welcome = z.infer<typeof WelcomeSchema>;

export const ProtocolErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
});
export type ProtocolError = z.infer<typeof ProtocolErrorSchema>;

const roomId = z.string().min(1).max(200);
const jsonRecord = z.record(z.string(), z.unknown());

/** A kernel's outputs as nbformat output dicts (plain JSON). */
export type OutputJson = Record<string, unknown>;

export interface ExecuteResult {
  msgId: string;
  cellId: string | null;
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  /** Only for code executions (not cells): the outputs it produced, in order. */
  outputs: OutputJson[];
  error?: { ename: string; evalue: string; traceback: string[] };
}

export interface RoomSummary {
  roomId: string;
  path: string;
  clients: number;
  kernel: { status: string; name: string | null; pid: number | null } | null;
}

export interface KernelSpecSummary {
  name: string;
  displayName: string;
  language: string;
  resourceDir: string;
}

/**
 * The request table: method → params schema and result type. The daemon validates
 * params with the schema; the client types its calls from `RequestResult`.
 */
export const RequestParams = {
  /**
   * `drivesWidgets`: this client has windows that can run front-end-driven widgets (Play). The
   * daemon makes exactly one such client per room the driver (`widget-driver` broadcasts).
   */
  open: z.object({ path: z.string().min(1).max(4096), create: z.boolean().optional(), drivesWidgets: z.boolean().optional() }),
  close: z.object({ roomId, shutdownKernelIfUnused: z.boolean().optional() }),
  /** The daemon's heads now; with `contains`, also whether it holds those changes. */
  heads: z.object({ roomId, contains: z.array(z.string().max(128)).max(1024).optional() }),
  /**
   * Runs code or a cell. With `allowStdin`, the kernel may ask for input (`input()`); the
   * daemon sends `input-request` to this connection only, which answers with `inputReply`.
   */
  execute: z.union([
    z.object({ roomId, code: z.string().max(10_000_000), cellId: z.undefined().optional(), allowStdin: z.boolean().optional() }),
    z.object({ roomId, cellId: z.string().min(1).max(200), code: z.undefined().optional(), allowStdin: z.boolean().optional() }),
  ]),
  /** Answers the pending `input-request` this connection received (at most one per room). */
  inputReply: z.object({ roomId, value: z.string().max(1_000_000) }),
  interrupt: z.object({ roomId }),
  restart: z.object({ roomId }),
  shutdownKernel: z.object({ roomId }),
  /** Whether this client can drive the room's front-end widgets now (a host that has windows on it). */
  drivesWidgets: z.object({ roomId, drives: z.boolean() }),
  /**
   * Chooses the notebook's kernel (a name from `kernelspecs`): shuts the running kernel down
   * (unless it already is that kernel), records `metadata.kernelspec`; the next execution
   * starts the chosen kernel.
   */
  setKernel: z.object({ roomId, name: z.string().min(1).max(200) }),
  /**
   * Writes the notebook (to `path`: a copy elsewhere). Refused with `changed-on-disk` when
   * another program changed the file since Quire loaded or saved it, unless `overwrite`.
   */
  save: z.object({ roomId, path: z.string().min(1).max(4096).optional(), overwrite: z.boolean().optional() }),
  /** Replaces cells and metadata with the file on disk; kernel and live widgets stay. */
  reload: z.object({ roomId }),
  /** After a crash-recovery restore: keep the recovered edits (`keep`) or reload the file. */
  resolveRecovery: z.object({ roomId, keep: z.boolean() }),
  sendCustom: z.object({
    roomId,
    commId: z.string().min(1).max(200),
    content: jsonRecord,
    /** Base64-encoded binary buffers. */
    buffers: z.array(z.string()).max(64).optional(),
  }),
  getBlob: z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** Base64 bytes from a front end (FileUpload) into the blob store; the doc then holds the hash. */
  putBlob: z.object({ base64: z.string().max(48 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/) }),
  kernelspecs: z.object({}),
  status: z.object({}),
  stop: z.object({}),
} as const;
export type Method = keyof typeof RequestParams;
export type ParamsOf<M extends Method> = z.input<(typeof RequestParams)[M]>;

export interface RequestResult {
  open: { roomId: string; path: string; exists: boolean; widgetDriver: boolean };
  close: { closed: boolean };
  heads: { heads: string[]; contains: boolean };
  execute: ExecuteResult;
  inputReply: { sent: boolean };
  interrupt: { interrupted: boolean };
  restart: { restarted: boolean };
  shutdownKernel: { shutdown: boolean };
  drivesWidgets: { driver: boolean };
  /** `shutdown`: a running kernel was shut down to make the change. */
  setKernel: { name: string; displayName: string; language: string; shutdown: boolean };
  save: { path: string; bytes: number };
  reload: { path: string; cells: number };
  /** `resolved` is false when there was no recovery to resolve (another window did it). */
  resolveRecovery: { resolved: boolean };
  sendCustom: { sent: boolean };
  getBlob: { base64: string };
  putBlob: { hash: string };
  kernelspecs: { specs: KernelSpecSummary[] };
  status: { pid: number; socket: string; home: string; version: string; uptimeMs: number; rooms: RoomSummary[] };
  stop: { stopping: boolean };
}

export const RequestSchema = z.object({
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  params: z.unknown(),
});
export type Request = z.infer<typeof RequestSchema>;

export const ResponseSchema = z.union([
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.number().int(), ok: z.literal(false), error: ProtocolErrorSchema }),
]);
export type Response = z.infer<typeof ResponseSchema>;

/** Ephemeral events. Never written to the doc. */
export const BroadcastSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('kernel-status'), roomId, status: z.string(), reason: z.string().optional() }),
  z.object({
    event: z.literal('custom'),
    roomId,
    commId: z.string(),
    content: jsonRecord,
    buffers: z.array(z.string()),
  }),
  /** Output of a code execution, sent only to the client that asked for it, as it arrives. */
  z.object({ event: z.literal('execute-output'), roomId, requestId: z.number().int(), output: jsonRecord }),
  /** This connection became (or stopped being) the one that drives the room's front-end widgets. */
  z.object({ event: z.literal('widget-driver'), roomId, driver: z.boolean() }),
  /**
   * The kernel asks for input (`input()`, `getpass()`) during an execution this connection
   * requested with `allowStdin`; sent to that connection only. `requestId` is the id of the
   * `execute` request, `cellId` the cell being run (null for code). Answer with `inputReply`.
   */
  z.object({
    event: z.literal('input-request'),
    roomId,
    requestId: z.number().int(),
    cellId: z.string().nullable(),
    prompt: z.string(),
    password: z.boolean(),
  }),
]);
export type Broadcast = z.infer<typeof BroadcastSchema>;

/** Errors a request can fail with; `message` always says what to do. */
export type ErrorCode =
  | 'bad-request'
  | 'unknown-method'
  | 'unknown-room'
  | 'not-found'
  | 'notebook-invalid'
  | 'kernel-error'
  | 'no-kernelspec'
  /** The notebook file was changed by another program; reload it or save with `overwrite`. */
  | 'changed-on-disk'
  /** `inputReply` with no input request pending for this connection. */
  | 'no-input-pending'
  /** Writing the notebook failed (permissions, disk full…); the doc still holds every edit. */
  | 'save-failed'
  /** The daemon is stopping (`quire stop`): it starts nothing new; connect again in a moment. */
  | 'daemon-stopping'
  | 'internal';
