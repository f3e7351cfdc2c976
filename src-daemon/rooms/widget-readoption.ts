/**
 * Widgets of a kernel that outlived a daemon crash. The restored doc (recovery snapshot)
 * still has the comms, but it may be up to a second old and may list widgets the kernel
 * closed since. ipykernel keeps its comm objects across the crash, so the kernel is asked:
 *  1. `comm_info_request` (target jupyter.widget) on the control channel — which widget comms
 *     it still has (control: answered even while a cell runs);
 *  2. `request_states` on a `jupyter.widget.control` comm (ipywidgets 8, as JupyterLab does
 *     on a page reload) — their full current state, so updates made after the last snapshot,
 *     and widgets created after it, are not lost.
 * The bridge then makes exactly those comms live again (CommBridge.adoptLiveComms).
 * If step 2 is unavailable (ipywidgets 7, timeout) the comms the kernel still has stay live
 * with the state the snapshot had.
 */
import { randomUUID } from 'node:crypto';
import type { JupyterMessage } from '../../src-shared/jupyter/messages';
import type { BlobStore } from '../blobs/blob-store';
import type { KernelConnection } from '../kernels/provider';
import type { Logger } from '../log';
import { jsonPerTrait, WIDGET_TARGET, type CommBridge, type LiveComm } from './comm-bridge';
import { buffersToBlobRefs } from './widget-buffers';

const CONTROL_TARGET = 'jupyter.widget.control';
/** ipywidgets 8's widget control protocol; the kernel refuses another major version. */
const CONTROL_PROTOCOL_VERSION = '1.0.0';
const REPLY_TIMEOUT_MS = 15_000;

export async function reattachLiveWidgets(
  kernel: KernelConnection,
  bridge: CommBridge,
  blobs: BlobStore,
  logger: Logger,
): Promise<number> {
  const info = await request(kernel, (msgId) =>
    kernel.send({ channel: 'control', msg_type: 'comm_info_request', msg_id: msgId, content: { target_name: WIDGET_TARGET } }),
    (m, msgId) => m.header.msg_type === 'comm_info_reply' && m.parent_header.msg_id === msgId,
  );
  const comms = (info.content as { comms?: unknown }).comms;
  const ids = new Set<string>();
  if (comms && typeof comms === 'object') {
    for (const [id, c] of Object.entries(comms as Record<string, { target_name?: unknown }>)) {
      if (c?.target_name === WIDGET_TARGET) ids.add(id);
    }
  }
  const states = ids.size > 0 ? await requestStates(kernel, blobs, logger) : new Map<string, LiveComm>();
  const live = new Map<string, LiveComm>();
  for (const id of ids) {
    live.set(id, states.get(id) ?? { modelName: '', modelModule: '', modelModuleVersion: '', stateJson: null });
  }
  bridge.adoptLiveComms(live);
  return live.size;
}

async function requestStates(kernel: KernelConnection, blobs: BlobStore, logger: Logger): Promise<Map<string, LiveComm>> {
  const commId = randomUUID();
  const out = new Map<string, LiveComm>();
  try {
    const reply = await request(
      kernel,
      async () => {
        await kernel.send({
          channel: 'shell',
          msg_type: 'comm_open',
          metadata: { version: CONTROL_PROTOCOL_VERSION },
          content: { comm_id: commId, target_name: CONTROL_TARGET, data: {} },
        });
        return kernel.send({ channel: 'shell', msg_type: 'comm_msg', content: { comm_id: commId, data: { method: 'request_states' } } });
      },
      (m) =>
        m.channel === 'iopub' &&
        m.header.msg_type === 'comm_msg' &&
        (m.content as { comm_id?: unknown }).comm_id === commId &&
        (m.content as { data?: { method?: unknown } }).data?.method === 'update_states',
    );
    const data = (reply.content as { data: { states?: unknown; buffer_paths?: unknown } }).data;
    const states = data.states && typeof data.states === 'object' ? (data.states as Record<string, unknown>) : {};
    buffersToBlobRefs(states, data.buffer_paths, reply.buffers, blobs);
    for (const [id, raw] of Object.entries(states)) {
      const model = raw as { model_name?: unknown; model_module?: unknown; model_module_version?: unknown; state?: unknown };
      const state = model.state && typeof model.state === 'object' ? (model.state as Record<string, unknown>) : {};
      out.set(id, {
        modelName: String(model.model_name ?? state._model_name ?? ''),
        modelModule: String(model.model_module ?? state._model_module ?? ''),
        modelModuleVersion: String(model.model_module_version ?? state._model_module_version ?? ''),
        stateJson: jsonPerTrait(state),
      });
    }
  } catch (err) {
    logger.warn(`the re-attached kernel did not report its widget states (${(err as Error).message}); keeping the snapshot's`);
  } finally {
    // The kernel keeps one control comm; close ours so it does not linger.
    void kernel
      .send({ channel: 'shell', msg_type: 'comm_close', content: { comm_id: commId, data: {} } })
      .catch(() => {});
  }
  return out;
}

/** Sends (through `send`, given a fresh msg_id) and resolves with the first message `match` accepts. */
function request(
  kernel: KernelConnection,
  send: (msgId: string) => Promise<string>,
  match: (message: JupyterMessage, msgId: string) => boolean,
): Promise<JupyterMessage> {
  const msgId = randomUUID();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no answer within ${REPLY_TIMEOUT_MS / 1000} s`));
    }, REPLY_TIMEOUT_MS);
    const unsubscribe = kernel.onEvent((event) => {
      if (event.type === 'message' && match(event.message, msgId)) {
        stop();
        resolve(event.message);
      } else if (event.type === 'status' && event.status === 'dead') {
        stop();
        reject(new Error('the kernel died'));
      }
    });
    const stop = () => {
      clearTimeout(timer);
      unsubscribe();
    };
    send(msgId).catch((err: Error) => {
      stop();
      reject(err);
    });
  });
}
