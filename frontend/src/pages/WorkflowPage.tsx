import { useCallback, useEffect, useState } from "react";
import { asList, send } from "../api/http";
import type { StepStatus, WorkflowRecord } from "../api/types";
import { useApi } from "../hooks/useApi";
import { useEvents } from "../hooks/useEvents";
import type { Navigate } from "../hooks/useHashRoute";
import StepGraph from "../workflow/StepGraph";
import { SEED_WORKFLOW } from "../workflow/seed";

const toWorkflows = (raw: unknown) => asList<WorkflowRecord>(raw, "workflows");

/** Step statuses of the workflow's last run: live per-step events, completed with the final report's results. */
function statusesOf(w: WorkflowRecord | null): StepStatus[] {
  const run = w?.last_run;
  if (!run) return [];
  const report = run.result?.steps ?? [];
  const live = Object.entries(run.steps ?? {}).map(([name, v]) => ({ name, kind: "", status: "pending", ...v }) as StepStatus);
  const names = [...new Set([...live.map((s) => s.name), ...report.map((s) => s.name)])];
  return names.map((n) => ({ ...live.find((s) => s.name === n), ...report.find((s) => s.name === n) }) as StepStatus);
}

/** Where a step's result lives in the workbench: by the kind the runner gives it, else by the id's prefix. */
function resultTarget(r: Record<string, unknown>): ["models" | "evaluate" | "train" | "data", string] | null {
  const source = r.source as Record<string, unknown> | undefined;
  const candidates = r.kind === "view" ? [source?.evaluation] : [r.id, r.evaluation_id, r.model_id, r.run_id, r.dataset_id];
  for (const v of candidates) {
    if (typeof v !== "string") continue;
    if (v.startsWith("ev-")) return ["evaluate", v];
    if (v.startsWith("mdl-") || v.startsWith("fnd-")) return ["models", v];
    if (v.startsWith("run-")) return ["train", v];
    if (v.startsWith("ds-")) return ["data", v];
  }
  return null;
}

export default function WorkflowPage({ param, navigate }: { param?: string; navigate: Navigate }) {
  const list = useApi("/workflows", toWorkflows);
  const id = param ?? list.data?.[0]?.id ?? null;
  const wf = useApi<WorkflowRecord>(id ? `/workflows/${id}` : null);
  const w = wf.data?.id === id ? wf.data : null;
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<StepStatus | null>(null);
  useEffect(() => setText(w?.yaml ?? w?.text ?? ""), [w?.id, w?.yaml, w?.text]);
  const statuses = statusesOf(w);
  const running = w?.last_run?.status === "running" || w?.last_run?.status === "queued";
  useEvents(() => wf.reload(), () => running && wf.reload());

  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try { await f(); } catch (e) { setError((e as Error).message); } finally { setBusy(false); wf.reload(); }
  };
  const create = () => act(async () => {
    const rec = await send<WorkflowRecord>("POST", "/workflows", { yaml: SEED_WORKFLOW });
    list.reload();
    navigate("workflow", rec.id);
  });
  const save = () => act(() => send("PUT", `/workflows/${id}`, { yaml: text }));
  const run = useCallback((step?: string) => act(async () => {
    if (w && text !== (w.yaml ?? w.text)) await send("PUT", `/workflows/${id}`, { yaml: text });
    await send("POST", `/workflows/${id}/run`, step ? { step } : {});
  }), [id, text, w]); // eslint-disable-line react-hooks/exhaustive-deps
  const open = useCallback((s: StepStatus) => {
    const t = s.result ? resultTarget(s.result) : null;
    if (t) navigate(t[0], t[1]); else setShown(s);
  }, [navigate]);
  const steps = (w?.document ?? w?.parsed)?.steps ?? [];

  return (
    <div className="page">
      <div className="page-head">
        <h1>Workflow</h1><span className="muted">A pipeline of steps: train, slice, graft, evaluate, view</span>
        <div className="grow" />
        <select aria-label="Open workflow" value={id ?? ""} onChange={(e) => navigate("workflow", e.target.value)}>
          {(list.data ?? []).map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
        </select>
        <button onClick={() => void create()} disabled={busy}>New from seed</button>
      </div>
      {list.error && <div className="error-box">{list.error}</div>}
      {error && <div className="error-box" role="alert">{error}</div>}
      {w?.last_run?.error && <div className="error-box" role="alert">Last run {w.last_run.status}: {w.last_run.error}</div>}
      {list.data?.length === 0 && !id && (
        <div className="empty"><strong>No workflows yet</strong>Create one from the seed pipeline (train a CNN, keep its
          features as a foundation, graft a new head, evaluate) with “New from seed”.</div>
      )}
      {w && (
        <>
          <div className="page-head">
            <h2 style={{ margin: 0 }}>{w.name}</h2><span className="muted small mono">{w.id}</span>
            <div className="grow" />
            <button className="primary" disabled={busy || running} onClick={() => void run()}>▶ Run all</button>
          </div>
          <StepGraph steps={steps} statuses={statuses} busy={busy || running} onRun={(s) => void run(s)} onOpen={open} />
          {shown && (
            <div className="card"><div className="page-head"><h2 style={{ margin: 0 }}>Step {shown.name}</h2><div className="grow" />
              <button className="ghost" onClick={() => setShown(null)}>Close</button></div>
              <pre className="mono small" style={{ overflow: "auto", maxHeight: 300 }}>{JSON.stringify(shown.result, null, 2)}</pre></div>
          )}
          <div className="card list" style={{ gap: 8 }}>
            <div className="page-head"><h2 style={{ margin: 0 }}>Document (YAML)</h2><div className="grow" />
              <button onClick={() => void save()} disabled={busy || text === (w.yaml ?? w.text)}>Save</button></div>
            <textarea aria-label="Workflow YAML" rows={18} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
          </div>
        </>
      )}
    </div>
  );
}
