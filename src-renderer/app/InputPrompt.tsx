import { useEffect, useRef, useState } from 'react';
import type { InputRequest, QuireApi } from '../../src-shared/ipc/contract';
import type { CellView } from '../../src-shared/schema/notebook-doc';

/**
 * Python's `input()` / `getpass()`: the kernel's stdin request for a cell this window ran,
 * answered here (other windows do not see it, as in JupyterLab each request has one asker).
 */
export function InputPrompt({ api, cells }: { api: QuireApi; cells: CellView[] }) {
  const [request, setRequest] = useState<InputRequest | null>(null);
  const [value, setValue] = useState('');
  const field = useRef<HTMLInputElement>(null);
  /** The asking cell was seen running: when it is idle again (interrupted, restarted), the question is moot. */
  const seenRunning = useRef(false);
  useEffect(
    () =>
      api.onInputRequest((r) => {
        seenRunning.current = false;
        setRequest(r);
        setValue('');
      }),
    [api],
  );
  const asking = request?.cellId ? cells.find((c) => c.id === request.cellId) : undefined;
  useEffect(() => {
    if (!request?.cellId) return;
    if (asking && asking.run !== 'idle') seenRunning.current = true;
    else if (!asking || seenRunning.current) setRequest(null);
  }, [request, asking]);
  useEffect(() => {
    if (request) field.current?.focus();
  }, [request]);
  if (!request) return null;
  return (
    <form
      className="input-prompt banner"
      role="dialog"
      aria-label="Kernel input"
      onSubmit={(e) => {
        e.preventDefault();
        const answer = value;
        setRequest(null);
        void api.replyInput(answer).catch(() => {});
      }}
    >
      <label>
        <span className="input-label">{request.prompt || 'Input:'}</span>
        <input ref={field} type={request.password ? 'password' : 'text'} value={value} onChange={(e) => setValue(e.target.value)} aria-label="stdin" />
      </label>
      <button type="submit">Send</button>
    </form>
  );
}
