import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** A value loaded from the API: the last good value, the last error, and a way to load again. */
export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads `load()` now, again whenever `deps` change, and every `refreshMs` when given. An answer
 * that arrives after a newer request was made is dropped, so a slow page never overwrites a
 * fresh one.
 */
export function useResource<T>(load: () => Promise<T>, deps: unknown[], refreshMs?: number): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await loader.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(undefined);
    } catch (caught) {
      if (mine !== generation.current) return;
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  // The caller names what the load depends on.
  useEffect(() => {
    setData(undefined);
    void reload();
    if (refreshMs === undefined) return () => void ++generation.current;
    const timer = setInterval(() => void reload(), refreshMs);
    return () => {
      clearInterval(timer);
      ++generation.current;
    };
  }, deps);

  return { data, error, loading, reload };
}
