/**
 * The browser host's WebSocket wire: the IPC contract (./contract.ts) as JSON text frames.
 *
 *   page → host   {type:'invoke', id, channel, request}
 *   host → page   {type:'result', id, ok:true, result} | {type:'result', id, ok:false, error}
 *                 {type:'event', event, payload}
 *
 * Both ends validate what they receive with these schemas; the host then validates `request`
 * against the channel table with `parseRequest`. `IpcReply` is also the envelope Electron's
 * ipcMain.handle returns, so both preloads unwrap replies the same way.
 */
import { z } from 'zod';
import { EVENT_NAMES, type Channel, type ChannelResponse, type EventName, type Events } from './contract';

/** Largest frame either end accepts (cell sources may be up to 10 MB of text). */
export const MAX_WIRE_BYTES = 64 * 1024 * 1024;

/** A reply to one request: the result, or a message that says what went wrong. */
export type IpcReply<T = unknown> = { ok: true; result: T } | { ok: false; error: string };

const requestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const InvokeMessageSchema = z.object({
  type: z.literal('invoke'),
  id: requestId,
  channel: z.string().min(1).max(100),
  request: z.unknown(),
});
export type InvokeMessage = z.infer<typeof InvokeMessageSchema>;

export const ResultMessageSchema = z.union([
  z.object({ type: z.literal('result'), id: requestId, ok: z.literal(true), result: z.unknown() }),
  z.object({ type: z.literal('result'), id: requestId, ok: z.literal(false), error: z.string() }),
]);
export type ResultMessage = z.infer<typeof ResultMessageSchema>;

export const EventMessageSchema = z.object({
  type: z.literal('event'),
  event: z.enum(EVENT_NAMES as [EventName, ...EventName[]]),
  payload: z.unknown(),
});
export type EventMessage = z.infer<typeof EventMessageSchema>;

export const HostMessageSchema = z.union([ResultMessageSchema, EventMessageSchema]);
export type HostMessage = z.infer<typeof HostMessageSchema>;

type Decoded<T> = { ok: true; message: T } | { ok: false; error: string };

function decode<T>(schema: z.ZodType<T>, text: string, what: string): Decoded<T> {
  if (text.length > MAX_WIRE_BYTES) return { ok: false, error: `${what} is larger than ${MAX_WIRE_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: `${what} is not JSON` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `${what}: ${issue?.path.join('.') || 'message'}: ${issue?.message}` };
  }
  return { ok: true, message: parsed.data };
}

/** Host side: one frame from the page. */
export function decodeInvoke(text: string): Decoded<InvokeMessage> {
  return decode(InvokeMessageSchema, text, 'IPC frame');
}

/** Page side: one frame from the host. */
export function decodeHostMessage(text: string): Decoded<HostMessage> {
  return decode(HostMessageSchema, text, 'host frame');
}

export function encodeInvoke<C extends Channel>(id: number, channel: C, request: unknown): string {
  return JSON.stringify({ type: 'invoke', id, channel, request } satisfies InvokeMessage);
}

export function encodeResult<C extends Channel>(id: number, reply: IpcReply<ChannelResponse[C]> | IpcReply): string {
  return JSON.stringify({ type: 'result', id, ...reply } satisfies ResultMessage);
}

export function encodeEvent<E extends EventName>(event: E, payload: Events[E]): string {
  return JSON.stringify({ type: 'event', event, payload } satisfies EventMessage);
}

/** Electron side: whether a value returned by ipcRenderer.invoke is an `IpcReply`. */
export function isIpcReply(value: unknown): value is IpcReply {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true ? 'result' in v : v.ok === false && typeof v.error === 'string';
}
