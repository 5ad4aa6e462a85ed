import { useEffect, useState } from "react";
import { api, call, type Analysis } from "../api/client";
import { useApi } from "../hooks/useApi";
import { fmtCount, fmtShape, type Drawing, type NetworkSpec } from "./convert";
import { planSave } from "./saving";
import { fetchSaved, fetchTemplate } from "./useDesignerData";

interface Props {
  drawing: Drawing;
  doc: NetworkSpec;
  savedId: string | null;
  templates: { name: string; description?: string }[];
  canUndo: boolean;
  canRedo: boolean;
  analysis: Analysis | null;
  pending: boolean;
  analyzeError: string | null;
  message: string | null;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
  onRename: (name: string) => void;
  onLoad: (doc: NetworkSpec, id: string | null) => void;
  onSaved: (id: string) => void;
  onNew: () => void;
  /** false when the user would rather keep unsaved work than replace the drawing */
  confirmDrop: () => boolean;
  onMessage: (m: string | null) => void;
  onTrain: () => void;
  /** append another classifier head on the Foundation node (absent: no Foundation node in the drawing) */
  onAddHead?: () => void;
}

/** Name, templates, open/save, undo/redo, layout, and the live analysis status of the drawing. */
export default function DesignToolbar(p: Props) {
  const saved = useApi((signal) => api.GET("/api/networks", { signal }), []);

  const [trusted, setTrusted] = useState<string | null>(null);
  const save = async () => {
    try {
      const name = p.doc.name ?? "";
      const plan = planSave(name, p.savedId, trusted, saved.data ?? [], p.analysis);
      if (plan.question && !window.confirm(plan.question)) {
        p.onMessage("Not saved.");
        return;
      }
      const body = { name, network: { ...p.doc } };
      const rec = await call(plan.target
        ? api.PUT("/api/networks/{id}", { params: { path: { id: plan.target } }, body })
        : api.POST("/api/networks", { body }));
      setTrusted(rec.id);
      p.onSaved(rec.id);
      p.onMessage(`Saved “${name}”.`);
      saved.reload();
    } catch (e) {
      p.onMessage(`Save failed: ${(e as Error).message}`);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") { e.preventDefault(); void save(); }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const open = async (id: string) => {
    if (!p.confirmDrop()) return;
    try { p.onLoad(await fetchSaved(id), id); p.onMessage(null); }
    catch (e) { p.onMessage(`Open failed: ${(e as Error).message}`); }
  };
  const template = async (name: string) => {
    if (!p.confirmDrop()) return;
    try { p.onLoad({ ...(await fetchTemplate(name)) }, null); p.onMessage(null); }
    catch (e) { p.onMessage(`Template ${name}: ${(e as Error).message}`); }
  };

  const a = p.analysis;
  const issues = a?.issues.length ?? 0;
  return (
    <div className="toolbar" role="toolbar" aria-label="Network tools">
      <input aria-label="Network name" value={p.drawing.doc.name ?? ""} onChange={(e) => p.onRename(e.target.value)} style={{ width: 130 }} />
      <button onClick={() => p.confirmDrop() && p.onNew()} title="Start an empty network">New</button>
      <select aria-label="Start from template" value="" style={{ maxWidth: 120 }} onChange={(e) => e.target.value && void template(e.target.value)}>
        <option value="">Template…</option>
        {p.templates.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
      </select>
      <select aria-label="Open saved network" value="" style={{ maxWidth: 130 }} onChange={(e) => e.target.value && void open(e.target.value)}>
        <option value="">Open…</option>
        {(saved.data ?? []).length === 0 && <option value="" disabled>No saved networks yet</option>}
        {(saved.data ?? []).map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
      </select>
      <button onClick={() => void save()} title="Save (Ctrl+S)">Save</button>
      <button onClick={p.onUndo} disabled={!p.canUndo} title="Undo (Ctrl+Z)" aria-label="Undo">↶</button>
      <button onClick={p.onRedo} disabled={!p.canRedo} title="Redo (Ctrl+Shift+Z)" aria-label="Redo">↷</button>
      <button onClick={p.onLayout} title="Auto layout (Shift+L)">Layout</button>
      {p.onAddHead && <button onClick={p.onAddHead} title="Add another classifier head on the foundation: a Linear layer with one output per class, listed as one more network output (train each head on its own data)">+ Head</button>}
      <div className="grow" />
      <div className="status-line" aria-live="polite">
        {p.analyzeError ? <span className="bad">Analysis failed: {p.analyzeError}</span>
          : p.drawing.doc.nodes.length === 0 ? <span>Empty: add a layer</span>
          : !a ? <span>Checking…</span>
          : <>
              <span className={issues ? "bad" : "ok"}>{issues ? `${issues} issue${issues > 1 ? "s" : ""}` : "✓ valid"}</span>
              <span>{fmtCount(a.total_params)} params</span>
              <span>{(p.doc.outputs?.length ?? 0) > 1 ? `${p.doc.outputs!.length} heads` : `out ${fmtShape(a.output_shape)}`}</span>
              {p.pending && <span>…</span>}
            </>}
        {p.message && <span>{p.message}</span>}
      </div>
      <button className="primary" onClick={p.onTrain} disabled={!a?.ok || p.drawing.doc.nodes.length === 0}
              title="Train this network">Train →</button>
    </div>
  );
}
