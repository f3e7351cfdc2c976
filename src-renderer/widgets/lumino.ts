/**
 * Attaching Lumino widgets to plain DOM hosts (React-owned elements). `Widget.attach` and
 * `Widget.detach` throw when the host or node is not in the document — which happens when
 * React has already removed an element before its effect cleanup runs — so these send the
 * same lifecycle messages by hand in that case (the 'after-attach' message is what makes a
 * jupyter-widgets view fire 'displayed').
 */
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

export function attachWidget(widget: Widget, host: HTMLElement): void {
  if (widget.isDisposed || widget.isAttached || widget.parent) return;
  if (host.isConnected && !widget.node.isConnected) {
    Widget.attach(widget, host);
    return;
  }
  MessageLoop.sendMessage(widget, Widget.Msg.BeforeAttach);
  host.appendChild(widget.node);
  MessageLoop.sendMessage(widget, Widget.Msg.AfterAttach);
}

export function detachWidget(widget: Widget): void {
  if (widget.isDisposed || !widget.isAttached || widget.parent) return;
  if (widget.node.isConnected) {
    Widget.detach(widget);
    return;
  }
  MessageLoop.sendMessage(widget, Widget.Msg.BeforeDetach);
  widget.node.remove();
  MessageLoop.sendMessage(widget, Widget.Msg.AfterDetach);
}

/** Detaches (safely) and disposes. */
export function disposeWidget(widget: Widget): void {
  detachWidget(widget);
  widget.dispose();
}
