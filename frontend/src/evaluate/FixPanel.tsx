import { useState } from "react";
import { api, call, type EvaluationRecord, type RunRecord } from "../api/client";
import type { Navigate } from "../hooks/useHashRoute";

/** A planned edit of one sample: its right class, or left out of the training data. */
export type Edit = { label: string } | { exclude: true };
export const editText = (e: Edit) => ("label" in e ? `→ ${e.label}` : "left out");

const CELL_MAX = 1000;

/** Fix and retrain: relabel or leave out the picked samples, then train the same network on the new data version
 * (a run with progress) and open the comparison of the old and the new evaluation. */
export default function FixPanel({ ev, classes, cell, selected, setSelected, edits, setEdits, navigate }: {
  ev: EvaluationRecord; classes: string[]; cell: [number, number] | null;
  selected: Set<number>; setSelected: (s: Set<number>) => void;
  edits: Map<number, Edit>; setEdits: (e: Map<number, Edit>) => void; navigate: Navigate;
}) {
  const [label, setLabel] = useState("");
  const [epochs, setEpochs] = useState("");
  const [run, setRun] = useState<RunRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const split = (ev.data as { split?: string } | null)?.split ?? "test";
  const onTrain = split === "train" || split === "val";
  const target = label || (cell ? classes[cell[1]] : classes[0]) || "";
  const busy = run !== null && ["queued", "running"].includes(run.status);

  const apply = (edit: Edit) => {
    const next = new Map(edits);
    selected.forEach((i) => next.set(i, edit));
    setEdits(next);
    setSelected(new Set());
  };
  const pickCell = async () => {
    if (!cell) return;
    try {
      const page = await call(api.GET("/api/evaluations/{id}/samples", {
        params: { path: { id: ev.id }, query: { label: cell[0], pred: cell[1], limit: CELL_MAX } } }));
      setSelected(new Set([...selected, ...page.rows.map((r) => Number((r as { index: number }).index))]));
    } catch (e) { setError((e as Error).message); }
  };
  const retrain = async () => {
    setError(null);
    const n = Number(epochs);
    if (epochs && !(Number.isInteger(n) && n > 0)) { setError(`Epochs must be a whole number above 0, found “${epochs}”.`); return; }
    const relabel = [...edits].flatMap(([index, e]) => ("label" in e ? [{ index, label: e.label }] : []));
    const exclude = [...edits].flatMap(([index, e]) => ("exclude" in e ? [index] : []));
    try {
      let r = await call(api.POST("/api/retrain", { body: { evaluation: ev.id, relabel, exclude, ...(epochs ? { epochs: n } : {}) } }));
      setRun(r);
      while (["queued", "running"].includes(r.status)) {
        await new Promise((ok) => setTimeout(ok, 500));
        r = await call(api.GET("/api/runs/{id}", { params: { path: { id: r.id } } }));
        setRun(r);
      }
      if (r.status !== "done" || !r.evaluation_id) throw new Error(`Fix and retrain ${r.status}: ${r.error ?? "no result"}`);
      setEdits(new Map());
      navigate("evaluate", `compare:${ev.id}:${r.evaluation_id}`);
    } catch (e) { setError((e as Error).message); }
  };

  const pct = Math.round((run?.progress ?? 0) * 100);
  return (
    <div className="card list" style={{ gap: 8 }} aria-label="Fix and retrain">
      <div className="page-head" style={{ flexWrap: "wrap" }}>
        <h2 style={{ margin: 0 }}>Fix the data <span className="muted small">tick samples below, then relabel or leave them out</span></h2>
      </div>
      {!onTrain && <div className="note-box small" role="status">This evaluation ran on the {split} split. Mistakes to fix are
        in the data the model learned from: evaluate it on the <strong>train</strong> split, then fix and retrain from there.</div>}
      <div className="row" style={{ flexWrap: "wrap", alignItems: "flex-end", gap: 8 }}>
        <span className="small" data-testid="picked-count">{selected.size} picked</span>
        {cell && <button type="button" onClick={() => void pickCell()}>Pick all in this cell</button>}
        <button type="button" disabled={!selected.size} onClick={() => setSelected(new Set())}>Clear</button>
        <label className="field"><span>Right class</span>
          <select aria-label="Right class" value={target} onChange={(x) => setLabel(x.target.value)}>
            {classes.map((c) => <option key={c} value={c}>{c}</option>)}
          </select></label>
        <button type="button" disabled={!selected.size} onClick={() => apply({ label: target })}>Relabel picked</button>
        <button type="button" disabled={!selected.size} onClick={() => apply({ exclude: true })}>Leave picked out</button>
      </div>
      {edits.size > 0 && (
        <ul className="edit-list small" aria-label="Planned edits">
          {[...edits].sort((a, b) => a[0] - b[0]).map(([i, e]) => (
            <li key={i}><span className="mono">#{i}</span> {editText(e)}
              <button type="button" className="link" aria-label={`Undo edit of sample ${i}`} onClick={() => {
                const next = new Map(edits); next.delete(i); setEdits(next); }}>✕</button></li>))}
        </ul>)}
      <div className="row" style={{ alignItems: "flex-end", gap: 8 }}>
        <label className="field"><span>Epochs (empty: the model's own)</span>
          <input type="number" min="1" step="1" value={epochs} onChange={(x) => setEpochs(x.target.value)} placeholder="same"
                 aria-label="Retrain epochs" style={{ width: 120 }} /></label>
        <button className="primary" disabled={!edits.size || !onTrain || busy} onClick={() => void retrain()}>
          {busy ? "Retraining…" : `Fix and retrain (${edits.size} edit${edits.size === 1 ? "" : "s"})`}</button>
      </div>
      <div className="muted small">Makes a new version of the data set (this one stays as it is), trains the same network with the
        same settings and frozen foundation on it, and evaluates the new model on these samples.</div>
      {run && busy && (
        <div role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Retraining progress">
          <div className="small">{run.status === "queued" ? "Queued…" : pct >= 100 ? "Evaluating the new model…"
            : `Training ${run.epoch ? `epoch ${run.epoch} of ${run.epochs ?? "?"}` : "…"} ${pct}%`}</div>
          <div className="progress"><div style={{ width: `${pct}%` }} /></div>
        </div>)}
      {error && <div className="error-box small" role="alert">{error}</div>}
    </div>
  );
}
