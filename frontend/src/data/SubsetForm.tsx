import { useState } from "react";
import type { DatasetRecord } from "../api/client";
import { describeRef, saveView, type DataRef } from "../lib/dataRefs";

/** Build a subset / relabelling of a data set as a data reference (transforms are data, see design.md). */
export default function SubsetForm({ ds, onSaved }: { ds: DatasetRecord; onSaved: () => void }) {
  const classes = ds.classes ?? [];
  const [keep, setKeep] = useState<Set<number>>(new Set(classes.map((_, i) => i)));
  const [relabel, setRelabel] = useState("");
  const [perClass, setPerClass] = useState("");
  const [limit, setLimit] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);

  const build = (): DataRef | string => {
    const transforms: Record<string, unknown>[] = [];
    if (keep.size === 0) return "Keep at least one class.";
    if (keep.size < classes.length) transforms.push({ keep_classes: [...keep].sort((a, b) => a - b) });
    if (relabel.trim()) {
      // "0,2,4,6,8: even; 1,3,5,7,9: odd"
      const map: Record<string, number> = {};
      const names: string[] = [];
      for (const part of relabel.split(";").map((s) => s.trim()).filter(Boolean)) {
        const [labels, newName] = part.split(":").map((s) => s.trim());
        if (!labels || !newName) return `Relabel group “${part}” must look like “0,2,4: even”.`;
        for (const l of labels.split(",").map((s) => Number(s.trim()))) {
          if (!Number.isInteger(l)) return `Relabel group “${part}”: labels must be integers.`;
          map[String(l)] = names.length;
        }
        names.push(newName);
      }
      transforms.push({ relabel: { map, classes: names } });
    }
    if (perClass) transforms.push({ per_class: Number(perClass), seed: 0 });
    if (limit) transforms.push({ limit: Number(limit) });
    return { dataset: ds.id, transforms };
  };
  const ref = build();

  return (
    <div className="card list" style={{ gap: 8 }}>
      <h2>Subset or relabel</h2>
      <div className="small muted">Keep classes:</div>
      <div style={{ display: "flex", flexWrap: "wrap", gap: 8 }}>
        {classes.map((c, i) => (
          <label key={i} className="check small">
            <input type="checkbox" checked={keep.has(i)}
                   onChange={(e) => { const n = new Set(keep); if (e.target.checked) n.add(i); else n.delete(i); setKeep(n); }} />{c}
          </label>
        ))}
      </div>
      <label className="field"><span>Relabel (groups “labels: new class”, separated by ;)</span>
        <input placeholder="0,2,4,6,8: even; 1,3,5,7,9: odd" value={relabel} onChange={(e) => setRelabel(e.target.value)} /></label>
      <div className="form-grid">
        <label className="field"><span>Per class (max)</span><input type="number" min="1" value={perClass} onChange={(e) => setPerClass(e.target.value)} /></label>
        <label className="field"><span>Limit (samples)</span><input type="number" min="1" value={limit} onChange={(e) => setLimit(e.target.value)} /></label>
        <label className="field"><span>Subset name</span><input value={name} onChange={(e) => setName(e.target.value)} placeholder={`${ds.name}-subset`} /></label>
      </div>
      <div className="small mono">{typeof ref === "string" ? "" : describeRef(ref)}</div>
      {(error || typeof ref === "string") && <div className="error-box small">{error ?? (ref as string)}</div>}
      <button disabled={typeof ref === "string"} onClick={() => {
        if (typeof ref === "string") return setError(ref);
        saveView({ name: name || `${ds.name}-subset`, ref });
        setError(null);
        onSaved();
      }}>Save subset (usable in Train and Evaluate)</button>
    </div>
  );
}
