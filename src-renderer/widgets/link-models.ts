/**
 * jslink / jsdlink copy a trait from one model to another in the front end, with no kernel
 * round-trip. The stock models do it in every window that shows the notebook, so every window
 * that saw a change wrote the copy too, each from its own replica's timing: a window reacting to
 * an older value wrote it after a newer one, held it against the doc as its own in-flight edit,
 * and the two-way link then carried it back (e2e: a slider stepped twice in one window ended
 * at 1 in the doc and the kernel). Here only the notebook's driver window copies, as for Play
 * (play-model.ts); the other windows see the copy arrive through the doc like any other change.
 * A window that becomes the driver copies source → target once, as the stock model does when
 * it is created, in case a change arrived while no window drove.
 */
import { DirectionalLinkModel, LinkModel } from '@jupyter-widgets/controls';
import type { WidgetModel } from '@jupyter-widgets/base';
import { driverSource, isDriving } from './driver-source';

type InitArgs = Parameters<DirectionalLinkModel['initialize']>;

/** On becoming the driver, copy source → target once (updateValue is a no-op elsewhere); stop listening when the link goes. */
function followDriver(link: DirectionalLinkModel): void {
  const off = driverSource(link.widget_manager)?.onDriverChange(() => {
    if (link.sourceModel) link.updateValue(link.sourceModel, link.sourceAttr, link.targetModel, link.targetAttr);
  });
  link.once('destroy', () => off?.());
}

export class QuireDirectionalLinkModel extends DirectionalLinkModel {
  override initialize(...args: InitArgs): void {
    super.initialize(...args);
    followDriver(this);
  }

  override updateValue(sourceModel: WidgetModel, sourceAttr: string, targetModel: WidgetModel, targetAttr: string): void {
    if (isDriving(this.widget_manager)) super.updateValue(sourceModel, sourceAttr, targetModel, targetAttr);
  }
}

export class QuireLinkModel extends LinkModel {
  override initialize(...args: InitArgs): void {
    super.initialize(...args);
    followDriver(this);
  }

  override updateValue(sourceModel: WidgetModel, sourceAttr: string, targetModel: WidgetModel, targetAttr: string): void {
    if (isDriving(this.widget_manager)) super.updateValue(sourceModel, sourceAttr, targetModel, targetAttr);
  }
}
