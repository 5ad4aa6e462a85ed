import { useEffect, useMemo, useRef, useState } from "react";
import { api, call, cancelRun, type ModelDetail, type RunRecord } from "../api/client";
import { defaultsOf } from "../api/defaults";
import type { components } from "../api/schema";
import { useApi } from "../hooks/useApi";
import { labelColour, RIGHT, WRONG, type Pt } from "./lasso";
import Scatter from "./Scatter";
import "./embedding.css";

type Embedding = components["schemas"]["EmbeddingRecord"];
type Summary = components["schemas"]["EmbeddingSummary"];
type Method = "pca" | "tsne";
const DEFAULTS = defaultsOf("EmbedRequest");
const SHOWN = 120;     // images of a selection shown at once (more on request)

const imageUrl = (id: string, point: number, scale = 2) => `/api/embeddings/${id}/images/${point}.png?scale=${scale}`;

function trainedOn(m: ModelDetail): string | null {
  const d = m.dataset as { dataset?: unknown } | string | null | undefined;
  const name = typeof d === "string" ? d : d?.dataset;
  return typeof name === "string" ? name : null;
}

/** The stored map of this model, data set and method at the default size and seed, if there is one. */
const matching = (list: Summary[], dataset: string, method: Method) =>
  list.find((s) => s.method === method && s.data?.dataset === dataset && s.limit === DEFAULTS.limit
    && s.seed === DEFAULTS.seed && !(s.data?.transforms as unknown[] | undefined)?.length);

function RunLine({ run, onCancel }: { run: RunRecord; onCancel: () => void }) {
  const pct = Math.round((run.progress ?? 0) * 100);
  const active = run.status === "queued" || run.status === "running";
  return (
    <div className="list" style={{ gap: 6 }} aria-label="Embedding run">
      <div className="page-head">
        <span className={`badge ${run.status}`}>{run.status}</span>
        <span className="small muted">{run.status === "queued" ? "waiting for a worker" : run.stage ?? "starting"}</span>
        <div className="grow" />
        {active && <button className="danger" onClick={onCancel}>Cancel</button>}
      </div>
      {active && <div role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Embedding progress">
        <div className={`progress ${run.status === "queued" ? "indeterminate" : ""}`}><div style={{ width: `${pct}%` }} /></div></div>}
      {run.error && run.status !== "cancelled" && <div className="error-box small" role="alert">{run.error}</div>}
    </div>
  );
}

