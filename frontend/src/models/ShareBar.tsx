import { useRef, useState } from "react";
import { api, unwrap, type ModelRecord } from "../api/client";
import { upload } from "../api/upload";

const FORMATS = [
  { format: "graft", label: "Download .graft", title: "A package another graft workspace can import (weights, network, card)" },
  { format: "onnx", label: "ONNX", title: "For onnxruntime and other tools; checked against PyTorch's output" },
  { format: "python", label: "Python", title: "model.py (plain PyTorch) + model.safetensors, zipped" },
] as const;

type Format = (typeof FORMATS)[number]["format"];

/** Fetch a download so that a failure shows its message here instead of saving an error page as a file. */
async function download(id: string, format: Format) {
  const answer = await api.GET("/api/models/{id}/export", { params: { path: { id }, query: { format } }, parseAs: "blob" });
  const blob = unwrap(answer);
  const name = /filename="([^"]+)"/.exec(answer.response.headers.get("content-disposition") ?? "")?.[1] ?? "download";
  const href = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement("a"), { href, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}

/** Download buttons for one model, and its model card. */
export function ExportButtons({ model, onCard }: { model: ModelRecord; onCard: () => void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const go = async (format: Format) => {
    setBusy(format);
    setError(null);
    try { await download(model.id, format); }
    catch (e) { setError((e as Error).message); }
    finally { setBusy(null); }
  };
  return (
    <>
      {FORMATS.map((f) => (
        <button key={f.format} title={f.title} disabled={busy !== null} onClick={() => void go(f.format)}>
          {busy === f.format ? "Preparing…" : f.label}</button>
      ))}
      <button onClick={onCard} title="What a colleague may see about this model">Model card</button>
      {error && <div className="error-box small" role="alert" style={{ flexBasis: "100%" }}>Export failed: {error}</div>}
    </>
  );
}

/** Import a .graft package someone shared: upload with progress, then open the new model. */
export function ImportPackage({ onImported }: { onImported: (m: ModelRecord) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const send = async (file: File) => {
    const form = new FormData();
    form.append("file", file);
    setError(null);
    setProgress(0);
    try { onImported(await upload<ModelRecord>("/api/models/import", form, setProgress)); }
    catch (e) { setError(`${file.name}: ${(e as Error).message}`); }
    finally { setProgress(null); if (input.current) input.current.value = ""; }
  };
  return (
    <>
      <input ref={input} type="file" accept=".graft,.zip" hidden aria-label="Model package file"
             onChange={(e) => e.target.files?.[0] && void send(e.target.files[0])} />
      <button onClick={() => input.current?.click()} disabled={progress !== null}
              title="Add a model someone shared with you (a .graft file)">
        {progress === null ? "Import .graft…" : progress < 1 ? `Uploading ${Math.round(progress * 100)}%` : "Checking the package…"}
      </button>
      {progress !== null && (
        <div role="status" aria-label="Import progress" style={{ flexBasis: "100%" }}>
          <div className={`progress ${progress >= 1 ? "indeterminate" : ""}`}><div style={{ width: `${progress * 100}%` }} /></div>
          <span className="small muted">{progress < 1 ? `Uploading the package: ${Math.round(progress * 100)}%`
            : "Uploaded. Checking the package: manifest, weight hashes, network…"}</span>
        </div>
      )}
      {error && <div className="error-box small" role="alert" style={{ flexBasis: "100%" }}>Import failed: {error}</div>}
    </>
  );
}
