import { useEffect, useRef, useState } from 'react';
import type { InputRequest, QuireApi } from '../../src-shared/ipc/contract';

/**
 * Python's `input()` / `getpass()`: the kernel's stdin request for a cell this window ran,
 * answered here (other windows do not see it, as in JupyterLab each request has one asker).
 */
export function InputPrompt({ api }: { api: QuireApi }) {
  const [request, setRequest] = useState<InputRequest | null>(null);
  const [value, setValue] = useState('');
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => api.onInputRequest((r) => {
    setRequest(r);
    setValue('');
  }), [api]);
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
