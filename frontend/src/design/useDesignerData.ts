import { useEffect, useState } from "react";
import { api, call, type Analysis } from "../api/client";
import { useApi } from "../hooks/useApi";
import { useDebounced } from "../hooks/useDebounced";
import { asNetwork, type NetworkSpec } from "./convert";

export function useCatalog() {
  const layers = useApi((signal) => api.GET("/api/layers", { signal }), []);
  const foundations = useApi((signal) => api.GET("/api/models", { params: { query: { kind: "foundation" } }, signal }), []);
  const templates = useApi((signal) => api.GET("/api/templates", { signal }), []);
  return {
    layers: layers.data ?? [], layersError: layers.error,
    foundations: foundations.data ?? [],
    templates: templates.data ?? [],
  };
}

/** POST /api/networks/analyze for the document, debounced, keeping the last answer while typing. */
export function useAnalysis(doc: NetworkSpec, ms = 300) {
  const debounced = useDebounced(doc, ms);
  const [analysis, setAnalysis] = useState<Analysis | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    call(api.POST("/api/networks/analyze", { body: { ...debounced }, signal: ctl.signal }))
      .then((a) => { setAnalysis(a); setError(null); })
      .catch((e: Error) => e.name !== "AbortError" && setError(e.message));
    return () => ctl.abort();
  }, [debounced]);
  return { analysis, error, pending: debounced !== doc };
}

export const fetchTemplate = async (name: string) =>
  asNetwork((await call(api.GET("/api/templates/{name}", { params: { path: { name } } }))).network);
export const fetchSaved = async (id: string) =>
  asNetwork((await call(api.GET("/api/networks/{id}", { params: { path: { id } } }))).network);
export const fetchModelSpec = async (id: string) =>
  asNetwork((await call(api.GET("/api/models/{id}", { params: { path: { id } } }))).spec ?? {});
