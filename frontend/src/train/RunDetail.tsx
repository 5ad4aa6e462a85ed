import { api, cancelRun, resumeRun, type RunRecord } from "../api/client";
import { useApi } from "../hooks/useApi";
import type { Navigate } from "../hooks/useHashRoute";
import Curves, { type MetricPoint } from "./Curves";

export function fmtEta(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "";
  if (s < 60) return `${Math.round(s)} s left`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s left`;
}

/** One run: status, progress with time left, live curves, cancel or resume, and a link to its model. */
export default function RunDetail({ run, onChanged, navigate }: { run: RunRecord; onChanged: () => void; navigate: Navigate }) {
  const active = run.status === "queued" || run.status === "running";
  const foundation = run.kind === "pretrain";
  // a training run stopped before its end goes on from its last checkpoint (POST /api/runs/{id}/resume)
  const resumable = run.kind === "train" && ["interrupted", "failed", "cancelled"].includes(run.status) && !run.model_id;
  const epochs = (run.history as MetricPoint[]).map((p) => ({
    ...p, loss: p.loss ?? p.train_loss, accuracy: p.accuracy ?? p.train_accuracy,
  }));
  // within-epoch points draw the curve as it trains; the epoch rows add validation figures at their ends
  const points = run.curve.length
    ? [...(run.curve as MetricPoint[]), ...epochs.map((p) => ({ epoch: p.epoch, val_loss: p.val_loss, val_accuracy: p.val_accuracy }))]
        .sort((a, b) => (a.epoch ?? 0) - (b.epoch ?? 0))
    : epochs;
  const trainedModel = run.kind === "train" && run.model_id ? run.model_id : null;
  const model = useApi(trainedModel ? (signal) => api.GET("/api/models/{id}", { params: { path: { id: trainedModel } }, signal }) : null, [trainedModel]);
  const cache = model.data?.id === trainedModel ? (model.data?.metrics as Record<string, unknown> | undefined)?.feature_cache : undefined;
  const pct = Math.round((run.progress ?? (run.status === "done" ? 1 : 0)) * 100);
  return (
    <div className="card list" style={{ gap: 10 }}>
      <div className="page-head">
        <h2 style={{ margin: 0 }}>{run.name ?? run.id}</h2>
        <span className={`badge ${run.status}`}>{run.status}</span>
        <span className="muted small mono">{run.id}</span>
        <div className="grow" />
        {active && <button className="danger" onClick={() => cancelRun(run.id).then(onChanged, onChanged)}>Cancel run</button>}
        {resumable && <button className="primary" onClick={() => resumeRun(run.id).then(onChanged, onChanged)}
          title="Go on from the last checkpoint">Resume</button>}
        {run.model_id && <button onClick={() => navigate("models", run.model_id!)}>{foundation ? "Open foundation →" : "Open model →"}</button>}
        {run.model_id && !foundation && <button onClick={() => navigate("evaluate", run.model_id!)}>Evaluate →</button>}
        {run.model_id && foundation && <button onClick={() => navigate("reports", `new:${run.model_id}`)}>Transfer report →</button>}
        {run.evaluation_id && <button onClick={() => navigate("evaluate", run.evaluation_id!)}>Open evaluation →</button>}
        {run.report_id && <button onClick={() => navigate("reports", run.report_id!)}>Open report →</button>}
      </div>
      <div role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Training progress">
        <div className="progress"><div style={{ width: `${pct}%` }} /></div>
        <div className="small muted">{pct}%{run.epochs ? ` · epoch ${run.epoch ?? 0} of ${run.epochs}` : ""}{run.stage && active ? ` · ${run.stage}` : ""}{active && fmtEta(run.eta) ? ` · ${fmtEta(run.eta)}` : ""}</div>
      </div>
      {run.status === "cancelled" ? <div className="note-box small" role="status">Cancelled: nothing was registered.</div>
        : run.error && <div className="error-box small" role="alert">{run.error}</div>}
      {(cache === "hit" || cache === "miss") && <div className="small muted" data-testid="run-cached-features">
        The head trained on cached features: the frozen foundation ran {cache === "hit" ? "earlier" : "once"} over the data, and each epoch read its stored outputs.</div>}
      {foundation && <div className="small muted">Self-supervised ({String(run.request?.objective ?? "")}): the loss is the objective's, not a classification loss; there is no accuracy until a head is trained.</div>}
      {run.kind === "workflow" && (
        // a workflow's steps are runs of their own, listed beside it with their curves
        <div className="row" style={{ gap: 6, flexWrap: "wrap" }} aria-label="Workflow steps">
          {Object.entries(run.steps as Record<string, { status?: string }>).map(([name, s]) => (
            <span key={name} className={`badge ${s.status ?? ""}`}>{name}: {s.status}</span>))}
        </div>)}
      {run.kind !== "report" && run.kind !== "workflow" && <Curves points={points} />}
    </div>
  );
}
