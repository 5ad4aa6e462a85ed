import { useEffect, useState } from "react";
import { api, call } from "../api/client";
import Pager from "./Pager";

/** One per-sample row as the server's view gives it (a Page's rows are free objects): class names, not numbers. */
interface EvalSample {
  index: number;
  label: string;
  prediction: string;
  confidence: number;
  hit: boolean;
}
type Order = "index" | "confidence" | "-confidence";

const PAGE = 20;
const THUMB = 56;

/** What picking samples needs: which are ticked, how to tick one, and the edit already planned for each. */
export interface Picking {
  selected: Set<number>;
  toggle: (index: number) => void;
  edits: Map<number, string>;
}

/** Per-sample rows (image, label, prediction, confidence), a page at a time: mistakes only, sorted by confidence.
 * With `picking`, each row has a box to tick it for relabelling or leaving out. */
export default function SampleTable({ evalId, classes, cell, initialWrong = false, picking }: {
  evalId: string; classes: string[]; cell: [number, number] | null; initialWrong?: boolean; picking?: Picking;
}) {
  const [page, setPage] = useState(0);
  const [wrong, setWrong] = useState(initialWrong);
  const [sort, setSort] = useState<Order>("index");
  const [data, setData] = useState<{ rows: EvalSample[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setPage(0), [cell, wrong, sort, evalId]);
  useEffect(() => {
    const ctl = new AbortController();
    const query = { offset: page * PAGE, limit: PAGE, sort, ...(wrong ? { wrong: true } : {}),
                    ...(cell ? { label: cell[0], pred: cell[1] } : {}) };
    call(api.GET("/api/evaluations/{id}/samples", { params: { path: { id: evalId }, query }, signal: ctl.signal }))
      .then((p) => { setData({ rows: p.rows as unknown as EvalSample[], total: p.total }); setError(null); })
      .catch((e: Error) => e.name !== "AbortError" && setError(e.message));
    return () => ctl.abort();
  }, [evalId, page, cell, wrong, sort]);
  const name = (i: number) => classes[i] ?? String(i);
  const pages = Math.max(1, Math.ceil((data?.total ?? 0) / PAGE));
  return (
    <div className="card list" style={{ gap: 8 }}>
      <div className="page-head" style={{ flexWrap: "wrap" }}>
        <h2 style={{ margin: 0 }}>Samples {cell && <span className="muted small">true {name(cell[0])}, predicted {name(cell[1])}</span>}
          {data && <span className="muted small"> {data.total} image{data.total === 1 ? "" : "s"}</span>}</h2>
        <div className="grow" />
        <label className="check"><input type="checkbox" checked={wrong} onChange={(e) => setWrong(e.target.checked)}
                                        aria-label="Mistakes only" /> mistakes only</label>
        <label className="field" style={{ flexDirection: "row", alignItems: "center", gap: 4 }}><span>Sort</span>
          <select aria-label="Sort samples" value={sort} onChange={(e) => setSort(e.target.value as Order)}>
            <option value="index">by index</option>
            <option value="confidence">least confident first</option>
            <option value="-confidence">most confident first</option>
          </select></label>
        <a className="button" href={`/api/evaluations/${evalId}/samples.csv`} download>Export CSV</a>
      </div>
      <Pager page={page} pages={pages} setPage={setPage} label="samples" />
      {error && <div className="error-box small">{error}</div>}
      <table aria-label="Per-sample results">
        <thead><tr><th className="num">#</th><th>Image</th><th>Label</th><th>Prediction</th><th className="num">Confidence</th>{picking && <th>Pick</th>}</tr></thead>
        <tbody>
          {(data?.rows ?? []).map((s) => (
            <tr key={s.index} className={s.hit ? undefined : "miss"}>
              <td className="num">{s.index}</td>
              <td><img className="sample" style={{ width: THUMB, height: THUMB, imageRendering: "pixelated", objectFit: "contain" }}
                       src={`/api/evaluations/${evalId}/images/${s.index}.png?scale=2`} alt={`sample ${s.index}`} loading="lazy" /></td>
              <td>{s.label}{picking?.edits.has(s.index) && <span className="badge edit" style={{ marginLeft: 6 }}>{picking.edits.get(s.index)}</span>}</td>
              <td>{s.prediction}{s.hit ? "" : " ✗"}</td><td className="num">{(s.confidence * 100).toFixed(1)}%</td>
              {picking && <td><input type="checkbox" checked={picking.selected.has(s.index)} onChange={() => picking.toggle(s.index)}
                                     aria-label={`Pick sample ${s.index}`} /></td>}
            </tr>
          ))}
          {data && data.total === 0 && (
            <tr><td colSpan={picking ? 6 : 5} className="muted" style={{ textAlign: "center" }}>
              {cell ? "No test image is in this cell." : wrong ? "No mistakes." : "No images."}</td></tr>)}
          {data && page >= pages - 1 && <tr><td colSpan={picking ? 6 : 5} className="muted mono" style={{ textAlign: "center" }}>[EOF]</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
