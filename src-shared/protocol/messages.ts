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
  open: z.object({ path: z.string().min(1).max(4096), create: z.boolean().optional() }),
  close: z.object({ roomId, shutdownKernelIfUnused: z.boolean().optional() }),
  /** The daemon's heads now; with `contains`, also whether it holds those changes. */
  heads: z.object({ roomId, contains: z.array(z.string().max(128)).max(1024).optional() }),
  execute: z.union([
    z.object({ roomId, code: z.string().max(10_000_000), cellId: z.undefined().optional() }),
    z.object({ roomId, cellId: z.string().min(1).max(200), code: z.undefined().optional() }),
  ]),
  interrupt: z.object({ roomId }),
  restart: z.object({ roomId }),
  shutdownKernel: z.object({ roomId }),
  save: z.object({ roomId, path: z.string().min(1).max(4096).optional() }),
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
  open: { roomId: string; path: string; exists: boolean };
  close: { closed: boolean };
  heads: { heads: string[]; contains: boolean };
  execute: ExecuteResult;
  interrupt: { interrupted: boolean };
  restart: { restarted: boolean };
  shutdownKernel: { shutdown: boolean };
  save: { path: string; bytes: number };
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
  | 'internal';
