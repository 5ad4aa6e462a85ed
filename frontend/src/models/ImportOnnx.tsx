import { useRef, useState } from "react";
import type { ModelRecord } from "../api/client";
import { upload } from "../api/upload";

/** Import a pretrained network from an ONNX file: file, name, and the input shape when the file leaves its
 * size open (the server says so; the field then appears). The new model opens on success. */
export default function ImportOnnx({ onImported }: { onImported: (m: ModelRecord) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [shape, setShape] = useState("");
  const [askShape, setAskShape] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const choose = (f: File) => { setFile(f); setName((n) => n || f.name.replace(/\.onnx$/i, "")); setError(null); };
  const send = async () => {
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("name", name.trim());
    if (shape.trim()) form.append("input_shape", shape.trim());
    setError(null);
    setProgress(0);
    try {
      onImported(await upload<ModelRecord>("/api/models/import-model", form, setProgress));
      setOpen(false); setFile(null); setName(""); setShape(""); setAskShape(false);
    } catch (e) {
      const message = (e as Error).message;
      if (/input.?shape|dynamic size/i.test(message)) setAskShape(true);
      setError(message);
    } finally { setProgress(null); }
  };
  if (!open) return <button onClick={() => setOpen(true)} title="A pretrained network from any framework's ONNX exporter">Import model (ONNX)…</button>;
  return (
    <div className="card list" aria-label="Import model (ONNX)" style={{ flexBasis: "100%", gap: 8 }}>
      <div className="page-head"><strong>Import a pretrained model (ONNX)</strong>
        <span className="small muted">Its graph becomes a network you can open, cut and graft; nothing in the file is run.</span>
        <div className="grow" /><button className="ghost" onClick={() => setOpen(false)}>Cancel</button></div>
      <div className="row" style={{ display: "flex", gap: 8, alignItems: "center", flexWrap: "wrap" }}>
        <input ref={input} type="file" accept=".onnx" aria-label="ONNX file" onChange={(e) => e.target.files?.[0] && choose(e.target.files[0])} />
        <label className="small">Name <input aria-label="Model name" value={name} onChange={(e) => setName(e.target.value)} style={{ width: 200 }} /></label>
        {askShape && <label className="small">Input shape <input aria-label="Input shape" placeholder="C,H,W e.g. 3,224,224" value={shape}
          onChange={(e) => setShape(e.target.value)} style={{ width: 140 }} /></label>}
        <button className="primary" disabled={!file || !name.trim() || progress !== null} onClick={() => void send()}>
          {progress === null ? "Import" : progress < 1 ? `Uploading ${Math.round(progress * 100)}%` : "Reading the graph…"}</button>
      </div>
      {error && <div className="error-box small" role="alert">Import failed: {error}</div>}
    </div>
  );
}
