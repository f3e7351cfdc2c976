/**
 * Which window runs a notebook's front-end-driven widgets (Play's timer, jslink/jsdlink copies):
 * the widget manager answers, from main's `widgets:driver` (IPC contract). Models reach it
 * through their `widget_manager`; without one (a manager that does not say) every window drives.
 */
import type { Unsubscribe } from '../../src-shared/ipc/contract';

export interface DriverSource {
  readonly isDriver: boolean;
  onDriverChange(listener: () => void): Unsubscribe;
}

export function driverSource(manager: unknown): DriverSource | undefined {
  const m = manager as Partial<DriverSource> | undefined;
  return m && typeof m.onDriverChange === 'function' ? (m as DriverSource) : undefined;
}

export function isDriving(manager: unknown): boolean {
  return driverSource(manager)?.isDriver ?? true;
}
