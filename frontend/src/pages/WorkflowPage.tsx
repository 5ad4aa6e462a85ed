import { useCallback, useEffect, useState } from "react";
import { api, call, sent, type Workflow, type WorkflowRunRequest } from "../api/client";
import { useApi } from "../hooks/useApi";
import { useEvents } from "../hooks/useEvents";
import type { Navigate } from "../hooks/useHashRoute";
import { EMPTY_WORKFLOW } from "../workflow/document";
import { type StepStatus } from "../workflow/StepGraph";
import WorkflowEditor from "../workflow/WorkflowEditor";

/** The seed pipeline offered by "New from seed": the packaged example the server serves (graft/workflows/). */
const SEED = "mnist_transfer";

/** Step statuses of the workflow's last run: live per-step events, completed with the final report's results. */
function statusesOf(w: Workflow | null): StepStatus[] {
  const run = w?.last_run;
  if (!run) return [];
  const report = (run.result?.steps ?? []) as StepStatus[];
  const live = Object.entries(run.steps as Record<string, Partial<StepStatus>>)
    .map(([name, v]) => ({ name, kind: "", status: "pending", ...v }) as StepStatus);
  const names = [...new Set([...live.map((s) => s.name), ...report.map((s) => s.name)])];
  return names.map((n) => ({ ...live.find((s) => s.name === n), ...report.find((s) => s.name === n) }) as StepStatus);
}

/** Where a step's result lives in the workbench: by the kind the runner gives it, else by the id's prefix. */
function resultTarget(r: Record<string, unknown>): ["models" | "evaluate" | "train" | "data", string] | null {
  const source = r.source as Record<string, unknown> | undefined;
  const candidates = r.kind === "view" ? [source?.evaluation] : [r.id, r.evaluation_id, r.model_id, r.run_id, r.dataset_id];
  const wrong = r.kind === "view" && (r.filters as Record<string, unknown> | undefined)?.wrong === true;
  for (const v of candidates) {
    if (typeof v !== "string") continue;
    if (v.startsWith("ev-")) return ["evaluate", wrong ? `${v}:wrong` : v];   // the view's mistakes only
    if (v.startsWith("mdl-") || v.startsWith("fnd-")) return ["models", v];
    if (v.startsWith("run-")) return ["train", v];
    if (v.startsWith("ds-")) return ["data", v];
  }
  return null;
}

export default function WorkflowPage({ param, navigate }: { param?: string; navigate: Navigate }) {
  const list = useApi((signal) => api.GET("/api/workflows", { signal }), []);
  const draft = param === "new";   // a workflow begun on the canvas, not saved yet
  const id = draft ? null : param ?? list.data?.[0]?.id ?? null;
  const wf = useApi(id ? (signal) => api.GET("/api/workflows/{id}", { params: { path: { id } }, signal }) : null, [id]);
  const w = wf.data?.id === id ? wf.data : null;
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<StepStatus | null>(null);
  useEffect(() => setText(draft ? EMPTY_WORKFLOW : w?.yaml ?? ""), [draft, w?.id, w?.yaml]);
  const dirty = draft ? text !== EMPTY_WORKFLOW : !!w && text !== w.yaml;
  const statuses = statusesOf(w);
  const running = w?.last_run?.status === "running" || w?.last_run?.status === "queued";
  useEvents(() => wf.reload(), () => running && wf.reload());

  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try { await f(); } catch (e) { setError((e as Error).message); } finally { setBusy(false); wf.reload(); }
  };
  const create = () => act(async () => {
    const seed = await call(api.GET("/api/examples/{name}", { params: { path: { name: SEED } } }));
    const rec = await call(api.POST("/api/workflows", { body: { yaml: seed.yaml } }));
    list.reload();
    navigate("workflow", rec.id);
  });
  const put = (yaml: string) => call(api.PUT("/api/workflows/{id}", { params: { path: { id: id! } }, body: { yaml } }));
  /** Save the text (a draft is created, and opened by its new id); the id saved under. */
  const store = async (): Promise<string> => {
    if (!draft) { if (w && text !== w.yaml) await put(text); return id!; }
    const rec = await call(api.POST("/api/workflows", { body: { yaml: text } }));
    list.reload();
    navigate("workflow", rec.id);
    return rec.id;
  };
  const save = () => act(store);
  const run = useCallback((step?: string) => act(async () => {
    const at = await store();
    await call(api.POST("/api/workflows/{id}/run", { params: { path: { id: at } }, body: sent<WorkflowRunRequest>(step ? { step } : {}) }));
  }), [id, text, w, draft]); // eslint-disable-line react-hooks/exhaustive-deps
  const startNew = () => (!dirty || window.confirm("Drop the unsaved changes to this workflow?")) && navigate("workflow", "new");
  const open = useCallback((s: StepStatus) => {
    const t = s.result ? resultTarget(s.result) : null;
    if (t) navigate(t[0], t[1]); else setShown(s);
  }, [navigate]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Workflow</h1><span className="muted">A pipeline of steps: train, slice, graft, evaluate, view</span>
        <div className="grow" />
        <select aria-label="Open workflow" value={id ?? ""} onChange={(e) => (!dirty || window.confirm("Drop the unsaved changes to this workflow?")) && navigate("workflow", e.target.value)}>
          {draft && <option value="">(new, not saved)</option>}
          {(list.data ?? []).map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
        </select>
        <button onClick={startNew} disabled={busy} title="An empty workflow to build on the canvas">New</button>
        <button onClick={() => void create()} disabled={busy}>New from seed</button>
      </div>
      {list.error && <div className="error-box">{list.error}</div>}
      {error && <div className="error-box" role="alert">{error}</div>}
      {w?.last_run?.error && <div className="error-box" role="alert">Last run {w.last_run.status}: {w.last_run.error}</div>}
      {list.data?.length === 0 && !id && !draft && (
        <div className="empty"><strong>No workflows yet</strong>Create one from the seed pipeline (train a CNN, keep its
          features as a foundation, graft a new head, evaluate) with “New from seed”, or build one on the canvas with “New”.</div>
      )}
      {(w || draft) && (
        <>
          <div className="page-head">
            <h2 style={{ margin: 0 }}>{draft ? "New workflow" : w!.name}</h2><span className="muted small mono">{draft ? "not saved yet" : w!.id}</span>
            <div className="grow" />
            <button className="primary" disabled={busy || running} onClick={() => void run()}
                    title={dirty ? "Saves the workflow, then runs it" : undefined}>▶ Run all</button>
          </div>
          <WorkflowEditor text={text} setText={setText} workflowName={String((w?.document as { name?: unknown } | undefined)?.name ?? "my-workflow")}
                          statuses={statuses} busy={busy || running} dirty={dirty} onRun={(s) => void run(s)} onOpen={open}
                          onSave={() => void save()} />
          {shown && (
            <div className="card"><div className="page-head"><h2 style={{ margin: 0 }}>Step {shown.name}</h2><div className="grow" />
              <button className="ghost" onClick={() => setShown(null)}>Close</button></div>
              <pre className="mono small" style={{ overflow: "auto", maxHeight: 300 }}>{JSON.stringify(shown.result, null, 2)}</pre></div>
          )}
        </>
      )}
    </div>
  );
}
