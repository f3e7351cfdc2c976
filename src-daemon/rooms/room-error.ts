/** Errors a room's requests fail with; the daemon sends `code` and `message` to the client. */
import type { ErrorCode } from '../../src-shared/protocol/messages';

export type RoomErrorCode = Extract<
  ErrorCode,
  'kernel-error' | 'no-kernelspec' | 'not-found' | 'bad-request' | 'changed-on-disk' | 'no-input-pending' | 'save-failed'
>;

export class RoomError extends Error {
  constructor(
    readonly code: RoomErrorCode,
    message: string,
  ) {
    super(message);
  }
}
