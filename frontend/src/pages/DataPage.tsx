import { useState } from "react";
import { api, type DatasetRecord } from "../api/client";
import ImportForm from "../data/ImportForm";
import ImportPreview from "../data/ImportPreview";
import { shapeText } from "../data/preview";
import SampleGrid from "../data/SampleGrid";
import SubsetForm from "../data/SubsetForm";
import { useApi } from "../hooks/useApi";
import { deleteView, describeRef, loadViews } from "../lib/dataRefs";

function Stats({ ds }: { ds: DatasetRecord }) {
  const fmt = (v: unknown) => (Array.isArray(v) ? v.map((x) => Number(x).toFixed(3)).join(", ") : typeof v === "number" ? v.toFixed(3) : String(v ?? "—"));
  const stats = { ...(ds.stats ?? {}), ...(ds.mean != null ? { mean: ds.mean } : {}), ...(ds.std != null ? { std: ds.std } : {}) };
  const counts = ds.class_counts;
  return (
    <div className="card">
      <h2>{ds.name} <span className="muted small mono">{ds.id}</span></h2>
      <table className="result-table"><tbody>
        <tr><td>Samples</td><td className="num">{Object.entries(ds.sizes).map(([k, v]) => `${k} ${v?.toLocaleString("en-US") ?? "?"}`).join(" · ") || "—"}</td></tr>
        {ds.shape && <tr><td>Image shape</td><td className="num">({ds.shape.join(", ")})</td></tr>}
        <tr><td>Classes</td><td>{ds.classes.length}: {ds.classes.join(", ")}</td></tr>
        {Object.entries(stats).filter(([, v]) => typeof v !== "object" || Array.isArray(v)).map(([k, v]) => (
          <tr key={k}><td>{k}</td><td className="num">{fmt(v)}</td></tr>
        ))}
        {ds.preprocessing?.map((p, i) => <tr key={`p${i}`}><td>Preprocessing</td><td className="small">{Object.entries(p).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join("x") : String(v)}`).join(", ")}</td></tr>)}
        {ds.label_column && <tr><td>Label column</td><td className="small">{String(ds.label_column.column)} ({String(ds.label_column.by ?? "")})</td></tr>}
        {ds.warnings?.map((w, i) => <tr key={`w${i}`}><td>Warning</td><td className="small warn">{w}</td></tr>)}
        {counts && <tr><td>Per class</td><td className="small">{Object.entries(counts).map(([k, v]) => `${k}: ${v}`).join(" · ")}</td></tr>}
      </tbody></table>
    </div>
  );
}

export default function DataPage({ param }: { param?: string }) {
  const list = useApi((signal) => api.GET("/api/datasets", { signal }), []);
  const [selected, setSelected] = useState<string | null>(param ?? null);
  const id = selected ?? list.data?.[0]?.id ?? null;
  const detail = useApi(id ? (signal) => api.GET("/api/datasets/{id}", { params: { path: { id } }, signal }) : null, [id]);
  const [views, setViews] = useState(loadViews);
  const ds = detail.data && detail.data.id === id ? detail.data : null;
  const [file, setFile] = useState<File | null>(null);

  return (
    <div className="page">
      <div className="page-head"><h1>Data</h1><span className="muted">Data sets to train and test on</span></div>
      <div className="row">
        <div className="list" style={{ width: 260, flexShrink: 0, gap: 12 }}>
          <div className="card list">
            <h2>Data sets</h2>
            {list.error && <div className="error-box small">{list.error}</div>}
            {list.data?.length === 0 && <div className="empty small"><strong>No data sets</strong>Import one below.</div>}
            {(list.data ?? []).map((d) => (
              <button key={d.id} className={`list-item ${d.id === id ? "active" : ""}`} onClick={() => setSelected(d.id)}>
                <span>{d.name}</span><span className="muted small mono">{shapeText(d.shape)}</span><span className="muted small">{Object.values(d.sizes).reduce<number>((a, b) => a + (b ?? 0), 0).toLocaleString("en-US")}</span>
              </button>
            ))}
          </div>
          <ImportForm onFile={setFile} />
          <div className="card list">
            <h2>Saved subsets</h2>
            {views.length === 0 && <span className="muted small">None yet. Build one from a data set on the right.</span>}
            {views.map((v) => (
              <div key={v.name} className="small" style={{ display: "flex", justifyContent: "space-between", gap: 6 }}>
                <span><strong>{v.name}</strong> <span className="mono muted">{describeRef(v.ref)}</span></span>
                <button className="ghost danger" aria-label={`Delete subset ${v.name}`} onClick={() => { deleteView(v.name); setViews(loadViews()); }}>✕</button>
              </div>
            ))}
          </div>
        </div>
        <div className="list grow" style={{ gap: 16, minWidth: 0 }}>
          {file && <ImportPreview key={`${file.name}-${file.lastModified}-${file.size}`} file={file} onCancel={() => setFile(null)}
                                  onImported={(d) => { setFile(null); list.reload(); setSelected(d.id); }} />}
          {detail.error && <div className="error-box">{detail.error}</div>}
          {!id && !list.error && <div className="empty"><strong>Pick or import a data set</strong>Its size, classes, statistics and images appear here.</div>}
          {ds && <><Stats ds={ds} /><SampleGrid key={ds.id} ds={ds} /><SubsetForm key={`s-${ds.id}`} ds={ds} onSaved={() => setViews(loadViews())} /></>}
        </div>
      </div>
    </div>
  );
}
