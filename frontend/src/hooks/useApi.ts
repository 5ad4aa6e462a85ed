import { useCallback, useEffect, useState } from "react";
import { get } from "../api/http";

/** GET a resource; `reload()` fetches it again. `path` null means "nothing to load yet". */
export function useApi<T>(path: string | null, map?: (raw: unknown) => T) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (path === null) {
      setData(null);
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    get<unknown>(path, ctl.signal)
      .then((raw) => {
        setData(map ? map(raw) : (raw as T));
        setError(null);
      })
      .catch((e: Error) => {
        if (e.name !== "AbortError") setError(e.message);
      })
      .finally(() => !ctl.signal.aborted && setLoading(false));
    return () => ctl.abort();
    // map is expected to be a stable module-level function
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, tick]);

  return { data, error, loading, reload, setData };
}
