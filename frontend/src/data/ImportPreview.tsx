import { useEffect, useState } from "react";
import type { DatasetInspection, DatasetRecord } from "../api/client";
import { upload } from "../api/upload";
import { importForm, resizeProblem, shapeText, sizesText, suggestedResize, type ImportOptions } from "./preview";

type Sample = { split: string; label: number; class: string; image: string };
type Candidate = { column: number; name?: string | null; evidence?: string };

function Progress({ fraction, what }: { fraction: number; what: string }) {
  return (
    <div aria-label="Upload progress" role="status">
      <div className={`progress ${fraction >= 1 ? "indeterminate" : ""}`}><div style={{ width: `${fraction * 100}%` }} /></div>
      <span className="small muted">{fraction < 1 ? `Uploading: ${Math.round(fraction * 100)}%` : what}</span>
    </div>
  );
}

function Summary({ r }: { r: DatasetInspection }) {
  const splits = Object.entries(r.splits ?? {}) as [string, { count: number; counts: Record<string, number> }][];
  return (
    <table className="result-table" aria-label="Preview summary"><tbody>
      <tr><td>Format</td><td>{r.format}</td></tr>
      {splits.map(([s, v]) => (
        <tr key={s}><td>{s}</td><td className="small"><strong>{v.count.toLocaleString("en-US")}</strong>{" · "}
          {Object.entries(v.counts).map(([c, n]) => `${c}: ${n}`).join(" · ")}</td></tr>
      ))}
      <tr><td>Classes</td><td>{r.classes.length}: {r.classes.join(", ")}</td></tr>
      <tr><td>Image sizes</td><td>{sizesText(r) || "—"} <span className="muted small">(height x width)</span></td></tr>
      <tr><td>Channels</td><td>{Object.entries(r.channels ?? {}).map(([c, n]) => `${c === "1" ? "1 (grayscale)" : c === "3" ? "3 (RGB)" : c === "4" ? "4 (RGBA)" : c}: ${n} image${n === 1 ? "" : "s"}`).join(" · ")}</td></tr>
      {r.shape && <tr><td>Stored as</td><td className="num">{shapeText(r.shape)}</td></tr>}
      {r.label_column && <tr><td>Label column</td><td className="small">column {String(r.label_column.column)}
        {r.label_column.name ? ` (${String(r.label_column.name)})` : ""}: {String(r.label_column.evidence ?? r.label_column.by ?? "")}</td></tr>}
    </tbody></table>
  );
}

