import { useEffect, useState } from "react";
import type { Analysis, Issue, LayerSchema } from "../api/client";
import { fmtCount, fmtShape, ID_RE, INPUT_ID, type Drawing } from "./convert";
import ParamsForm, { type JsonSchema } from "./ParamsForm";

interface Props {
  drawing: Drawing;
  selectedId: string | null;
  layers: LayerSchema[];
  analysis: Analysis | null;
  /** `group` names the field being typed in: its keystrokes are one undo step, until `onEditDone` (blur) */
  onEdit: (f: (d: Drawing) => Drawing, group?: string) => void;
  onEditDone: () => void;
  onRename: (from: string, to: string) => void;
  onSelect: (id: string) => void;
}

function InputShape({ shape, onChange }: { shape: number[]; onChange: (s: number[]) => void }) {
  const [text, setText] = useState(shape.join(", "));
  useEffect(() => setText(shape.join(", ")), [shape]);
  const parsed = text.split(/[\s,]+/).filter(Boolean).map(Number);
  const ok = parsed.length >= 1 && parsed.length <= 4 && parsed.every((n) => Number.isInteger(n) && n > 0);
  return (
    <label className="field"><span>Input shape (without batch), e.g. 1, 28, 28</span>
      <input value={text} onChange={(e) => setText(e.target.value)} aria-invalid={!ok}
             onBlur={() => ok && onChange(parsed)} onKeyDown={(e) => e.key === "Enter" && ok && onChange(parsed)} />
      {!ok && <span style={{ color: "var(--danger)" }}>1 to 4 positive integers, found “{text}”</span>}
    </label>
  );
}

function IdField({ id, taken, onRename }: { id: string; taken: string[]; onRename: (to: string) => void }) {
  const [text, setText] = useState(id);
  useEffect(() => setText(id), [id]);
  const problem = !ID_RE.test(text) ? "letters, digits and _, not starting with a digit"
    : text !== id && (taken.includes(text) || text === INPUT_ID) ? `“${text}” is already used` : null;
  const apply = () => !problem && text !== id && onRename(text);
  return (
    <label className="field"><span>Node id</span>
      <input value={text} onChange={(e) => setText(e.target.value)} onBlur={apply}
             onKeyDown={(e) => e.key === "Enter" && apply()} aria-invalid={!!problem} />
      {problem && <span style={{ color: "var(--danger)" }}>{problem}</span>}
    </label>
  );
}

function Summary({ analysis, drawing, onSelect }: { analysis: Analysis | null; drawing: Drawing; onSelect: (id: string) => void }) {
  const docIssues: Issue[] = analysis?.issues ?? [];
  if (drawing.doc.nodes.length === 0) {
    return (
      <>
        <h2>Network</h2>
        <p className="muted small">Nothing here yet. Add layers from the palette, or pick a template in the toolbar;
          this panel then shows the selected layer's settings, or the network's size and any problems.</p>
      </>
    );
  }
  return (
    <>
      <h2>Network</h2>
      <div className="small">
        <div>{drawing.doc.nodes.length} layers · input {fmtShape(drawing.doc.input.shape)}</div>
        <div>Output {fmtShape(analysis?.output_shape)} · {fmtCount(analysis?.total_params ?? 0)} parameters</div>
      </div>
      <h3>Issues</h3>
      {docIssues.length === 0 ? <p className="muted small">{analysis ? "No issues." : "Checking…"}</p> : (
        <ul className="issues-list">
          {docIssues.map((i, k) => (
            <li key={k} onClick={() => i.node && onSelect(i.node)} title="Select this node">
              <strong>{i.node ?? "network"}</strong>{i.field ? `.${i.field}` : ""}: {i.message}
              {(i.expected !== undefined || i.found !== undefined) &&
                ` (expected ${JSON.stringify(i.expected)}, found ${JSON.stringify(i.found)})`}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">Select a node to edit it. Connect nodes by dragging from the bottom dot to the top dot.</p>
    </>
  );
}

/** The right-hand side panel: the selected node's id and parameters, or the network summary. */
export default function NodePanel({ drawing, selectedId, layers, analysis, onEdit, onEditDone, onRename, onSelect }: Props) {
  const node = drawing.doc.nodes.find((n) => n.id === selectedId);
  const nodeIssues = (analysis?.issues ?? []).filter((i) => i.node === selectedId);
  if (selectedId === INPUT_ID) {
    return (
      <aside className="side-panel" aria-label="Properties">
        <h2>Network input</h2>
        <InputShape shape={drawing.doc.input.shape}
                    onChange={(s) => onEdit((d) => ({ ...d, doc: { ...d.doc, input: { shape: s } } }))} />
      </aside>
    );
  }
  if (!node) {
    return <aside className="side-panel" aria-label="Properties"><Summary analysis={analysis} drawing={drawing} onSelect={onSelect} /></aside>;
  }
  const layer = layers.find((l) => l.type === node.type);
  const params = (node.params ?? {}) as Record<string, unknown>;
  const setParams = (p: Record<string, unknown>, field?: string) =>
    onEdit((d) => ({ ...d, doc: { ...d.doc, nodes: d.doc.nodes.map((n) => (n.id === node.id ? { ...n, params: p } : n)) } }),
      field === undefined ? undefined : `${node.id}.${field}`);
  return (
    <aside className="side-panel" aria-label="Properties">
      <h2>{node.type}</h2>
      {layer?.doc && <p className="muted small" style={{ margin: 0 }}>{layer.doc}</p>}
      <IdField id={node.id} taken={drawing.doc.nodes.map((n) => n.id)} onRename={(to) => onRename(node.id, to)} />
      <div className="small">
        Output {fmtShape(analysis?.shapes?.[node.id])} · {fmtCount(analysis?.params?.[node.id] ?? 0)} params
      </div>
      {node.type === "Foundation" ? (
        <>
          <div className="small">Foundation <code>{String(params.ref)}</code>{node.network ? ` · ${node.network.nodes.length} layers inside` : ""}</div>
          <label className="check">
            <input type="checkbox" checked={params.frozen !== false}
                   onChange={(e) => setParams({ ...params, frozen: e.target.checked })} />
            Frozen (its weights are not trained)
          </label>
          <label className="field"><span>Learning-rate multiplier</span>
            <input type="number" step="0.1" min="0" value={String(params.lr_multiplier ?? 1)} disabled={params.frozen !== false}
                   onChange={(e) => setParams({ ...params, lr_multiplier: Number(e.target.value) }, "lr_multiplier")}
                   onBlur={onEditDone} />
          </label>
        </>
      ) : layer ? (
        <ParamsForm schema={layer.params as JsonSchema} values={params} issues={nodeIssues} onChange={setParams}
                    onEditDone={onEditDone} />
      ) : (
        <div className="error-box small">Unknown layer type “{node.type}”.</div>
      )}
      {nodeIssues.length > 0 && (
        <ul className="issues-list">{nodeIssues.map((i, k) => <li key={k}>{i.message}</li>)}</ul>
      )}
    </aside>
  );
}
