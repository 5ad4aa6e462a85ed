import { useState } from "react";
import { asList, get, send } from "../api/http";
import type { DatasetRecord, NetworkSpec, RunRecord, SavedNetwork } from "../api/types";
import { useApi } from "../hooks/useApi";
import { describeRef, loadViews, type DataRef } from "../lib/dataRefs";
import { networkOf, toTemplates } from "../design/useDesignerData";

const DRAFT_KEY = "graft-draft";
const toSaved = (raw: unknown) => asList<SavedNetwork>(raw, "networks");
const toDatasets = (raw: unknown) => asList<DatasetRecord>(raw, "datasets");

async function resolveNetwork(choice: string): Promise<NetworkSpec> {
  const [kind, id] = [choice.slice(0, choice.indexOf(":")), choice.slice(choice.indexOf(":") + 1)];
  if (kind === "draft") return JSON.parse(localStorage.getItem(DRAFT_KEY) ?? "null")?.doc;
  if (kind === "saved") return networkOf(await get(`/networks/${id}`));
  return networkOf(await get(`/templates/${encodeURIComponent(id)}`));
}

// Visiting Design leaves an empty draft behind; offering that as the default network would only fail.
function draftHasLayers(): boolean {
  try { return (JSON.parse(localStorage.getItem(DRAFT_KEY) ?? "null")?.doc?.nodes?.length ?? 0) > 0; }
  catch { return false; }
}

/** Pick network + data + hyperparameters and queue a run (POST /api/runs). */
export default function LaunchForm({ initialNetwork, onLaunched }: { initialNetwork?: string; onLaunched: (r: RunRecord) => void }) {
  const saved = useApi("/networks", toSaved);
  const templates = useApi("/templates", toTemplates);
  const datasets = useApi("/datasets", toDatasets);
  const views = loadViews();
  const hasDraft = draftHasLayers();
  const [network, setNetwork] = useState(initialNetwork ? `saved:${initialNetwork}` : hasDraft ? "draft:" : "template:example-cnn");
  const [data, setData] = useState("");
  const [h, setH] = useState({ epochs: 1, batch_size: 64, lr: 0.001, optimizer: "adam" });
  const [name, setName] = useState("");
  const [limit, setLimit] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dataChoice = data || (datasets.data?.[0] ? `ds:${datasets.data[0].id}` : "");

  const launch = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const net = await resolveNetwork(network);
      if (!net?.nodes?.length) throw new Error("The chosen network has no layers: draw one in Design or pick a template.");
      const ref: DataRef = dataChoice.startsWith("view:")
        ? views.find((v) => v.name === dataChoice.slice(5))!.ref
        : { dataset: dataChoice.slice(3) };
      const n = Number(limit);
      if (limit && !(Number.isInteger(n) && n > 0)) throw new Error(`Samples must be a whole number above 0, found “${limit}”.`);
      const data = limit ? { ...ref, transforms: [...(ref.transforms ?? []), { limit: n }] } : ref;
      const run = await send<RunRecord>("POST", "/runs", { network: net, data, hparams: h, name: name || net.name || "model" });
      onLaunched(run);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const num = (k: "epochs" | "batch_size" | "lr", step: string, min: string) => (
    <label className="field"><span>{k === "lr" ? "Learning rate" : k === "batch_size" ? "Batch size" : "Epochs"}</span>
      <input type="number" step={step} min={min} value={h[k]} aria-label={k}
             onChange={(e) => setH({ ...h, [k]: Number(e.target.value) })} /></label>
  );
  return (
    <form className="card list" style={{ gap: 12 }} onSubmit={launch} aria-label="New training run">
      <h2>New run</h2>
      <div className="form-grid" style={{ gridTemplateColumns: "1fr 1fr" }}>
        <label className="field"><span>Network</span>
          <select aria-label="Network" value={network} onChange={(e) => setNetwork(e.target.value)}>
            {hasDraft && <option value="draft:">Current design (unsaved draft)</option>}
            {(saved.data ?? []).map((n) => <option key={n.id} value={`saved:${n.id}`}>{n.name} (saved)</option>)}
            {(templates.data ?? []).map((t) => <option key={t.name} value={`template:${t.name}`}>{t.name} (template)</option>)}
          </select></label>
        <label className="field"><span>Data set</span>
          <select aria-label="Data set" value={dataChoice} onChange={(e) => setData(e.target.value)}>
            {(datasets.data ?? []).map((d) => <option key={d.id} value={`ds:${d.id}`}>{d.name}</option>)}
            {views.map((v) => <option key={v.name} value={`view:${v.name}`}>{v.name} ({describeRef(v.ref)})</option>)}
          </select></label>
      </div>
      <div className="form-grid">
        {num("epochs", "1", "1")}{num("batch_size", "1", "1")}{num("lr", "0.0001", "0")}
        <label className="field"><span>Optimizer</span>
          <select aria-label="Optimizer" value={h.optimizer} onChange={(e) => setH({ ...h, optimizer: e.target.value })}>
            <option value="adam">Adam</option><option value="sgd">SGD</option><option value="adamw">AdamW</option>
          </select></label>
        <label className="field"><span>Samples (empty: all)</span>
          <input type="number" min="1" step="1" value={limit} onChange={(e) => setLimit(e.target.value)}
                 placeholder="all" aria-label="Training samples" title="Train on the first N samples only: quick trials" /></label>
        <label className="field"><span>Model name</span><input value={name} onChange={(e) => setName(e.target.value)} placeholder="from the network" aria-label="Model name" /></label>
      </div>
      {error && <div className="error-box small" role="alert">{error}</div>}
      <div><button className="primary" type="submit" disabled={busy || !dataChoice}>{busy ? "Queuing…" : "Start training"}</button></div>
    </form>
  );
}
