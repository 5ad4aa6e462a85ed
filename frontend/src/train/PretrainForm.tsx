import { useEffect, useState } from "react";
import { api, call, sent, type PretrainRequest, type RunRecord } from "../api/client";
import { defaultsOf } from "../api/defaults";
import type { NetworkSpec } from "../design/convert";
import { draftHasLayers, NetworkSelect, resolveNetwork, useDataChoice } from "./pickers";

type Objective = "autoencoder" | "denoising" | "simclr";
const OBJECTIVES: { id: Objective; label: string; line: string }[] = [
  { id: "autoencoder", label: "Autoencoder",
    line: "Squeeze each image through the encoder and rebuild it from that code: the code must keep what matters." },
  { id: "denoising", label: "Denoising autoencoder",
    line: "Rebuild the clean image from a damaged copy (noise, shifted pixels, a blanked patch): features that ignore the damage." },
  { id: "simclr", label: "SimCLR contrastive",
    line: "Two random views of an image (shifted, zoomed, rotated, noisy) must match each other and no other image in the batch." },
];

/** Where the encoder ends by default: the last Flatten (before a classifier), else the network's last node. */
function defaultEnd(net: NetworkSpec | null): string {
  const nodes = net?.nodes ?? [];
  return [...nodes].reverse().find((n) => n.type === "Flatten")?.id ?? nodes[nodes.length - 1]?.id ?? "";
}

/** Train an encoder from images alone (POST /api/pretrain); the result is a foundation in Models. */
export default function PretrainForm({ onLaunched }: { onLaunched: (r: RunRecord) => void }) {
  const [network, setNetwork] = useState(draftHasLayers() ? "draft:" : "template:fast-cnn");
  const [net, setNet] = useState<NetworkSpec | null>(null);
  const [end, setEnd] = useState("");
  const [objective, setObjective] = useState<Objective>("simclr");
  const [data, setData] = useState("");
  const [limit, setLimit] = useState("");
  const [h, setH] = useState(() => {
    const d = defaultsOf("PretrainHparams");
    return { epochs: d.epochs as number, batch_size: d.batch_size as number, lr: d.lr as number,
             seed: d.seed as number, temperature: d.temperature as number, noise: d.noise as number };
  });
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { choice: dataChoice, options: dataOptions, refOf } = useDataChoice(data);

  useEffect(() => {
    let live = true;
    resolveNetwork(network).then((n) => { if (live) { setNet(n); setEnd(defaultEnd(n)); } },
                                 (e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [network]);

  const launch = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (!net?.nodes?.length) throw new Error("The chosen network has no layers: draw one in Design or pick a template.");
      const body = sent<PretrainRequest>({ network: net as unknown as Record<string, unknown>, end: end || null,
                                          objective, data: refOf(limit), hparams: h, name: name || null });
      onLaunched(await call(api.POST("/api/pretrain", { body })));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const num = (k: "epochs" | "batch_size" | "lr" | "temperature" | "noise", label: string, step: string, min: string) => (
    <label className="field"><span>{label}</span>
      <input type="number" step={step} min={min} value={h[k]} aria-label={k}
             onChange={(e) => setH({ ...h, [k]: Number(e.target.value) })} /></label>
  );
  const nodes = net?.nodes ?? [];
  return (
    <form className="list" style={{ gap: 12 }} onSubmit={launch} aria-label="New pretraining run">
      <p className="muted small" style={{ margin: 0 }}>
        No label is read. A decoder or projection head exists only while pretraining; the encoder becomes a
        foundation in <a href="#/models">Models</a>, ready to graft a head on or to test in <a href="#/reports">Reports</a>.
      </p>
      <fieldset className="objectives" aria-label="Objective">
        {OBJECTIVES.map((o) => (
          <label key={o.id} className={`objective ${objective === o.id ? "active" : ""}`}>
            <input type="radio" name="objective" value={o.id} checked={objective === o.id} onChange={() => setObjective(o.id)} />
            <span><strong>{o.label}</strong><span className="small muted">{o.line}</span></span>
          </label>
        ))}
      </fieldset>
      <div className="form-grid" style={{ gridTemplateColumns: "1fr 1fr 1fr" }}>
        <NetworkSelect value={network} onChange={setNetwork} label="Encoder network" />
        <label className="field"><span>Encoder ends at</span>
          <select aria-label="Encoder ends at" value={end} onChange={(e) => setEnd(e.target.value)}
                  title="The layers after this one (a classifier) are left out of the foundation">
            {nodes.map((n, i) => <option key={n.id} value={n.id}>
              {n.id} ({n.type}){i === nodes.length - 1 ? " · whole network" : ""}</option>)}
          </select></label>
        <label className="field"><span>Images (labels unused)</span>
          <select aria-label="Data set" value={dataChoice} onChange={(e) => setData(e.target.value)}>{dataOptions}</select></label>
      </div>
      <div className="form-grid">
        {num("epochs", "Epochs", "1", "1")}{num("batch_size", "Batch size", "1", "2")}{num("lr", "Learning rate", "0.0001", "0")}
        {objective === "simclr" && num("temperature", "Temperature", "0.05", "0")}
        {objective === "denoising" && num("noise", "Noise", "0.05", "0")}
        <label className="field"><span>Samples (empty: all)</span>
          <input type="number" min="1" step="1" value={limit} onChange={(e) => setLimit(e.target.value)}
                 placeholder="all" aria-label="Pretraining samples" title="Learn from the first N images only: quick trials" /></label>
        <label className="field"><span>Foundation name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="network-objective" aria-label="Foundation name" /></label>
      </div>
      {error && <div className="error-box small" role="alert">{error}</div>}
      <div><button className="primary" type="submit" disabled={busy || !dataChoice || !net}>{busy ? "Queuing…" : "Start pretraining"}</button></div>
    </form>
  );
}
