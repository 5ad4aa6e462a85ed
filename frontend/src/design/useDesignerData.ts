import { useEffect, useState } from "react";
import { asList, get, send } from "../api/http";
import type { Analysis, LayerSchema, ModelRecord, NetworkSpec } from "../api/types";
import { useApi } from "../hooks/useApi";
import { useDebounced } from "../hooks/useDebounced";

export const toLayers = (raw: unknown) => asList<LayerSchema>(raw, "layers");
export const toModels = (raw: unknown) => asList<ModelRecord>(raw, "models");
export const toTemplates = (raw: unknown) =>
  asList<string | { name: string; description?: string }>(raw, "templates")
    .map((t) => (typeof t === "string" ? { name: t, description: "" } : t));

/** Template / saved-network / model responses may wrap the document; take the network out. */
export function networkOf(raw: unknown): NetworkSpec {
  const r = raw as Record<string, unknown>;
  for (const k of ["network", "spec", "document"]) {
    const v = r?.[k] as NetworkSpec | undefined;
    if (v && Array.isArray(v.nodes)) return v;
  }
  return raw as NetworkSpec;
}

export function useCatalog() {
  const layers = useApi("/layers", toLayers);
  const models = useApi("/models", toModels);
  const templates = useApi("/templates", toTemplates);
  return {
    layers: layers.data ?? [], layersError: layers.error,
    foundations: (models.data ?? []).filter((m) => m.kind === "foundation"),
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
    send<Analysis>("POST", "/networks/analyze", debounced, ctl.signal)
      .then((a) => { setAnalysis(a); setError(null); })
      .catch((e: Error) => e.name !== "AbortError" && setError(e.message));
    return () => ctl.abort();
  }, [debounced]);
  return { analysis, error, pending: debounced !== doc };
}

export const fetchTemplate = async (name: string) => networkOf(await get(`/templates/${encodeURIComponent(name)}`));
export const fetchModelSpec = async (id: string) => networkOf(await get(`/models/${encodeURIComponent(id)}`));
