// The network and data pickers that the training, pretraining and report forms share.
import { api } from "../api/client";
import type { NetworkSpec } from "../design/convert";
import { fetchSaved, fetchTemplate } from "../design/useDesignerData";
import { useApi } from "../hooks/useApi";
import { describeRef, loadViews, type DataRef } from "../lib/dataRefs";

const DRAFT_KEY = "graft-draft";

/** A network choice is "draft:", "saved:ID" or "template:NAME". */
export async function resolveNetwork(choice: string): Promise<NetworkSpec> {
  const [kind, id] = [choice.slice(0, choice.indexOf(":")), choice.slice(choice.indexOf(":") + 1)];
  if (kind === "draft") return JSON.parse(localStorage.getItem(DRAFT_KEY) ?? "null")?.doc;
  return kind === "saved" ? fetchSaved(id) : fetchTemplate(id);
}

// Visiting Design leaves an empty draft behind; offering that as the default network would only fail.
export function draftHasLayers(): boolean {
  try { return (JSON.parse(localStorage.getItem(DRAFT_KEY) ?? "null")?.doc?.nodes?.length ?? 0) > 0; }
  catch { return false; }
}

export function NetworkSelect({ value, onChange, label = "Network" }: { value: string; onChange: (v: string) => void; label?: string }) {
  const saved = useApi((signal) => api.GET("/api/networks", { signal }), []);
  const templates = useApi((signal) => api.GET("/api/templates", { signal }), []);
  return (
    <label className="field"><span>{label}</span>
      <select aria-label="Network" value={value} onChange={(e) => onChange(e.target.value)}>
        {draftHasLayers() && <option value="draft:">Current design (unsaved draft)</option>}
        {(saved.data ?? []).map((n) => <option key={n.id} value={`saved:${n.id}`}>{n.name} (saved)</option>)}
        {(templates.data ?? []).map((t) => <option key={t.name} value={`template:${t.name}`}>{t.name} (template)</option>)}
      </select></label>
  );
}

/** Data set choices ("ds:ID" or "view:NAME"), with the first data set chosen until the user picks. */
export function useDataChoice(picked: string) {
  const datasets = useApi((signal) => api.GET("/api/datasets", { signal }), []);
  const views = loadViews();
  const choice = picked || (datasets.data?.[0] ? `ds:${datasets.data[0].id}` : "");
  const options = (
    <>
      {(datasets.data ?? []).map((d) => <option key={d.id} value={`ds:${d.id}`}>{d.name}</option>)}
      {views.map((v) => <option key={v.name} value={`view:${v.name}`}>{v.name} ({describeRef(v.ref)})</option>)}
    </>
  );
  /** The data reference of the choice (or of `of`, another choice), keeping only the first `limit` samples when
   *  it is given. */
  const refOf = (limit: string, of: string = choice): DataRef => {
    const ref: DataRef = of.startsWith("view:")
      ? structuredClone(views.find((v) => v.name === of.slice(5))!.ref)
      : { dataset: of.slice(3) };
    const n = Number(limit);
    if (limit && !(Number.isInteger(n) && n > 0)) throw new Error(`Samples must be a whole number above 0, found “${limit}”.`);
    return limit ? { ...ref, transforms: [...(ref.transforms ?? []), { limit: n }] } : ref;
  };
  /** The chosen data set's image shape [C, H, W] and class count, when the list says them. */
  const fitOf = (): { shape?: number[]; classes?: number } => {
    const id = choice.startsWith("view:") ? views.find((v) => v.name === choice.slice(5))?.ref.dataset : choice.slice(3);
    const d = (datasets.data ?? []).find((x) => x.id === id);
    return { shape: Array.isArray(d?.shape) && d.shape.length === 3 ? d.shape : undefined,
             classes: d?.classes?.length || undefined };
  };
  return { choice, options, refOf, fitOf };
}
