import { useEffect, useState } from "react";
import { api, call, waitForRun } from "../api/client";
import CompareView from "../evaluate/CompareView";
import ConfusionMatrix from "../evaluate/ConfusionMatrix";
import FixPanel, { editText, type Edit } from "../evaluate/FixPanel";
import ResultTables, { perClassOf } from "../evaluate/ResultTables";
import Pager, { usePage } from "../evaluate/Pager";
import SampleTable from "../evaluate/SampleTable";
import { useApi } from "../hooks/useApi";
import type { Navigate } from "../hooks/useHashRoute";
import { describeRef, loadViews, type DataRef } from "../lib/dataRefs";
import { isClassifier } from "../lib/models";

const PAST_PAGE = 20;

/** A head's test set: its task's data on the test split, without the training subsets (per_class, limit) but with
 *  what defines the task (relabel, keep_classes). */
export function headTestRef(ref: DataRef): DataRef {
  const transforms = (ref.transforms ?? []).filter((t) => !("per_class" in t) && !("limit" in t));
  const { val_fraction: _val, ...rest } = ref as DataRef & { val_fraction?: number };
  return { ...rest, transforms, split: "test" };
}

export default function EvaluatePage({ param, navigate }: { param?: string; navigate: Navigate }) {
  const models = useApi((signal) => api.GET("/api/models", { signal }), []);
  const datasets = useApi((signal) => api.GET("/api/datasets", { signal }), []);
  const views = loadViews();
  // `ev-…:wrong` opens an evaluation with only its mistakes listed (a workflow's view step with `wrong: true`)
  // `compare:ev-a:ev-b` shows two evaluations side by side
  const [target, option, other] = (param ?? "").split(":");
  const comparing = target === "compare" && option?.startsWith("ev-") && other?.startsWith("ev-") ? [option, other] : null;
  const evalId = target.startsWith("ev-") ? target : null;
  const [modelId, setModelId] = useState(target && !evalId ? target : "");
  const [data, setData] = useState("");
  const [head, setHead] = useState("");
  const [limit, setLimit] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [cell, setCell] = useState<[number, number] | null>(null);
  const [split, setSplit] = useState<"test" | "train">("test");
  const [picked, setPicked] = useState<Set<number>>(new Set());
  const [edits, setEdits] = useState<Map<number, Edit>>(new Map());
  const [toCompare, setToCompare] = useState<string[]>([]);
  useEffect(() => { setPicked(new Set()); setEdits(new Map()); setCell(null); }, [evalId]);
  const ev = useApi(evalId ? (signal) => api.GET("/api/evaluations/{id}", { params: { path: { id: evalId } }, signal }) : null, [evalId]);
  const past = useApi(evalId || comparing ? null : (signal) => api.GET("/api/evaluations", { signal }), [comparing?.join()]);
  // only classifiers: a foundation's output is features, not one score per class
  const trained = (models.data ?? []).filter(isClassifier);
  const refused = (models.data ?? []).find((m) => m.id === modelId && !isClassifier(m));
  const shownModel = ev.data?.id === evalId ? ev.data?.model_id : undefined;
  const model = (refused ? "" : modelId) || shownModel || trained[0]?.id || "";
  const pastPage = usePage(past.data?.length ?? 0, PAST_PAGE);
  // a model with several heads: evaluate one (its task's data, test split, is offered as the test set)
  const chosen = (models.data ?? []).find((m) => m.id === model);
  const outputs = chosen?.outputs ?? [];
  const output = outputs.length > 1 ? (outputs.includes(head) ? head : outputs[0]) : "";
  const task = (chosen?.tasks ?? []).find((t) => t.output === output);
  const taskRef = task ? headTestRef(task.data as DataRef) : null;
  const dataChoice = data || (taskRef ? `task:${output}` : datasets.data?.[0] ? `ds:${datasets.data[0].id}` : "");

  const run = async () => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const ref: DataRef = dataChoice.startsWith("task:") && taskRef ? { ...taskRef, split }
        : dataChoice.startsWith("view:")
        ? { ...views.find((v) => v.name === dataChoice.slice(5))!.ref, split }
        : { dataset: dataChoice.slice(3), split };
      const n = Number(limit);
      if (limit && !(Number.isInteger(n) && n > 0)) throw new Error(`Samples must be a whole number above 0, found “${limit}”.`);
      if (limit) ref.transforms = [...(ref.transforms ?? []), { limit: n }];
      const job = await call(api.POST("/api/evaluations", { body: { model, data: ref, ...(output ? { output } : {}) } }));
      const done = await waitForRun(job.id);
      if (done.status === "cancelled") { setNote("Evaluation cancelled."); return; }
      if (!done.evaluation_id) throw new Error(`Evaluation ${done.status}: ${done.error ?? "no result"}`);
      setCell(null);
      setPicked(new Set());
      setEdits(new Map());
      navigate("evaluate", done.evaluation_id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const e = ev.data?.id === evalId ? ev.data : null;
  const classes = e ? (e.classes.length ? e.classes : perClassOf(e).map((c) => c.class)) : [];
  return (
    <div className="page">
      <div className="page-head"><h1>Evaluate</h1><span className="muted">Test a model and look at what it gets wrong</span></div>
      <div className="card page-head" aria-label="New evaluation">
        <label className="field"><span>Model</span>
          <select aria-label="Model" value={model} onChange={(x) => { setModelId(x.target.value); setData(""); }} style={{ minWidth: 220 }}>
            {trained.length === 0 && <option value="">{models.data ? "No trained models yet" : "Loading…"}</option>}
            {trained.map((m) => <option key={m.id} value={m.id}>{m.name} ({m.id})</option>)}
          </select></label>
        {outputs.length > 1 && <label className="field"><span>Head</span>
          <select aria-label="Head" value={output} onChange={(x) => { setHead(x.target.value); setData(""); }} style={{ minWidth: 140 }}>
            {outputs.map((o) => {
              const t = (chosen?.tasks ?? []).find((x) => x.output === o);
              return <option key={o} value={o}>{t && t.name !== o ? `${t.name} (${o})` : o}</option>;
            })}
          </select></label>}
        <label className="field"><span>Data set</span>
          <select aria-label="Test set" value={dataChoice} onChange={(x) => setData(x.target.value)} style={{ minWidth: 200 }}>
            {taskRef && <option value={`task:${output}`}>{`${task!.name}'s data: ${describeRef(taskRef)}`}</option>}
            {(datasets.data ?? []).map((d) => <option key={d.id} value={`ds:${d.id}`}>{d.name}</option>)}
            {views.map((v) => <option key={v.name} value={`view:${v.name}`}>{v.name} ({describeRef(v.ref)})</option>)}
          </select></label>
        <label className="field"><span>Split</span>
          <select aria-label="Split" value={split} onChange={(x) => setSplit(x.target.value as "test" | "train")}>
            <option value="test">test</option><option value="train">train (find mislabelled training images)</option>
          </select></label>
        <label className="field"><span>Samples (empty: all)</span>
          <input type="number" min="1" step="1" value={limit} onChange={(x) => setLimit(x.target.value)} placeholder="all"
                 aria-label="Test samples" style={{ width: 120 }} /></label>
        <button className="primary" style={{ alignSelf: "flex-end" }} disabled={!model || !dataChoice || busy} onClick={() => void run()}>
          {busy ? "Evaluating… (queued in a worker)" : "Run evaluation"}</button>
      </div>
      {refused && <div className="note-box" role="status">{refused.name} ({refused.id}) is {refused.kind === "foundation"
        ? "a foundation: a feature extractor whose output is features, not one score per class" : `not a classifier (output shape ${JSON.stringify(refused.output_shape)})`}.
        Graft a head on it in <a href={`#/models/${refused.id}`}>Models</a> and train that to evaluate it.</div>}
      {note && <div className="note-box" role="status">{note}</div>}
      {error && <div className="error-box" role="alert">{error}</div>}
      {ev.error && <div className="error-box">{ev.error}</div>}
      {comparing && <CompareView a={comparing[0]} b={comparing[1]} />}
      {!evalId && !comparing && (past.data?.length ? (
        <div className="card" style={{ padding: 0, maxHeight: 460, overflow: "auto" }}>
          <div className="row" style={{ padding: 8, alignItems: "center" }}>
            {pastPage.pages > 1 && <Pager {...pastPage} label="past" />}
            <div className="grow" />
            <span className="small muted">{toCompare.length}/2 ticked</span>
            <button type="button" disabled={toCompare.length !== 2} onClick={() => navigate("evaluate", `compare:${toCompare[0]}:${toCompare[1]}`)}>
              Compare the two ticked</button>
          </div>
          <table aria-label="Past evaluations">
            <thead><tr><th aria-label="Compare" /><th>Past evaluations: click one to open it</th><th>Data</th><th className="num">Total</th><th className="num">Hit</th><th className="num">Accuracy</th><th>Created</th></tr></thead>
            <tbody>{past.data.slice(pastPage.start, pastPage.end).map((x) => (
              <tr key={x.id} className="clickable" onClick={() => navigate("evaluate", x.id)}>
                <td onClick={(c) => c.stopPropagation()}><input type="checkbox" aria-label={`Compare ${x.id}`} checked={toCompare.includes(x.id)}
                  onChange={() => setToCompare(toCompare.includes(x.id) ? toCompare.filter((y) => y !== x.id) : [...toCompare.slice(-1), x.id])} /></td>
                <td><strong>{x.name || x.model_id}</strong> <span className="muted small mono">{x.id}</span></td>
                <td className="small">{x.data ? describeRef(x.data as unknown as DataRef) : "—"}</td>
                <td className="num">{x.total}</td><td className="num">{x.hit}</td>
                <td className="num">{typeof x.accuracy === "number" ? `${(x.accuracy * 100).toFixed(2)}%` : "—"}</td>
                <td className="small">{x.created_at?.replace("T", " ").slice(0, 16)}</td>
              </tr>))}</tbody>
          </table>
        </div>
      ) : (
        <div className="empty"><strong>No evaluation yet</strong>{trained.length ? "Pick a model and a test set above, then press Run evaluation."
          : <>Train a model first in <a href="#/train">Train</a>, or run the <a href="#/workflow">Workflow</a>.</>}</div>
      ))}
      {e && (
        <>
          <div className="small muted">Evaluation <span className="mono">{e.id}</span> of model <a href={`#/models/${e.model_id}`}>{e.model_id}</a>{e.output && <>, head <strong className="mono">{e.output}</strong></>}</div>
          <ResultTables ev={e} />
          <div className="row" style={{ alignItems: "flex-start" }}>
            <ConfusionMatrix matrix={e.confusion} classes={classes} selected={cell} onSelect={setCell} />
            <div className="grow list" style={{ minWidth: 0, gap: 12 }}>
              <FixPanel ev={e} classes={classes} cell={cell} selected={picked} setSelected={setPicked} edits={edits} setEdits={setEdits} navigate={navigate} />
              <SampleTable key={`${e.id}:${option ?? ""}`} evalId={e.id} classes={classes} cell={cell} initialWrong={option === "wrong"}
                picking={{ selected: picked, edits: new Map([...edits].map(([i, x]) => [i, editText(x)])),
                           toggle: (i) => { const n = new Set(picked); if (n.has(i)) n.delete(i); else n.add(i); setPicked(n); } }} />
            </div>
          </div>
        </>
      )}
    </div>
  );
}
