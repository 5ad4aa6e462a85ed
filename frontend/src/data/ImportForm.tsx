import { useState } from "react";
import type { DatasetRecord } from "../api/client";
import { upload } from "../api/upload";

/** Upload an IDX / CSV / NPZ / image archive; shows progress and the server's error verbatim. */
export default function ImportForm({ onImported }: { onImported: (d: DatasetRecord) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("name", name || file.name.replace(/\.[^.]+$/, ""));
    setError(null);
    setProgress(0);
    try {
      const rec = await upload<DatasetRecord>("/api/datasets/import", form, setProgress);
      setFile(null);
      setName("");
      onImported(rec);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setProgress(null);
    }
  };

  return (
    <form className="card list" onSubmit={submit} style={{ gap: 8 }}>
      <h2>Import a data set</h2>
      <p className="muted small" style={{ margin: 0 }}>
        A .zip of IDX files, a CSV (label, then pixels), an .npz (images, labels) or a .zip of class folders of images.
      </p>
      <input type="file" aria-label="Data set file" accept=".zip,.csv,.npz,.gz,.idx,.ubyte"
             onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      <input placeholder="Name (optional)" value={name} onChange={(e) => setName(e.target.value)} aria-label="Data set name" />
      {progress !== null && (
        <div aria-label="Upload progress" role="status">
          <div className={`progress ${progress >= 1 ? "indeterminate" : ""}`}><div style={{ width: `${progress * 100}%` }} /></div>
          <span className="small muted">{progress < 1 ? `Uploading: ${Math.round(progress * 100)}%`
            : "Uploaded. The server is checking the file (format, shapes, labels)…"}</span></div>
      )}
      {error && <div className="error-box small" role="alert">{error}</div>}
      <button className="primary" disabled={!file || progress !== null} type="submit">Import</button>
    </form>
  );
}
