import { useEffect, useRef } from 'react';
import type { WidgetHost } from './index';

/**
 * A widget output: renders `modelId`'s view through the host into a div React never
 * touches again (the view's DOM belongs to Lumino), and removes it on unmount.
 */
export function WidgetView({ host, modelId }: { host: WidgetHost; modelId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let unmounted = false;
    let dispose: (() => void) | undefined;
    host.renderView(modelId, element).then(
      (d) => {
        if (unmounted) d();
        else dispose = d;
      },
      (err: Error) => console.error(`Quire widgets: could not render ${modelId}: ${err.message}`),
    );
    return () => {
      unmounted = true;
      dispose?.();
    };
  }, [host, modelId]);
  return <div ref={ref} className="quire-widget-view" data-model-id={modelId} />;
}
