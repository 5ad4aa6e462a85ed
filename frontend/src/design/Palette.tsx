import { useMemo, useState } from "react";
import type { LayerSchema, ModelRecord } from "../api/client";
import { rankLayers } from "./search";

export const DND_TYPE = "application/x-graft-layer";

interface Props {
  layers: LayerSchema[];
  foundations: ModelRecord[];
  error: string | null;
  onAdd: (type: string, foundation?: ModelRecord) => void;
}

/** Searchable list of layer types (grouped by category) and foundations; drag onto the canvas or press Enter. */
export default function Palette({ layers, foundations, error, onAdd }: Props) {
  const [q, setQ] = useState("");
  const searching = q.trim() !== "";
  // while searching: one list, best match first (Enter adds it); else the layers by category
  const groups = useMemo(() => {
    const usable = layers.filter((l) => l.type !== "Foundation");
    if (searching) {
      const hits = rankLayers(usable, q);
      return hits.length ? [["Matches", hits] as [string, LayerSchema[]]] : [];
    }
    const m = new Map<string, LayerSchema[]>();
    for (const l of usable) m.set(l.category, [...(m.get(l.category) ?? []), l]);
    return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [layers, q, searching]);
  const fnds = foundations.filter((f) => !q || f.name.toLowerCase().includes(q.toLowerCase()));

  const item = (key: string, label: string, title: string, payload: string, add: () => void, cls = "") => (
    <div
      key={key} className={`palette-item ${cls}`} draggable tabIndex={0} role="button" title={title}
      onDragStart={(e) => { e.dataTransfer.setData(DND_TYPE, payload); e.dataTransfer.effectAllowed = "move"; }}
      onDoubleClick={add}
      onKeyDown={(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); add(); } }}
    >
      {label}
    </div>
  );

  // Listed first once there are some: grafting starts by picking one.
  const foundationList = (
    <section aria-label="Foundations">
      <h3>Foundations</h3>
      {fnds.length === 0 && <div className="muted small">None yet: train a model, open it in Models, select layers and
        “Save as foundation”.</div>}
      {fnds.map((f) => item(f.id, `◆ ${f.name}`, `${f.id} · ${f.params ?? "?"} params: one frozen block`,
        JSON.stringify({ type: "Foundation", id: f.id }), () => onAdd("Foundation", f), "foundation"))}
    </section>
  );
  return (
    <aside className="palette" aria-label="Layer palette">
      <input type="search" placeholder="Search layers…" value={q} onChange={(e) => setQ(e.target.value)}
             aria-label="Search layers"
             onKeyDown={(e) => {
               if (e.key !== "Enter" || !searching) return;
               e.preventDefault();
               const top = groups[0]?.[1][0];
               if (top) onAdd(top.type);
               else if (fnds[0]) onAdd("Foundation", fnds[0]);
             }} />
      {error && <div className="error-box small">Layers could not be loaded: {error}</div>}
      <p className="muted small" style={{ marginTop: 0 }}>Drag onto the canvas, or double-click to append after the selection. Enter in the search adds the first match.</p>
      {fnds.length > 0 && foundationList}
      {groups.map(([cat, ls]) => (
        <section key={cat}>
          <h3>{cat}</h3>
          {ls.map((l, i) => item(l.type, l.type, l.doc || l.type, JSON.stringify({ type: l.type }), () => onAdd(l.type),
            searching && i === 0 ? "top-hit" : ""))}
        </section>
      ))}
      {groups.length === 0 && !error && <div className="muted small">No layer matches “{q}”.</div>}
      {fnds.length === 0 && foundationList}
    </aside>
  );
}
