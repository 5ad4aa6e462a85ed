import { useState } from "react";
import { api, type ModelRecord } from "../api/client";
import { fmtCount } from "../design/convert";
import { useApi } from "../hooks/useApi";
import type { Navigate } from "../hooks/useHashRoute";
import LineageGraph from "../models/LineageGraph";
import { ExportButtons, ImportPackage } from "../models/ShareBar";
import ImportOnnx from "../models/ImportOnnx";
import ModelGraph from "../models/ModelGraph";
import ModelFacts from "../models/ModelFacts";
import FoundationsCatalogue from "../models/FoundationsCatalogue";
import Markdown from "../lib/markdown";
import EmbeddingView from "../embedding/EmbeddingView";
import { accuracyLabel, isClassifier } from "../lib/models";

function datasetOf(r: ModelRecord): string {
  const d = r.dataset;
  return d ? String(d.dataset ?? JSON.stringify(d)) : "—";
}
const pct = (v: number | null | undefined) => (typeof v === "number" ? `${(v * 100).toFixed(2)}%` : "—");

const CATALOGUE = "foundations";

function ModelsTabs({ catalogue, navigate }: { catalogue: boolean; navigate: Navigate }) {
  return (
    <div className="tabs" role="tablist" aria-label="Models view">
      <button role="tab" type="button" aria-selected={!catalogue} onClick={() => navigate("models")}>Registry</button>
      <button role="tab" type="button" aria-selected={catalogue} onClick={() => navigate("models", CATALOGUE)}>Foundations catalogue</button>
    </div>
  );
}

export default function ModelsPage({ param, navigate }: { param?: string; navigate: Navigate }) {
  if (param === CATALOGUE) {
    return (
      <div className="page">
        <div className="page-head"><h1>Models</h1><span className="muted">Each foundation, the models and tasks on it, and whether they run on its exact weights</span>
          <div className="grow" /><ModelsTabs catalogue navigate={navigate} /></div>
        <FoundationsCatalogue navigate={navigate} />
      </div>
    );
  }
  return <Registry param={param} navigate={navigate} />;
}

function Registry({ param, navigate }: { param?: string; navigate: Navigate }) {
  const models = useApi((signal) => api.GET("/api/models", { signal }), []);
  // `#/models/ID/embedding` opens the model's embedding view in place of its network and lineage
  const embedding = param?.endsWith("/embedding") ?? false;
  const id = (embedding ? param!.slice(0, -"/embedding".length) : param) ?? null;
  const model = useApi(id ? (signal) => api.GET("/api/models/{id}", { params: { path: { id } }, signal }) : null, [id]);
  const lineage = useApi(id ? (signal) => api.GET("/api/models/{id}/lineage", { params: { path: { id } }, signal }) : null, [id]);
  const [cardOf, setCardOf] = useState<string | null>(null);
  const card = useApi(cardOf && cardOf === id
    ? (signal) => api.GET("/api/models/{id}/card", { params: { path: { id: cardOf } }, parseAs: "text", signal }) : null, [cardOf, id]);
  const m = model.data?.id === id ? model.data : null;
  const parentName = (r: ModelRecord) => {
    const p = r.parent_id;
    return p ? models.data?.find((x) => x.id === p)?.name ?? <span className="mono">{p}</span> : "—";
  };
  const opened = (x: ModelRecord) => { models.reload(); navigate("models", x.id); };

  return (
    <div className="page">
      <div className="page-head"><h1>Models</h1><span className="muted">Trained models and foundations</span>
        <div className="grow" /><ModelsTabs catalogue={false} navigate={navigate} /><ImportOnnx onImported={opened} /><ImportPackage onImported={opened} /></div>
      <div className="card" style={{ maxHeight: id ? 200 : 400, overflow: "auto", padding: 0 }}>
        {models.error && <div className="error-box">{models.error}</div>}
        {models.data?.length === 0 ? (
          <div className="empty" style={{ margin: 16 }}><strong>No models yet</strong>Train a network in <a href="#/train">Train</a> or run a <a href="#/workflow">Workflow</a>.</div>
        ) : (
          <table aria-label="Model registry">
            <thead><tr><th>Name</th><th>Kind</th><th>Data set</th><th className="num">Accuracy</th><th className="num">Params</th><th>Created</th><th>Parent</th></tr></thead>
            <tbody>
              {(models.data ?? []).map((r) => (
                <tr key={r.id} className={`clickable ${r.id === id ? "selected" : ""}`} onClick={() => navigate("models", r.id)}>
                  <td><strong>{r.name}</strong> <span className="muted small mono">{r.id}</span></td>
                  <td>{r.kind === "foundation" ? <span className="badge">◆ foundation</span> : "model"}</td>
                  <td>{datasetOf(r)}</td><td className="num" data-testid={`accuracy-${r.id}`}
                    title={r.kind === "foundation" ? "a foundation has no classifier of its own"
                      : r.accuracy_source === "test" ? "accuracy of its newest evaluation on a test split"
                      : r.accuracy_source === "train" ? "mean accuracy over the last training epoch, while the weights moved; evaluate it for the test figure" : undefined}>
                    {r.kind === "foundation" ? "—" : <>{pct(r.accuracy)} {r.accuracy_source && <span className="muted small">{accuracyLabel(r.accuracy_source)}</span>}</>}</td>
                  <td className="num">{fmtCount(r.params)}</td><td className="small">{r.created_at?.replace("T", " ").slice(0, 16)}</td>
                  <td className="small">{parentName(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {!id && (models.data?.length ?? 0) > 0 && <div className="empty">Select a model to see its lineage and network.</div>}
      {model.error && <div className="error-box">{model.error}</div>}
      {m && (
        <>
          <div className="page-head">
            <h2 style={{ margin: 0 }}>{m.name}</h2>
            <span className="muted small mono">{m.id}</span>
            <div className="grow" />
            {isClassifier(m) ? <button onClick={() => navigate("evaluate", m.id)}>Evaluate →</button>
              : <span className="muted small" title="evaluation needs one score per class">a foundation: graft a head on it to evaluate</span>}
            {m.spec && (embedding ? <button onClick={() => navigate("models", m.id)}>← Network</button>
              : <button onClick={() => navigate("models", `${m.id}/embedding`)}
                  title="what it outputs on a data set, as a 2-D map (PCA or t-SNE)">Embedding →</button>)}
            <ExportButtons model={m} onCard={() => setCardOf(cardOf === m.id ? null : m.id)} />
          </div>
          {cardOf === m.id && (
            <div className="card" aria-label="Model card">
              <div className="page-head"><h2 style={{ margin: 0 }}>Model card</h2><div className="grow" />
                <button className="ghost" onClick={() => setCardOf(null)}>Close</button></div>
              {card.error && <div className="error-box small">{card.error}</div>}
              <div style={{ maxHeight: 420, overflow: "auto" }}>{card.data ? <Markdown text={card.data} /> : "Loading…"}</div>
            </div>
          )}
          {embedding ? <EmbeddingView key={m.id} model={m} /> : <>
          <ModelFacts model={m} />
          {m.spec ? <ModelGraph key={m.id} model={m} onSliced={opened} />
            : <div className="empty">This record carries no network.</div>}
          {lineage.error && <div className="error-box small">{lineage.error}</div>}
          {lineage.data?.model.id === m.id && <LineageGraph lineage={lineage.data} current={m.id} onOpen={(x) => navigate("models", x)} />}
          </>}
        </>
      )}
    </div>
  );
}
