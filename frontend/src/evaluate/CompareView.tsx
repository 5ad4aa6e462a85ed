import { useState } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { useApi } from "../hooks/useApi";
import { describeRef, type DataRef } from "../lib/dataRefs";
import Pager, { usePage } from "./Pager";

type Comparison = components["schemas"]["Comparison"];
interface Side { id: string; model_id: string; model_name?: string; data?: DataRef; total?: number; hit?: number; accuracy?: number }
interface ClassRow { class: string; a: { total: number; hit: number; accuracy: number } | null; b: ClassRow["a"] }
interface Changed { row: number; a_index: number; b_index: number; change: "fixed" | "broken" | "changed";
  a_label: string; a_prediction: string; b_label: string; b_prediction: string }
type Filter = "all" | "fixed" | "broken";

const pct = (v?: number | null) => (typeof v === "number" ? `${(v * 100).toFixed(2)}%` : "—");
const delta = (a?: number | null, b?: number | null) => {
  if (typeof a !== "number" || typeof b !== "number") return "";
  const d = (b - a) * 100;
  return `${d > 0 ? "+" : ""}${d.toFixed(2)} pt`;
};
const tone = (a?: number | null, b?: number | null) =>
  typeof a === "number" && typeof b === "number" ? (b > a ? "better" : b < a ? "worse" : undefined) : undefined;
const PAGE = 20;

/** Two evaluations side by side: accuracy and hit/total, per class, and the images whose prediction changed. */
export default function CompareView({ a, b }: { a: string; b: string }) {
  const c = useApi((signal) => api.GET("/api/evaluations/compare", { params: { query: { a, b } }, signal }), [a, b]);
  const datasets = useApi((signal) => api.GET("/api/datasets", { signal }), []);
  const names = new Map((datasets.data ?? []).map((d) => [d.id, d.name]));
  // a data reference as a person knows it: the data set's name (an edited version's id means nothing to them)
  const shown = (r?: DataRef) => (r ? describeRef({ ...r, dataset: names.get(r.dataset) ?? r.dataset }) : "—");
  const [filter, setFilter] = useState<Filter>("all");
  const data = c.data as Comparison | undefined;
  const changed = ((data?.changed ?? []) as unknown as Changed[]).filter((s) => filter === "all" || s.change === filter);
  const p = usePage(changed.length, PAGE);
  if (c.error) return <div className="error-box">{c.error}</div>;
  if (!data) return <div className="muted">Comparing…</div>;
  const A = data.a as unknown as Side, B = data.b as unknown as Side;
  const classes = data.per_class as unknown as ClassRow[];
  return (
    <div className="list" style={{ gap: 12 }} aria-label="Comparison">
      <div className="small muted">Comparing two evaluations: images are matched by their row in the data, so a fixed
        version lines up with the data set it was made from. <a href="#/evaluate">All evaluations</a></div>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <div className="card">
          <h2>Side by side</h2>
          <table className="result-table" aria-label="Compared results">
            <thead><tr><th /><th>Before <a className="mono small" href={`#/evaluate/${A.id}`}>{A.id}</a></th>
              <th>After <a className="mono small" href={`#/evaluate/${B.id}`}>{B.id}</a></th><th className="num">Change</th></tr></thead>
            <tbody>
              <tr><td>model</td><td><a href={`#/models/${A.model_id}`}>{A.model_name ?? A.model_id}</a></td>
                <td><a href={`#/models/${B.model_id}`}>{B.model_name ?? B.model_id}</a></td><td /></tr>
              <tr><td>data</td><td className="small">{shown(A.data)}</td><td className="small">{shown(B.data)}</td><td /></tr>
              <tr><td>total</td><td className="num" data-testid="compare-a-total">{A.total}</td><td className="num" data-testid="compare-b-total">{B.total}</td><td /></tr>
              <tr><td>hit</td><td className="num" data-testid="compare-a-hit">{A.hit}</td><td className="num" data-testid="compare-b-hit">{B.hit}</td><td /></tr>
              <tr><td>accuracy</td><td className="num">{pct(A.accuracy)}</td><td className="num">{pct(B.accuracy)}</td>
                <td className={`num ${tone(A.accuracy, B.accuracy) ?? ""}`} data-testid="compare-delta">{delta(A.accuracy, B.accuracy)}</td></tr>
            </tbody>
          </table>
          <div className="small" style={{ marginTop: 8 }} data-testid="compare-counts">
            {data.matched} images in both: <span className="better">{data.fixed} fixed</span>, <span className="worse">{data.broken} broken</span></div>
          {data.note && <div className="muted small" style={{ maxWidth: 420 }}>{data.note}</div>}
        </div>
        <div className="card grow" style={{ maxHeight: 420, overflow: "auto" }}>
          <h2>Per class</h2>
          <table aria-label="Per-class comparison">
            <thead><tr><th>Class</th><th className="num">Before</th><th className="num">After</th><th className="num">Change</th></tr></thead>
            <tbody>{classes.map((r) => (
              <tr key={r.class}><td>{r.class}</td>
                <td className="num">{r.a ? `${pct(r.a.accuracy)} (${r.a.hit}/${r.a.total})` : "—"}</td>
                <td className="num">{r.b ? `${pct(r.b.accuracy)} (${r.b.hit}/${r.b.total})` : "—"}</td>
                <td className={`num ${tone(r.a?.accuracy, r.b?.accuracy) ?? ""}`}>{delta(r.a?.accuracy, r.b?.accuracy)}</td></tr>))}
            </tbody>
          </table>
        </div>
      </div>
      <div className="card list" style={{ gap: 8 }}>
        <div className="page-head" style={{ flexWrap: "wrap" }}>
          <h2 style={{ margin: 0 }}>Predictions that changed <span className="muted small">{changed.length} shown{data.changed_more ? `, ${data.changed_more} more not listed` : ""}</span></h2>
          <div className="grow" />
          <label className="field" style={{ flexDirection: "row", alignItems: "center", gap: 4 }}><span>Show</span>
            <select aria-label="Show changes" value={filter} onChange={(e) => { setFilter(e.target.value as Filter); p.setPage(0); }}>
              <option value="all">all changes</option><option value="fixed">fixed only</option><option value="broken">broken only</option>
            </select></label>
        </div>
        {p.pages > 1 && <Pager {...p} label="changes" />}
        <table aria-label="Changed predictions">
          <thead><tr><th className="num">Row</th><th>Image</th><th>Change</th><th>Before: label → prediction</th><th>After: label → prediction</th></tr></thead>
          <tbody>
            {changed.slice(p.start, p.end).map((s) => (
              <tr key={s.row}>
                <td className="num">{s.row}</td>
                <td><img className="sample" style={{ width: 56, height: 56, imageRendering: "pixelated" }} loading="lazy"
                         src={`/api/evaluations/${B.id}/images/${s.b_index}.png?scale=2`} alt={`row ${s.row}`} /></td>
                <td><span className={`badge ${s.change === "fixed" ? "done" : s.change === "broken" ? "failed" : ""}`}>{s.change}</span></td>
                <td>{s.a_label} → {s.a_prediction}</td><td>{s.b_label} → {s.b_prediction}</td>
              </tr>))}
            {changed.length === 0 && <tr><td colSpan={5} className="muted" style={{ textAlign: "center" }}>
              {data.note && !data.matched ? "The samples cannot be matched." : "No prediction changed."}</td></tr>}
          </tbody>
        </table>
      </div>
    </div>
  );
}
