import { useEffect, useState } from "react";
import { api, ApiError, call, sent, type RunRecord, type TrainRequest } from "../api/client";
import { defaultsOf } from "../api/defaults";
import type { NetworkSpec } from "../design/convert";
import { draftHasLayers, NetworkSelect, resolveNetwork, useDataChoice } from "./pickers";
import PreprocessFields, { NO_PREP, prepErrors, prepFieldsOf, resizeOf, type Prep, type PrepField } from "./PreprocessFields";

type Optimizer = "adam" | "adamw" | "sgd";

/** Pick network + data + hyperparameters and queue a run (POST /api/runs). */
export default function LaunchForm({ initialNetwork, onLaunched }: { initialNetwork?: string; onLaunched: (r: RunRecord) => void }) {
  const [network, setNetwork] = useState(initialNetwork ? `saved:${initialNetwork}` : draftHasLayers() ? "draft:" : "template:example-cnn");
  const [data, setData] = useState("");
  const [h, setH] = useState(() => {
    const d = defaultsOf("Hparams");
    return { epochs: d.epochs as number, batch_size: d.batch_size as number, lr: d.lr as number,
             optimizer: d.optimizer as Optimizer };
  });
  const [name, setName] = useState("");
  const [limit, setLimit] = useState("");
  const [perClass, setPerClass] = useState("");
  const [semi, setSemi] = useState(false);
  const [valPct, setValPct] = useState("");
  const [hasFoundation, setHasFoundation] = useState(false);
  // several heads (the network lists several outputs): one data set per head, their batches mixed
  const [outputs, setOutputs] = useState<string[]>([]);
  const [headData, setHeadData] = useState<Record<string, string>>({});
  const [mixing, setMixing] = useState<"alternate" | "proportional">("alternate");
  useEffect(() => {   // label propagation spreads labels over a frozen foundation's features: offer it only with one
    let live = true;
    resolveNetwork(network).then((net) => {
      if (!live) return;
      setHasFoundation((net?.nodes ?? []).some((n) => n.type === "Foundation" && (n.params as Record<string, unknown> | undefined)?.frozen !== false));
      setOutputs(net?.outputs && net.outputs.length > 1 ? net.outputs : []);
    }, () => { if (live) { setHasFoundation(false); setOutputs([]); } });
    return () => { live = false; };
  }, [network]);
  const [prep, setPrep] = useState<Prep>(NO_PREP);
  const [prepIssues, setPrepIssues] = useState<Partial<Record<PrepField, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { choice: dataChoice, options: dataOptions, refOf, fitOf } = useDataChoice(data);

  const launch = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setPrepIssues({});
    try {
      const net = await resolveNetwork(network);
      if (!net?.nodes?.length) throw new Error("The chosen network has no layers: draw one in Design or pick a template.");
      const prepared = prepFieldsOf(prep);   // the network's input preparation: every head's data gets it
      const all = { ...refOf(limit), ...prepared };
      const k = Number(perClass);
      if (perClass && !(Number.isInteger(k) && k > 0)) throw new Error(`Labels per class must be a whole number above 0, found “${perClass}”.`);
      const data = perClass ? { ...all, transforms: [{ per_class: k, seed: 0 }, ...(all.transforms ?? [])] } : all;
      const v = Number(valPct);
      if (valPct && !(v > 0 && v < 100)) throw new Error(`Validation % must be a number above 0 and below 100, found “${valPct}”.`);
      const hparams = valPct ? { ...h, val_fraction: v / 100 } : h;
      const size = resizeOf(prep);
      const fitOfData = fitOf();
      const fitted = network.startsWith("template:")
        ? fitTemplate(net, size ? { ...fitOfData, shape: [fitOfData.shape?.[0] ?? 1, ...size] } : fitOfData) : net;
      const subset = (ref: typeof all) => perClass ? { ...ref, transforms: [{ per_class: k, seed: 0 }, ...(ref.transforms ?? [])] } : ref;
      const tasks = outputs.length > 1
        ? outputs.map((o) => ({ output: o, weight: 1, data: subset({ ...refOf(limit, headData[o] || dataChoice), ...prepared }) })) : null;
      const body = sent<TrainRequest>({ network: { ...fitted }, data, name: name || net.name || "model",
                                        hparams: tasks ? { ...hparams, task_mixing: mixing } : hparams,
                                        ...(tasks ? { tasks } : {}),
                                        ...(semi && hasFoundation && !tasks ? { semi_supervised: { unlabeled: all } } : {}) });
      const run = await call(api.POST("/api/runs", { body }));
      onLaunched(run);
    } catch (err) {
      const onFields = err instanceof ApiError ? prepErrors(err.issues) : {};
      setPrepIssues(onFields);
      setError(Object.keys(onFields).length ? "The preprocessing fields need a fix (see below each)." : (err as Error).message);
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
    <form className="list" style={{ gap: 12 }} onSubmit={launch} aria-label="New training run">
      <div className="form-grid" style={{ gridTemplateColumns: "1fr 1fr" }}>
        <NetworkSelect value={network} onChange={setNetwork} />
        <label className="field"><span>{outputs.length > 1 ? "Data set (each head's unless chosen below)" : "Data set"}</span>
          <select aria-label="Data set" value={dataChoice} onChange={(e) => setData(e.target.value)}>{dataOptions}</select></label>
      </div>
      <div className="form-grid">
        {num("epochs", "1", "1")}{num("batch_size", "1", "1")}{num("lr", "0.0001", "0")}
        <label className="field"><span>Optimizer</span>
          <select aria-label="Optimizer" value={h.optimizer} onChange={(e) => setH({ ...h, optimizer: e.target.value as Optimizer })}>
            <option value="adam">Adam</option><option value="sgd">SGD</option><option value="adamw">AdamW</option>
          </select></label>
        <label className="field"><span>Samples (empty: all)</span>
          <input type="number" min="1" step="1" value={limit} onChange={(e) => setLimit(e.target.value)}
                 placeholder="all" aria-label="Training samples" title="Train on the first N samples only: quick trials" /></label>
        <label className="field"><span>Per class (empty: all)</span>
          <input type="number" min="1" step="1" value={perClass} onChange={(e) => setPerClass(e.target.value)}
                 placeholder="all" aria-label="Labels per class" title="Train on N random labelled images of each class" /></label>
        <label className="field"><span>Validation % (empty: none)</span>
          <input type="number" min="1" max="50" step="1" value={valPct} onChange={(e) => setValPct(e.target.value)}
                 placeholder="none" aria-label="Validation percent" title="Hold out this share of the training data and report validation accuracy each epoch (a fixed-seed draw)" /></label>
        <label className="field"><span>Model name</span><input value={name} onChange={(e) => setName(e.target.value)} placeholder="from the network" aria-label="Model name" /></label>
      </div>
      <PreprocessFields value={prep} onChange={(p) => { setPrep(p); setPrepIssues({}); }} errors={prepIssues} />
      {outputs.length > 1 && <div className="form-grid" aria-label="Heads">
        {outputs.map((o) => <label key={o} className="field"><span>Data for head {o}</span>
          <select aria-label={`Data for head ${o}`} value={headData[o] || dataChoice}
                  onChange={(e) => setHeadData({ ...headData, [o]: e.target.value })}>{dataOptions}</select></label>)}
        <label className="field"><span>Task mixing</span>
          <select aria-label="Task mixing" value={mixing} onChange={(e) => setMixing(e.target.value as "alternate" | "proportional")}
                  title="An epoch is one pass over every head's data. Alternate: one batch per head in turn; proportional: each head's batches spread over the epoch">
            <option value="alternate">alternate</option><option value="proportional">proportional</option>
          </select></label>
      </div>}
      {hasFoundation && outputs.length < 2 && <label className="check" title="Needs a network whose frozen foundation alone reads the input. The data set's images join training without their labels: labels are spread from the labelled ones over the foundation's nearest-neighbour graph.">
        <input type="checkbox" checked={semi} onChange={(e) => setSemi(e.target.checked)} aria-label="Also train on the unlabeled images" />
        also train on the data set's other images, unlabeled (label propagation over the frozen foundation)</label>}
      {error && <div className="error-box small" role="alert">{error}</div>}
      <div><button className="primary" type="submit" disabled={busy || !dataChoice}>{busy ? "Queuing…" : "Start training"}</button></div>
    </form>
  );
}

/** A template is drawn for MNIST (1x28x28, 10 classes): it takes the chosen data set's image shape, and its last
 * Linear layer the data set's class count, so it trains on the images as they are and predicts only their classes. */
export function fitTemplate(net: NetworkSpec, fit: { shape?: number[]; classes?: number }): NetworkSpec {
  const last = net.outputs?.length ? -1 : net.nodes.length - 1;   // a chain: its last node is the output
  const nodes = net.nodes.map((n, i) => i === last && n.type === "Linear" && fit.classes
    ? { ...n, params: { ...n.params, out_features: fit.classes } } : n);
  return { ...net, nodes, input: fit.shape ? { ...net.input, shape: fit.shape } : net.input };
}
