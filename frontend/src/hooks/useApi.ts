import { useCallback, useEffect, useState } from "react";
import { unwrap } from "../api/client";

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** Load with the typed client, e.g. `useApi((signal) => api.GET("/api/models", { signal }), [])`; `reload()`
 * loads again. A null `load` means "nothing to load yet". `deps` say when the request changes. */
export function useApi<T>(load: ((signal: AbortSignal) => Promise<Answer<T>>) | null, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const idle = load === null;

  useEffect(() => {
    if (load === null) {
      setData(null);
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    load(ctl.signal)
      .then((answer) => {
        setData(unwrap(answer));
        setError(null);
      })
      .catch((e: Error) => {
        if (e.name !== "AbortError") setError(e.message);
      })
      .finally(() => !ctl.signal.aborted && setLoading(false));
    return () => ctl.abort();
    // `load` is a fresh closure every render: `deps` (and whether there is one) say when it changes
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [idle, tick, ...deps]);

  return { data, error, loading, reload, setData };
}
