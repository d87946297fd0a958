import { useEffect, useRef, useState } from 'preact/hooks';
import { isAbort } from './api/http';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads with `load` whenever `deps` change, and again every `intervalMs` if given (paused while
 * the tab is hidden). A change of `deps` is something else to show: the old data goes at once. A
 * change of `refreshDeps` (or a reload, or the interval) is a newer copy of the same thing: the
 * old data stays on screen until the new arrives, so a live page does not flicker. The previous
 * request is aborted when a new one starts or the page goes.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  intervalMs?: number,
  refreshDeps: unknown[] = [],
): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;

  useEffect(() => {
    setState((previous) => ({ ...previous, data: undefined, error: undefined, loading: true }));
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    latest
      .current(controller.signal)
      .then((data) => setState({ data, error: undefined, loading: false }))
      .catch((error: unknown) => {
        if (!isAbort(error)) setState((previous) => ({ ...previous, error, loading: false }));
      });
    return () => controller.abort();
  }, [...deps, ...refreshDeps, tick]);

  useEffect(() => {
    if (!intervalMs) return;
    const timer = setInterval(() => {
      if (!document.hidden) setTick((t) => t + 1);
    }, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, ...deps]);

  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** The current time, updated every `intervalMs` while `active` (running bars grow, ages advance). */
export function useNow(active: boolean, intervalMs = 500): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

/** Sets the document title for a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · opledger console`;
  }, [title]);
}