/** What a file would import as (POST /api/datasets/inspect), the options to change it, then Import. */
export default function ImportPreview({ file, onImported, onCancel }:
  { file: File; onImported: (d: DatasetRecord) => void; onCancel: () => void }) {
  const [opts, setOpts] = useState<ImportOptions>({ name: file.name.replace(/\.[^.]+$/, ""), labelColumn: "", resize: "", testFraction: "" });
  const [asked, setAsked] = useState(opts);   // the options the shown preview was made with
  const [report, setReport] = useState<DatasetInspection | null>(null);
  const [progress, setProgress] = useState<{ fraction: number; what: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof ImportOptions) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setOpts({ ...opts, [k]: e.target.value });
  const resizeBad = resizeProblem(opts.resize);

  useEffect(() => {
    let live = true;
    setError(null);
    setProgress({ fraction: 0, what: "Uploaded. Reading the file…" });
    upload<DatasetInspection>("/api/datasets/inspect", importForm(file, asked),
      (f) => live && setProgress({ fraction: f, what: "Uploaded. Reading the file…" }))
      .then((r) => {
        if (!live) return;
        setReport(r);
        if (!asked.resize && suggestedResize(r)) setOpts((o) => ({ ...o, resize: o.resize || suggestedResize(r) }));
      })
      .catch((e) => live && (setReport(null), setError((e as Error).message)))
      .finally(() => live && setProgress(null));
    return () => { live = false; };
  }, [file, asked]);

  const submit = async () => {
    setError(null);
    setProgress({ fraction: 0, what: "Uploaded. Importing…" });
    try {
      onImported(await upload<DatasetRecord>("/api/datasets/import", importForm(file, opts),
        (f) => setProgress({ fraction: f, what: "Uploaded. Importing…" })));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };
  const samples = (report?.samples?.items ?? []) as Sample[];
  const candidates = (report?.label_candidates ?? []) as Candidate[];
  // the prefilled resize (the commonest size) is what Import sends; it needs no second preview
  const fitted = !resizeBad && !!opts.resize && (report?.warnings ?? []).some((w) => w.code === "mixed_sizes");
  const stale = asked.labelColumn !== opts.labelColumn || (asked.resize || (report ? suggestedResize(report) : "")) !== opts.resize;

  return (
    <div className="card list" style={{ gap: 10 }} aria-label="Import preview">
      <h2>Preview: {file.name} <span className="muted small">nothing is registered until you import</span></h2>
      {progress && <Progress {...progress} />}
      {error && <div className="error-box small" role="alert">{error}</div>}
      {report && <Summary r={report} />}
      {(report?.warnings ?? []).map((w, i) => (
        <div key={i} className="warn-box small" role="note" data-code={w.code}><strong>{w.code}</strong>: {w.message}</div>
      ))}
      {samples.length > 0 && (
        <div style={{ display: "flex", flexWrap: "wrap", gap: 6 }} aria-label="First images">
          {samples.map((s, i) => (
            <figure key={i} style={{ margin: 0, textAlign: "center" }}>
              <img src={s.image} alt={`${s.split} ${s.class}`} style={{ width: 56, height: 56, objectFit: "contain", imageRendering: "pixelated" }} />
              <figcaption className="small muted">{s.class}</figcaption>
            </figure>
          ))}
        </div>
      )}
      <div className="row" style={{ gap: 8, flexWrap: "wrap", alignItems: "end" }}>
        <label className="small">Name<br /><input value={opts.name} onChange={set("name")} aria-label="Data set name" /></label>
        {(candidates.length > 0 || report?.format === "csv") && (
          <label className="small">Label column<br />
            {candidates.length > 0
              ? <select value={opts.labelColumn} onChange={set("labelColumn")} aria-label="Label column">
                  <option value="">choose…</option>
                  {candidates.map((c) => <option key={c.column} value={String(c.column)}>
                    {c.column}{c.name ? ` (${c.name})` : ""}: {c.evidence}</option>)}
                </select>
              : <input value={opts.labelColumn} onChange={set("labelColumn")} aria-label="Label column"
                       placeholder={String(report?.label_column?.column ?? "detected")} style={{ width: 90 }} />}
          </label>
        )}
        <label className="small">Resize to (H,W)<br />
          <input value={opts.resize} onChange={set("resize")} aria-label="Resize" placeholder="native size" style={{ width: 100 }} /></label>
        <label className="small">Test fraction<br />
          <input value={opts.testFraction} onChange={set("testFraction")} aria-label="Test fraction" placeholder="0" style={{ width: 70 }}
                 disabled={!!report?.has_test} /></label>
        <button onClick={() => setAsked(opts)} disabled={!!resizeBad || progress !== null || !stale}>Preview again</button>
      </div>
      {resizeBad && <span className="small danger">{resizeBad}</span>}
      {stale && <span className="small muted">Options changed: preview again to see their effect, or import.</span>}
      {fitted && <span className="small muted">Import fits every image to {opts.resize} (height,width): scaled to cover, centre cropped.</span>}
      {report?.error && !stale && !fitted && <div className="error-box small" role="alert">Import would be refused: {report.error}</div>}
      <div className="row" style={{ gap: 8 }}>
        <button className="primary" onClick={submit} disabled={!!resizeBad || progress !== null || !report}>Import</button>
        <button className="ghost" onClick={onCancel}>Cancel</button>
      </div>
    </div>
  );
}
