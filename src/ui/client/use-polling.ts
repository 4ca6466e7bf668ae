/** Calls `tick` every `intervalMs` while `active`; stops when the component goes away. */
import { useEffect, useRef } from 'preact/hooks';

export function usePolling(active: boolean, intervalMs: number, tick: () => Promise<void>): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = () => {
      timer = setTimeout(() => {
        // tick reports its own errors; the loop only waits for it to end before the next one.
        void latest.current().finally(() => {
          if (!stopped) loop();
        });
      }, intervalMs);
    };
    loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, intervalMs]);
}