/** Edge Impulse's feature explorer for a model the user cut: what it outputs on a data set, as a 2-D map. */
export default function EmbeddingView({ model }: { model: ModelDetail }) {
  const datasets = useApi((signal) => api.GET("/api/datasets", { signal }), []);
  const [dataset, setDataset] = useState<string>(trainedOn(model) ?? "mnist");
  const [method, setMethod] = useState<Method>((DEFAULTS.method as Method) ?? "pca");
  const [colourBy, setColourBy] = useState<"label" | "correct">("label");
  const list = useApi((signal) => api.GET("/api/embeddings", { params: { query: { model: model.id } }, signal }), [model.id]);
  const found = list.data ? matching(list.data, dataset, method) : undefined;
  const emb = useApi(found ? (signal) => api.GET("/api/embeddings/{id}", { params: { path: { id: found.id } }, signal }) : null, [found?.id]);
  const doc: Embedding | null = emb.data && emb.data.id === found?.id ? emb.data : null;
  const [run, setRun] = useState<RunRecord | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const asked = useRef(new Set<string>());
  const [selected, setSelected] = useState<number[]>([]);
  const [shown, setShown] = useState(SHOWN);
  const [hover, setHover] = useState<{ point: number; at: Pt } | null>(null);
  const key = `${dataset}|${method}`;

  // No stored map for this choice: compute it (once per choice; a cancelled one waits for the button).
  const start = () => {
    asked.current.add(key);
    setStartError(null);
    call(api.POST("/api/embeddings", { body: { model: model.id, data: dataset, method } as never }))
      .then(setRun, (e: Error) => setStartError(e.message));
  };
  const reloadList = list.reload;
  useEffect(() => {
    if (list.data && !found && !asked.current.has(key) && !(run && ["queued", "running"].includes(run.status))) start();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [list.data, found, key]);

  // Follow the run until it ends, then open what it stored.
  useEffect(() => {
    if (!run || !["queued", "running"].includes(run.status)) return;
    const timer = window.setTimeout(() => {
      call(api.GET("/api/runs/{id}", { params: { path: { id: run.id } } })).then((r) => {
        setRun(r);
        if (r.status === "done") reloadList();
      }, (e: Error) => setStartError(e.message));
    }, 400);
    return () => window.clearTimeout(timer);
  }, [run, reloadList]);

  useEffect(() => { setSelected([]); setShown(SHOWN); setHover(null); }, [doc?.id]);

  const canJudge = !!doc?.preds;
  const by = canJudge ? colourBy : "label";
  const points = useMemo(() => (doc?.points ?? []) as Pt[], [doc]);
  const colours = useMemo(() => {
    if (!doc) return [];
    if (by === "correct") return doc.labels.map((y, i) => (doc.preds![i] === y ? RIGHT : WRONG));
    return doc.labels.map((y) => labelColour(y, doc.classes.length));
  }, [doc, by]);
  const selectedSet = useMemo(() => new Set(selected), [selected]);
  const nameOf = (y: number) => doc?.classes[y] ?? String(y);
  const legend = useMemo(() => {
    if (!doc) return [];
    if (by === "correct") {
      const right = doc.labels.filter((y, i) => doc.preds![i] === y).length;
      return [{ colour: RIGHT, text: "right", count: right }, { colour: WRONG, text: "wrong", count: doc.labels.length - right }];
    }
    const counts = new Map<number, number>();
    doc.labels.forEach((y) => counts.set(y, (counts.get(y) ?? 0) + 1));
    return [...counts.entries()].sort((a, b) => a[0] - b[0])
      .map(([y, n]) => ({ colour: labelColour(y, doc.classes.length), text: nameOf(y), count: n }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [doc, by]);
  const caption = (i: number) => {
    if (!doc) return "";
    const y = doc.labels[i];
    const p = doc.preds?.[i];
    return p === undefined || p === y ? nameOf(y) : `${nameOf(y)} → ${nameOf(p)}`;
  };

  return (
    <div className="card list" style={{ gap: 10 }} aria-label="Embedding">
      <div className="page-head">
        <h2 style={{ margin: 0 }}>Embedding</h2>
        <span className="muted small">what {model.name} {model.kind === "foundation" ? "outputs" : "feeds its last layer"} on a data set, as a 2-D map</span>
        <div className="grow" />
        <label className="small">Data set{" "}
          <select aria-label="Embedding data set" value={dataset} onChange={(e) => setDataset(e.target.value)}>
            {!(datasets.data ?? []).some((d) => d.id === dataset) && <option value={dataset}>{dataset}</option>}
            {(datasets.data ?? []).map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select></label>
        <div className="segmented" role="group" aria-label="Projection">
          {(["pca", "tsne"] as Method[]).map((m) => (
            <button key={m} className={m === method ? "active" : "ghost"} aria-pressed={m === method}
              onClick={() => setMethod(m)} title={m === "pca" ? "linear: the two directions of most variance (instant)"
                : "t-SNE: keeps neighbours together (slower, tens of seconds)"}>{m === "pca" ? "PCA" : "t-SNE"}</button>))}
        </div>
        {canJudge && (
          <label className="small">Colour by{" "}
            <select aria-label="Colour by" value={colourBy} onChange={(e) => setColourBy(e.target.value as "label" | "correct")}>
              <option value="label">label</option><option value="correct">right / wrong</option>
            </select></label>)}
      </div>
      {list.error && <div className="error-box small">{list.error}</div>}
      {startError && <div className="error-box small" role="alert">{startError}</div>}
      {!found && run && <RunLine run={run} onCancel={() => cancelRun(run.id).then(setRun, (e: Error) => setStartError(e.message))} />}
      {!found && run && !["queued", "running"].includes(run.status) && run.status !== "done" &&
        <div><button onClick={start}>Compute the {method === "pca" ? "PCA" : "t-SNE"} map again</button></div>}
      {emb.error && <div className="error-box small">{emb.error}</div>}
      {doc && (
        <>
          <div className="small muted" data-testid="embedding-facts">
            {doc.method === "pca" ? "PCA" : "t-SNE"} of {doc.n} of {doc.total} images of {String(doc.data.dataset)} ({String(doc.data.split)}):
            {" "}{doc.feature}, {doc.feature_dim} values per image
            {doc.explained && ` · axes explain ${doc.explained.map((v) => `${(v * 100).toFixed(1)}%`).join(" and ")} of the variance`}
            {" "}· drag to lasso a group, click a point to pick it
          </div>
          <div className="legend" aria-label="Legend">
            {legend.map((l) => <span key={l.text} className="legend-item"><i style={{ background: l.colour }} />{l.text} <span className="muted">{l.count}</span></span>)}
          </div>
          <div className="embed-layout">
            <div style={{ position: "relative", minWidth: 0 }}>
              <Scatter points={points} colours={colours} selected={selectedSet}
                onHover={(point, at) => setHover(point >= 0 && at ? { point, at } : null)}
                onSelect={(s) => { setSelected(s); setShown(SHOWN); }} />
              {hover && (
                <div className="embed-tip" role="tooltip" style={{ left: hover.at[0] + 14, top: hover.at[1] + 14 }}>
                  <img className="sample" src={imageUrl(doc.id, hover.point, 3)} alt={`image ${doc.indices[hover.point]}`} />
                  <div><strong>{caption(hover.point)}</strong></div>
                  <div className="muted small">image {doc.indices[hover.point]}{doc.preds && (doc.preds[hover.point] === doc.labels[hover.point] ? " · right" : " · wrong")}</div>
                </div>)}
            </div>
            <div className="list embed-side" style={{ gap: 8 }} aria-label="Selected images">
              {selected.length === 0 ? <div className="empty small">Drag around a group of points to see its images here.</div> : <>
                <div className="page-head">
                  <strong>{selected.length} selected</strong>
                  {doc.preds && <span className="muted small">{selected.filter((i) => doc.preds![i] !== doc.labels[i]).length} wrong</span>}
                  <div className="grow" /><button className="ghost" onClick={() => setSelected([])}>Clear</button>
                </div>
                <div className="grid-images">
                  {selected.slice(0, shown).map((i) => (
                    <figure key={i} className={doc.preds && doc.preds[i] !== doc.labels[i] ? "wrong" : undefined}>
                      <img src={imageUrl(doc.id, i)} alt={`image ${doc.indices[i]}: ${caption(i)}`} loading="lazy" />
                      <figcaption>{caption(i)}</figcaption>
                    </figure>))}
                </div>
                {selected.length > shown && <div><button className="ghost" onClick={() => setShown(shown + SHOWN)}>Show {Math.min(SHOWN, selected.length - shown)} more of {selected.length - shown}</button></div>}
              </>}
            </div>
          </div>
        </>
      )}
    </div>
  );
}
