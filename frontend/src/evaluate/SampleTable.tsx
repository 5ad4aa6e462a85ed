import { useEffect, useState } from "react";
import { api, call } from "../api/client";

/** One per-sample row as the server's view gives it (a Page's rows are free objects): class names, not numbers. */
interface EvalSample {
  index: number;
  label: string;
  prediction: string;
  confidence: number;
  hit: boolean;
}

const PAGE = 20;

/** Per-sample rows (image, label, prediction, confidence), paged until the server says [EOF]. */
export default function SampleTable({ evalId, classes, cell }: {
  evalId: string; classes: string[]; cell: [number, number] | null;
}) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ rows: EvalSample[]; eof: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setOffset(0), [cell]);
  useEffect(() => {
    const ctl = new AbortController();
    const query = { offset, limit: PAGE, ...(cell ? { label: cell[0], pred: cell[1] } : {}) };
    call(api.GET("/api/evaluations/{id}/samples", { params: { path: { id: evalId }, query }, signal: ctl.signal }))
      .then((p) => { setPage({ rows: p.rows as unknown as EvalSample[], eof: p.eof }); setError(null); })
      .catch((e: Error) => e.name !== "AbortError" && setError(e.message));
    return () => ctl.abort();
  }, [evalId, offset, cell]);
  const name = (i: number) => classes[i] ?? String(i);
  return (
    <div className="card list" style={{ gap: 8 }}>
      <div className="page-head">
        <h2 style={{ margin: 0 }}>Samples {cell && <span className="muted small">true {name(cell[0])}, predicted {name(cell[1])}</span>}</h2>
        <div className="grow" />
        <a className="button" href={`/api/evaluations/${evalId}/samples.csv`} download>Export CSV</a>
        <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>← Prev</button>
        <button disabled={!page || page.eof} onClick={() => setOffset(offset + PAGE)}>Next →</button>
      </div>
      {error && <div className="error-box small">{error}</div>}
      <table aria-label="Per-sample results">
        <thead><tr><th className="num">#</th><th>Image</th><th>Label</th><th>Prediction</th><th className="num">Confidence</th></tr></thead>
        <tbody>
          {(page?.rows ?? []).map((s) => (
            <tr key={s.index} className={s.hit ? undefined : "miss"}>
              <td className="num">{s.index}</td>
              <td><img className="sample" style={{ width: 28, height: 28 }} src={`/api/evaluations/${evalId}/images/${s.index}.png`} alt={`sample ${s.index}`} loading="lazy" /></td>
              <td>{s.label}</td><td>{s.prediction}{s.hit ? "" : " ✗"}</td><td className="num">{(s.confidence * 100).toFixed(1)}%</td>
            </tr>
          ))}
          {page?.eof && page.rows.length === 0 && offset === 0 && (
            <tr><td colSpan={5} className="muted" style={{ textAlign: "center" }}>No test image is in this cell.</td></tr>)}
          {page?.eof && <tr><td colSpan={5} className="muted mono" style={{ textAlign: "center" }}>[EOF]</td></tr>}
        </tbody>
      </table>
    </div>
  );
}
