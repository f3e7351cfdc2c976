/**
 * Play is driven by a timer in the front end: the stock PlayModel advances `value` every
 * `interval` ms in whichever window runs its loop — and every window showing it runs one (its
 * view calls `animate()` when `playing` turns true), so two windows advanced it twice as
 * fast. Here only the notebook's driver window (main names it: see `widgets:driver` in the
 * IPC contract) runs the loop; the others follow `value` through the doc. The driver runs
 * it whether or not it shows a view, and a new driver picks up a Play that is playing.
 *
 * The daemon elects one driver among all hosts on the notebook, so two host processes (or an
 * Electron app and a browser host) still run one loop between them.
 */
import { PlayModel, PlayView } from '@jupyter-widgets/controls';
import type { Unsubscribe } from '../../src-shared/ipc/contract';
import { driverSource, isDriving } from './driver-source';

/** PlayModel keeps its timer id private; we need to know whether a loop is scheduled. */
interface Timer {
  _timerId?: number;
}

export class QuirePlayModel extends PlayModel {
  // Backbone runs initialize() inside the constructor; a field initializer would reset this after.
  private declare offDriver: Unsubscribe | undefined;

  override initialize(attributes: Parameters<PlayModel['initialize']>[0], options: Parameters<PlayModel['initialize']>[1]): void {
    super.initialize(attributes, options);
    const source = driverSource(this.widget_manager);
    this.offDriver = source?.onDriverChange(() => this.drive());
    // After the current set (a doc update may be mid-apply): the loop writes `value` itself.
    this.on('change:playing', () => queueMicrotask(() => this.drive()));
    this.once('destroy', () => {
      this.offDriver?.();
      this.stopTimer();
    });
    queueMicrotask(() => this.drive());
  }

  private get driving(): boolean {
    return isDriving(this.widget_manager);
  }

  /** Starts the loop in the driver when playing; stops any loop everywhere else. */
  private drive(): void {
    if (this.get('playing') && this.driving) {
      if ((this as unknown as Timer)._timerId === undefined) super.animate();
    } else {
      this.stopTimer();
    }
  }

  private stopTimer(): void {
    const timer = this as unknown as Timer;
    if (timer._timerId !== undefined) window.clearTimeout(timer._timerId);
    timer._timerId = undefined;
  }

  override animate(): void {
    if (this.driving) super.animate();
  }

  override schedule_next(): void {
    if (this.driving) super.schedule_next();
    else this.stopTimer();
  }
}

/**
 * The stock view starts the loop (`animate()`) when `playing` turns true and calls `pause()`
 * on any other change of `playing` — judged by `previous('playing')`, which is wrong when the
 * change arrives inside another set (the driver's loop writes `value` from within the doc's
 * `playing` update) and then pauses a Play that should run. The model owns the timer here
 * (see `drive`), so the view only shows the state; its buttons still call play/stop/repeat.
 */
export class QuirePlayView extends PlayView {
  override onPlayingChanged(): void {
    this.updatePlaying();
  }
}
