/** Test helpers for the core: windows that record the events they receive. */
import type { EventName, Events } from '../../src-shared/ipc/contract';
import type { WindowSink } from './quire-core';

export interface Recorded {
  event: EventName;
  payload: unknown;
  at: number;
}

export class RecordingWindow implements WindowSink {
  readonly events: Recorded[] = [];

  send<E extends EventName>(event: E, payload: Events[E]): void {
    // Through JSON, as both transports deliver it.
    this.events.push({ event, payload: JSON.parse(JSON.stringify(payload)) as unknown, at: Date.now() });
  }

  of<E extends EventName>(event: E): Events[E][] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload as Events[E]);
  }

  clear(): void {
    this.events.length = 0;
  }
}
