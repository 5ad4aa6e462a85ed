import { useMemo, useState } from "react";
import { Background, Controls, ReactFlow, ReactFlowProvider, type NodeChange } from "@xyflow/react";
import { api, call, type ModelDetail, type ModelRecord } from "../api/client";
import { asNetwork, fmtCount, fromDocument, INPUT_ID, toFlow } from "../design/convert";
import LayerNode from "../design/LayerNode";
import { isChain, rowLayout } from "../design/layout";
import { useMeasured } from "../design/useMeasured";
import { laidOut } from "../pages/DesignPage";
import CutChips from "./CutChips";
import HierarchyCanvas, { type Focus } from "./HierarchyCanvas";
import { describePart, partLabel, upTo } from "./slicePart";

const nodeTypes = { layer: LayerNode };
const PER_ROW = 4;
const BIG = 30;   // layers: above this the view opens on the first ones at a readable zoom; pan down for the rest

/** A trained model's network, read-only; select layers (click, Shift-click, Shift-drag, double-click) to keep
 * as a foundation. The selection is checked here first, so a part that cannot stand alone says why. An imported
 * model (its nodes carry module paths) is drawn by its hierarchy; the wheel scrolls the page, Ctrl+wheel zooms. */
export default function ModelGraph({ model, onSliced }: { model: ModelDetail; onSliced: (f: ModelRecord) => void }) {
  const doc = useMemo(() => asNetwork(model.spec), [model.spec]);
  const grouped = useMemo(() => doc.nodes.some((n) => n.group), [doc]);
  const [focus, setFocus] = useState<Focus | null>(null);
  const chain = isChain(doc);
  const drawing = useMemo(() => {
    if (grouped) return fromDocument({ ...doc, nodes: [] });   // HierarchyCanvas lays it out (dagre over 300 layers: 1.5 s)
    if (!chain) return laidOut(doc);
    const { inputPosition, ...rest } = rowLayout(fromDocument(doc).doc, PER_ROW);
    return { doc: rest, inputPosition };
  }, [doc, chain, grouped]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [measured, onMeasured] = useMeasured();
  const [name, setName] = useState(`${model.name}-foundation`);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const analysis = model.analysis;
  const { nodes, edges } = useMemo(() => toFlow(drawing, analysis, selected, { measured, horizontal: chain }),
    [drawing, analysis, selected, measured, chain]);
  const onNodesChange = (changes: NodeChange[]) => {
    onMeasured(changes);
    if (!changes.some((c) => c.type === "select")) return;
    setSelected((s) => {
      const n = new Set(s);
      for (const c of changes) if (c.type === "select" && c.id !== INPUT_ID) (c.selected ? n.add(c.id) : n.delete(c.id));
      return n;
    });
    setError(null);
  };
  const part = describePart(doc, analysis, selected);
  const rows = Math.ceil((doc.nodes.length + 1) / PER_ROW);
  const big = doc.nodes.length > BIG;
  const height = grouped ? 640 : chain ? Math.min(520, Math.max(260, rows * 130 + 60)) : big ? 720 : 520;
  const fit = useMemo(() => ({ padding: 0.08, maxZoom: 1,
    nodes: big ? [{ id: INPUT_ID }, ...doc.nodes.slice(0, 8).map((n) => ({ id: n.id }))] : undefined }), [big, doc]);

  const slice = async () => {
    setBusy(true);
    setError(null);
    try {
      onSliced(await call(api.POST("/api/models/{id}/slice", { params: { path: { id: model.id } }, body: { nodes: part.keep, name } })));
      setSelected(new Set());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <ReactFlowProvider>
      <section className="card list" style={{ gap: 8 }} aria-label="Network">
        <div className="page-head">
          <h2 style={{ margin: 0 }}>Network</h2>
          <span className="small muted">{doc.nodes.length} layers · {fmtCount(analysis?.total_params)} params</span>
          <div className="grow" />
          <button className="ghost" onClick={() => setSelected(new Set(doc.nodes.map((n) => n.id)))}>Select all</button>
          <button className="ghost" disabled={!selected.size} onClick={() => setSelected(new Set())}>Clear</button>
        </div>
        <div className={`slice-bar ${part.problem ? "bad" : ""}`} data-testid="slice-summary" aria-live="polite">
          <div className="slice-text">{!part.keep.length ? (
            <span><strong>Select the layers to keep</strong> as a foundation: click a layer, Shift-click to add more,
              Shift-drag to draw a box, or double-click a layer to keep everything up to it.</span>
          ) : part.problem ? <span role="alert">{part.problem}</span>
            : <span>Keep <strong>{partLabel(part)}</strong> · {fmtCount(part.params)} params</span>}</div>
          <input aria-label="Foundation name" value={name} onChange={(e) => setName(e.target.value)} style={{ width: 200 }} />
          <button className="primary" disabled={!part.keep.length || !!part.problem || busy || !name} onClick={() => void slice()}>
            {busy ? "Saving…" : "Save as foundation"}
          </button>
        </div>
        {error && <div className="error-box small" role="alert">{error}</div>}
        <CutChips cuts={model.cut_points ?? []} onPick={(id) => { setSelected(upTo(doc, id)); setError(null); }}
                  onFocus={grouped ? (id) => setFocus((f) => ({ id, reveal: false, seq: (f?.seq ?? 0) + 1 })) : undefined} />
        {grouped ? <HierarchyCanvas doc={doc} analysis={analysis} selected={selected} focus={focus} height={height}
                                    setSelected={(f) => { setSelected(f); setError(null); }} />
        : <div style={{ height }} className="model-canvas">
          <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange}
                     onNodeClick={(e, n) => // the click count, not onNodeDoubleClick: that one is lost when React Flow re-renders between clicks
                        e.detail === 2 && n.id !== INPUT_ID && setSelected(upTo(doc, n.id))}
                     nodesDraggable={false} nodesConnectable={false} deleteKeyCode={null} selectionOnDrag={false}
                     zoomOnDoubleClick={false} zoomOnScroll={false} preventScrolling={false} multiSelectionKeyCode={["Shift", "Meta", "Control"]}
                     fitView fitViewOptions={fit} minZoom={0.05} proOptions={{ hideAttribution: true }}>
            <Background gap={20} /><Controls showInteractive={false} />
          </ReactFlow>
        </div>}
      </section>
    </ReactFlowProvider>
  );
}
