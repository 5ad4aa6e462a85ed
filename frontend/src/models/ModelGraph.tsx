import { useMemo, useState } from "react";
import { Background, Controls, ReactFlow, ReactFlowProvider, type NodeChange } from "@xyflow/react";
import { send } from "../api/http";
import type { ModelRecord } from "../api/types";
import { fromDocument, INPUT_ID, toFlow } from "../design/convert";
import LayerNode from "../design/LayerNode";
import { laidOut } from "../pages/DesignPage";

const nodeTypes = { layer: LayerNode };

/** A trained model's network, read-only; select layers (Shift/Ctrl-click or drag a box) to keep as a foundation. */
export default function ModelGraph({ model, onSliced }: { model: ModelRecord; onSliced: (f: ModelRecord) => void }) {
  const drawing = useMemo(() => {
    const doc = model.spec!;
    return doc.nodes.every((n) => n.position) ? fromDocument(doc) : laidOut(doc);
  }, [model]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [name, setName] = useState(`${model.name}-foundation`);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { nodes, edges } = useMemo(() => toFlow(drawing, model.analysis ?? null, selected), [drawing, model, selected]);
  const onNodesChange = (changes: NodeChange[]) => setSelected((s) => {
    const n = new Set(s);
    for (const c of changes) if (c.type === "select" && c.id !== INPUT_ID) (c.selected ? n.add(c.id) : n.delete(c.id));
    return n;
  });
  const order = model.analysis?.order ?? drawing.doc.nodes.map((n) => n.id);
  const keep = order.filter((id) => selected.has(id));

  const slice = async () => {
    setBusy(true);
    setError(null);
    try {
      onSliced(await send<ModelRecord>("POST", `/models/${model.id}/slice`, { nodes: keep, name }));
      setSelected(new Set());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card list" style={{ gap: 8 }}>
      <div className="page-head">
        <h2 style={{ margin: 0 }}>Network</h2>
        <span className="small muted">Shift-click or Shift-drag to select layers, then save them as a foundation.</span>
        <div className="grow" />
        <button className="ghost" onClick={() => setSelected(new Set(order))}>Select all</button>
        <input aria-label="Foundation name" value={name} onChange={(e) => setName(e.target.value)} style={{ width: 180 }} />
        <button className="primary" disabled={keep.length === 0 || busy || !name} onClick={() => void slice()}>
          Save as foundation ({keep.length} layer{keep.length === 1 ? "" : "s"})
        </button>
      </div>
      {error && <div className="error-box small" role="alert">{error}</div>}
      <div style={{ height: 440 }}>
        <ReactFlowProvider>
          <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange}
                     nodesDraggable={false} nodesConnectable={false} deleteKeyCode={null} selectionOnDrag={false}
                     multiSelectionKeyCode={["Shift", "Meta", "Control"]} fitView proOptions={{ hideAttribution: true }}>
            <Background gap={20} /><Controls showInteractive={false} />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
    </div>
  );
}
