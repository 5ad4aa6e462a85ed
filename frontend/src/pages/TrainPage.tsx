import { useState } from "react";
import { api, type RunRecord } from "../api/client";
import { useApi } from "../hooks/useApi";
import { type ServerEvent, useEvents } from "../hooks/useEvents";
import type { Navigate } from "../hooks/useHashRoute";
import LaunchForm from "../train/LaunchForm";
import PretrainForm from "../train/PretrainForm";
import RunDetail, { fmtEta } from "../train/RunDetail";

const KIND_LABEL: Record<string, string> = { pretrain: "pretraining, no labels", report: "report", evaluate: "evaluation", workflow: "workflow" };

export default function TrainPage({ param, navigate }: { param?: string; navigate: Navigate }) {
  const runs = useApi((signal) => api.GET("/api/runs", { signal }), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [mode, setMode] = useState<"supervised" | "ssl">("supervised");
  const launched = (r: RunRecord) => { setSelected(r.id); runs.reload(); };
  const id = selected ?? runs.data?.[0]?.id ?? null;
  const run = useApi(id ? (signal) => api.GET("/api/runs/{id}", { params: { path: { id } }, signal }) : null, [id]);
  const refresh = () => { runs.reload(); run.reload(); };
  // A `run` event carries the run's whole public record: patch it in place rather than reloading the list and the
  // run (a training run sends several a second; reloading on each made every open tab a request source).
  const onEvent = (e: ServerEvent) => {
    const { type, ...record } = e;
    if (type !== "run" || typeof record.id !== "string") return refresh();
    const updated = record as unknown as RunRecord;
    if (!(runs.data ?? []).some((r) => r.id === updated.id)) return runs.reload();
    runs.setData((list) => list && list.map((r) => (r.id === updated.id ? updated : r)));
    run.setData((current) => (current && current.id === updated.id ? updated : current));
  };
  useEvents(onEvent, () => {
    if ((runs.data ?? []).some((r) => r.status === "queued" || r.status === "running")) refresh();
  });

  return (
    <div className="page">
      <div className="page-head"><h1>Train</h1><span className="muted">Queue a run and watch it learn</span></div>
      <div className="card list" style={{ gap: 12 }}>
        <div className="page-head">
          <h2 style={{ margin: 0 }}>New run</h2>
          <div className="tabs" role="tablist" aria-label="What to train">
            <button role="tab" type="button" aria-selected={mode === "supervised"} onClick={() => setMode("supervised")}>Supervised (labels)</button>
            <button role="tab" type="button" aria-selected={mode === "ssl"} onClick={() => setMode("ssl")}>Self-supervised (no labels)</button>
          </div>
        </div>
        {mode === "supervised" ? <LaunchForm initialNetwork={param} onLaunched={launched} /> : <PretrainForm onLaunched={launched} />}
      </div>
      <div className="row">
        <div className="card" style={{ width: 340, flexShrink: 0 }}>
          <h2>Runs</h2>
          {runs.error && <div className="error-box small">{runs.error}</div>}
          {runs.data?.length === 0 && <div className="empty small"><strong>No runs yet</strong>Start one with the form above.</div>}
          <table><tbody>
            {(runs.data ?? []).map((r) => (
              <tr key={r.id} className={`clickable ${r.id === id ? "selected" : ""}`} onClick={() => setSelected(r.id)}>
                <td>{r.name ?? r.id}<div className="small muted">{r.kind && r.kind !== "train" ? `${KIND_LABEL[r.kind] ?? r.kind} · ` : ""}{r.created_at?.replace("T", " ").slice(0, 16)}</div></td>
                <td><span className={`badge ${r.status}`}>{r.status}</span>
                  {r.status === "running" && <div className="small muted">{Math.round((r.progress ?? 0) * 100)}% {fmtEta(r.eta)}</div>}</td>
              </tr>
            ))}
          </tbody></table>
        </div>
        <div className="grow" style={{ minWidth: 0 }}>
          {run.data && run.data.id === id ? <RunDetail run={run.data} onChanged={refresh} navigate={navigate} />
            : runs.data?.length ? <div className="empty">Select a run to see its curves.</div> : null}
        </div>
      </div>
    </div>
  );
}
