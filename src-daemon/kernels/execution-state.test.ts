import { describe, expect, it } from 'vitest';
import type { JupyterMessage } from '../../src-shared/jupyter/messages';
import { executionStateOf } from './execution-state';

const header = (msg_type: string, msg_id = `${msg_type}-1`) => ({
  msg_id,
  msg_type,
  session: 's',
  username: 'u',
  date: '2026-01-01T00:00:00Z',
  version: '5.3',
});

function status(state: string, parentType?: string): JupyterMessage {
  return {
    channel: 'iopub',
    header: header('status'),
    parent_header: parentType ? header(parentType) : {},
    metadata: {},
    content: { execution_state: state },
    buffers: [],
  } as JupyterMessage;
}

describe('executionStateOf', () => {
  it("counts statuses of the user's requests", () => {
    expect(executionStateOf(status('busy', 'execute_request'))).toBe('busy');
    expect(executionStateOf(status('idle', 'execute_request'))).toBe('idle');
    expect(executionStateOf(status('busy', 'comm_msg'))).toBe('busy'); // a widget callback runs user code
    expect(executionStateOf(status('starting'))).toBe('starting'); // no parent at kernel start
  });

  it('ignores statuses around control requests, which ipykernel answers while a cell still runs', () => {
    for (const parent of ['interrupt_request', 'kernel_info_request', 'comm_info_request', 'shutdown_request', 'debug_request']) {
      expect(executionStateOf(status('idle', parent))).toBeUndefined();
      expect(executionStateOf(status('busy', parent))).toBeUndefined();
    }
  });

  it('ignores what is not a status with a known state', () => {
    expect(executionStateOf(status('restarting-ish', 'execute_request'))).toBeUndefined();
    expect(executionStateOf({ ...status('idle', 'execute_request'), channel: 'shell' } as JupyterMessage)).toBeUndefined();
    expect(executionStateOf({ ...status('idle', 'execute_request'), header: header('stream') } as JupyterMessage)).toBeUndefined();
  });
});
