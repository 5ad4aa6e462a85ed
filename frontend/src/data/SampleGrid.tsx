import { useState } from "react";
import { api, type DatasetRecord } from "../api/client";
import { useApi } from "../hooks/useApi";

const PAGE = 48;
type Split = "train" | "val" | "test";

/** One image of a data set's page (a Page's rows are free objects on the server). */
interface SampleRow {
  index: number;
  label: number;
  class?: string;
  image_url?: string;
}

/** A page of images with their labels; filter by class, flip through pages. */
export default function SampleGrid({ ds }: { ds: DatasetRecord }) {
  const splits = Object.keys(ds.sizes).filter((s): s is Split => ["train", "val", "test"].includes(s));
  const [split, setSplit] = useState<Split>(splits[0] ?? "train");
  const [label, setLabel] = useState("");
  const [offset, setOffset] = useState(0);
  const query = { split, offset, limit: PAGE, ...(label !== "" ? { label: Number(label) } : {}) };
  const page = useApi((signal) => api.GET("/api/datasets/{id}/samples", { params: { path: { id: ds.id }, query }, signal }),
                      [ds.id, split, offset, label]);
  const { error, loading } = page;
  const data = page.data && { rows: page.data.rows as unknown as SampleRow[], eof: page.data.eof };
  const classes = ds.classes;
  return (
    <div className="card list" style={{ gap: 10 }}>
      <div className="page-head">
        <h2 style={{ margin: 0 }}>Preview</h2>
        <select aria-label="Split" value={split} onChange={(e) => { setSplit(e.target.value as Split); setOffset(0); }}>
          {splits.map((s) => <option key={s}>{s}</option>)}
        </select>
        <select aria-label="Filter by class" value={label} onChange={(e) => { setLabel(e.target.value); setOffset(0); }}>
          <option value="">all classes</option>
          {classes.map((c, i) => <option key={i} value={i}>{i}: {c}</option>)}
        </select>
        <div className="grow" />
        <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>← Prev</button>
        <span className="small muted">{offset}–{offset + (data?.rows.length ?? 0)}</span>
        <button disabled={!data || data.eof || data.rows.length < PAGE} onClick={() => setOffset(offset + PAGE)}>Next →</button>
      </div>
      {error && <div className="error-box small">{error}</div>}
      {!error && data?.rows.length === 0 && <div className="empty">No samples here{label !== "" ? " for this class" : ""}.</div>}
      <div className="grid-images" aria-busy={loading}>
        {(data?.rows ?? []).map((r) => (
          <figure key={r.index}>
            <img className="sample" alt={`sample ${r.index}, label ${r.label}`} loading="lazy"
                 src={r.image_url ?? `/api/datasets/${ds.id}/images/${r.index}.png?split=${split}`} />
            <figcaption>{r.class ?? classes[r.label] ?? r.label}</figcaption>
          </figure>
        ))}
      </div>
    </div>
  );
}
