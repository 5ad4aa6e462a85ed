import { useState } from "react";
import { api, call, type ModelRecord, type RunRecord } from "../api/client";
import { useDataChoice } from "../train/pickers";
import { FoundationSelect, useFoundationPick, useLaunch } from "./launch";

const BUDGETS: (number | "all")[] = [1, 10, 100, "all"];

/** Pick a foundation, a target task and label budgets; queue the report (POST /api/reports). */
export default function ReportForm({ foundations, initial, onLaunched }:
  { foundations: ModelRecord[]; initial?: string; onLaunched: (r: RunRecord) => void }) {
  const [foundation, setPicked] = useFoundationPick(foundations, initial);
  const [data, setData] = useState("");
  const [limit, setLimit] = useState("");
  const [budgets, setBudgets] = useState<(number | "all")[]>([1, 10, 100]);
  const [head, setHead] = useState<"mlp" | "linear">("mlp");
  const [epochs, setEpochs] = useState("");
  const [semi, setSemi] = useState(false);
  const { busy, error, launch } = useLaunch(onLaunched);
  const { choice: dataChoice, options: dataOptions, refOf } = useDataChoice(data);

  if (foundations.length === 0) {
    return (
      <div className="empty"><strong>No foundations yet</strong>
        Pretrain one without labels in <a href="#/train">Train → Self-supervised</a>, or keep part of a trained
        model as a foundation in <a href="#/models">Models</a>. Then come back to measure what it buys.</div>
    );
  }

  const toggle = (b: number | "all") =>
    setBudgets(budgets.includes(b) ? budgets.filter((x) => x !== b) : BUDGETS.filter((x) => x === b || budgets.includes(x)));
  const start = launch(async () => {
    const n = Number(epochs);
    if (epochs && !(Number.isInteger(n) && n > 0)) throw new Error(`Epochs must be a whole number above 0 or empty for auto, found “${epochs}”.`);
    const target = refOf(limit);
    const body = { foundation, target, budgets, head, epochs: epochs ? n : ("auto" as const), seed: 0,
                   ...(semi ? { unlabeled: target } : {}) };
    return call(api.POST("/api/reports", { body }));
  });

  return (
    <form className="list" style={{ gap: 12 }} onSubmit={start} aria-label="New transfer report">
      <div className="form-grid" style={{ gridTemplateColumns: "2fr 1fr 1fr" }}>
        <FoundationSelect foundations={foundations} value={foundation} onChange={setPicked} label="Foundation" />
        <label className="field"><span>Target task</span>
          <select aria-label="Target data set" value={dataChoice} onChange={(e) => setData(e.target.value)}>{dataOptions}</select></label>
        <label className="field"><span>Samples (empty: all)</span>
          <input type="number" min="1" step="1" value={limit} onChange={(e) => setLimit(e.target.value)} placeholder="all"
                 aria-label="Target samples" title="Use only the first N images of the target's training and test sets" /></label>
      </div>
      <div className="page-head" style={{ alignItems: "flex-end" }}>
        <fieldset className="budgets" aria-label="Labels per class">
          <legend>Labels per class</legend>
          {BUDGETS.map((b) => (
            <label key={b} className="check"><input type="checkbox" checked={budgets.includes(b)} onChange={() => toggle(b)}
                                                   aria-label={b === "all" ? "all labels" : `${b} per class`} />{b}</label>
          ))}
        </fieldset>
        <label className="field"><span>Head</span>
          <select aria-label="Head" value={head} onChange={(e) => setHead(e.target.value as "mlp" | "linear")}>
            <option value="mlp">MLP (128 hidden units)</option><option value="linear">Linear</option>
          </select></label>
        <label className="field"><span>Epochs per training</span>
          <input type="number" min="1" step="1" value={epochs} onChange={(e) => setEpochs(e.target.value)} placeholder="auto"
                 aria-label="Epochs per training" title="auto: enough epochs for at least 300 optimizer steps" style={{ width: 140 }} /></label>
        <label className="check" title="The target's training images join each head's training without their labels: labels are spread from the labelled ones over the foundation's nearest-neighbour graph">
          <input type="checkbox" checked={semi} onChange={(e) => setSemi(e.target.checked)} aria-label="Also with unlabeled images" />
          also with the unlabeled images</label>
        <div className="grow" />
        <button className="primary" type="submit" disabled={busy || !dataChoice || budgets.length === 0}>{busy ? "Queuing…" : "Start report"}</button>
      </div>
      <p className="muted small" style={{ margin: 0 }}>
        For each budget, a new head is trained on the frozen foundation and the same network is trained from scratch,
        on the same labelled images; both are tested on the target's test split. With the unlabeled images, a third
        head also trains on the target's training images whose labels are propagated from the labelled ones.
      </p>
      {error && <div className="error-box small" role="alert">{error}</div>}
    </form>
  );
}
