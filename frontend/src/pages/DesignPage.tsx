import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow,
  type Connection, type Edge, type EdgeChange, type Node, type NodeChange,
} from "@xyflow/react";
import type { ModelRecord } from "../api/client";
import {
  emptyDrawing, fromDocument, freshId, INPUT_ID, removeEdges, removeNodes, renameNode, toDocument, toFlow,
  type Drawing, type NodeSpec,
} from "../design/convert";
import { appendPosition, autoLayout, NODE_SIZE } from "../design/layout";
import LayerNode from "../design/LayerNode";
import NodePanel from "../design/NodePanel";
import Palette, { DND_TYPE } from "../design/Palette";
import DesignToolbar from "../design/DesignToolbar";
import { addHead } from "../design/heads";
import { useHistory } from "../design/useHistory";
import { useMeasured } from "../design/useMeasured";
import { fetchModelSpec, useAnalysis, useCatalog } from "../design/useDesignerData";
import type { Navigate } from "../hooks/useHashRoute";

const nodeTypes = { layer: LayerNode };
export const DRAFT_KEY = "graft-draft";

function loadDraft(): Drawing {
  try {
    const d = JSON.parse(localStorage.getItem(DRAFT_KEY) ?? "null");
    if (d?.doc?.input && Array.isArray(d.doc.nodes)) return d;
  } catch { /* a broken draft is dropped */ }
  return emptyDrawing();
}

export function laidOut(doc: Drawing["doc"]): Drawing {
  const l = autoLayout(fromDocument(doc).doc);
  const { inputPosition, ...rest } = l;
  return { doc: rest, inputPosition };
}

function Designer({ param, navigate }: { param?: string; navigate: Navigate }) {
  const h = useHistory<Drawing>(loadDraft());
  const drawing = h.state;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [savedId, setSavedId] = useState<string | null>(param ?? null);
  const [message, setMessage] = useState<string | null>(null);
  const catalog = useCatalog();
  const doc = useMemo(() => toDocument(drawing), [drawing]);
  const { analysis, error: analyzeError, pending } = useAnalysis(doc);
  const flow = useReactFlow();
  const [measured, onMeasured] = useMeasured();
  // The drawing as last saved or opened (null: never, so any layer is unsaved work): New, Template and Open ask first.
  const clean = useRef<Drawing | null>(null);
  const confirmDrop = useCallback(() => {
    const dirty = drawing.doc.nodes.length > 0 && drawing !== clean.current;
    return !dirty || window.confirm(`“${drawing.doc.name ?? "untitled"}” has unsaved changes. Drop them?`);
  }, [drawing]);

  useEffect(() => localStorage.setItem(DRAFT_KEY, JSON.stringify(drawing)), [drawing]);
  // a loaded document counts as saved once it is the present drawing
  const pendingClean = useRef(false);
  useEffect(() => {
    if (pendingClean.current) { clean.current = drawing; pendingClean.current = false; }
  }, [drawing]);

  const { nodes, edges } = useMemo(() => toFlow(drawing, analysis, selected, { measured }), [drawing, analysis, selected, measured]);
  const selectedNode = selected.size === 1 ? [...selected][0] : null;

  const addNode = useCallback(async (type: string, foundation?: ModelRecord, at?: { x: number; y: number }) => {
    let network: NodeSpec["network"];
    if (foundation) {
      try { network = await fetchModelSpec(foundation.id); } catch (e) { setMessage(`Foundation ${foundation.id}: ${(e as Error).message}`); return; }
    }
    h.set((d) => {
      const id = freshId(foundation ? "base" : type, d.doc.nodes.map((n) => n.id));
      const after = [...selected].find((s) => s === INPUT_ID || d.doc.nodes.some((n) => n.id === s))
        ?? d.doc.nodes[d.doc.nodes.length - 1]?.id ?? INPUT_ID;
      const node: NodeSpec = {
        id, type,
        params: foundation ? { ref: foundation.id, frozen: true, lr_multiplier: 1 } : {},
        inputs: at ? [] : [after],
        position: at ?? appendPosition(d.doc, d.inputPosition, after, measured),
        ...(network ? { network } : {}),
      };
      setSelected(new Set([id]));
      return { ...d, doc: { ...d.doc, nodes: [...d.doc.nodes, node] } };
    });
    // an appended node lands below the last one, often out of view: bring the whole network back in
    if (!at) window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }), 60);
  }, [h, selected, flow, measured]);

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    onMeasured(changes);
    let sel: Set<string> | null = null;
    for (const c of changes) {
      if (c.type === "select") {
        sel = sel ?? new Set(selected);
        if (c.selected) sel.add(c.id); else sel.delete(c.id);
      }
      if (c.type === "position" && c.position) {
        const pos = c.position;
        h.replace((d) => c.id === INPUT_ID ? { ...d, inputPosition: pos }
          : { ...d, doc: { ...d.doc, nodes: d.doc.nodes.map((n) => (n.id === c.id ? { ...n, position: pos } : n)) } });
      }
    }
    if (sel) setSelected(sel);
  }, [h, selected, onMeasured]);

  // Deleting is one undo step: the nodes and every edge going with them (onNodesChange and onEdgesChange would
  // each report their half, two steps)
  const onDelete = useCallback(({ nodes: ns, edges: es }: { nodes: Node[]; edges: Edge[] }) => {
    const nodeIds = new Set(ns.map((n) => n.id).filter((id) => id !== INPUT_ID));
    const edgeIds = new Set(es.map((e) => e.id));
    if (nodeIds.size || edgeIds.size) h.set((d) => removeNodes(removeEdges(d, edgeIds), nodeIds));
    setSelected((s) => new Set([...s].filter((id) => !nodeIds.has(id) && !edgeIds.has(id))));
  }, [h]);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const sel = changes.filter((c) => c.type === "select");
    if (sel.length) setSelected((s) => {
      const n = new Set(s);
      for (const c of sel) if (c.type === "select") (c.selected ? n.add(c.id) : n.delete(c.id));
      return n;
    });
  }, [h]);

  const onConnect = useCallback((c: Connection) => {
    if (!c.source || !c.target || c.source === c.target) return;
    h.set((d) => ({
      ...d,
      doc: { ...d.doc, nodes: d.doc.nodes.map((n) => n.id === c.target ? { ...n, inputs: [...(n.inputs ?? []), c.source!] } : n) },
    }));
  }, [h]);

  const hasFoundation = drawing.doc.nodes.some((n) => n.type === "Foundation");
  const onAddHead = useCallback(() => {
    const answer = window.prompt("Classes of the new head (one score each):", "2");
    if (answer === null) return;
    const classes = Number(answer);
    if (!Number.isInteger(classes) || classes < 1) { setMessage(`Classes must be a whole number above 0, found “${answer}”.`); return; }
    const out = addHead(drawing, classes, analysis);
    if (!out) return;
    h.set(out.drawing);
    setSelected(new Set([out.head]));
    setMessage(`Added head ${out.head}: outputs ${out.drawing.doc.outputs!.join(", ")}.`);
    window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }), 60);
  }, [drawing, analysis, h, flow]);

  const layout = useCallback(() => {
    h.set((d) => ({ ...laidOut(d.doc), doc: { ...laidOut(d.doc).doc, name: d.doc.name } }));
    window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
  }, [h, flow]);

  const load = useCallback((docIn: Drawing["doc"], id: string | null) => {
    const hasPositions = docIn.nodes.every((n) => n.position);
    h.set(hasPositions ? fromDocument(docIn) : laidOut(docIn));
    setSavedId(id);
    setSelected(new Set());
    pendingClean.current = true;
    window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
  }, [h, flow]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest("input, textarea, select")) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === "z") { e.preventDefault(); (e.shiftKey ? h.redo : h.undo)(); }
      else if (mod && e.key.toLowerCase() === "y") { e.preventDefault(); h.redo(); }
      else if (!mod && e.shiftKey && e.key.toLowerCase() === "l") { e.preventDefault(); layout(); }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [h, layout]);

  const onDrop = useCallback((e: React.DragEvent) => {
    const raw = e.dataTransfer.getData(DND_TYPE);
    if (!raw) return;
    e.preventDefault();
    const { type, id } = JSON.parse(raw) as { type: string; id?: string };
    const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const at = { x: Math.round(p.x - NODE_SIZE.width / 2), y: Math.round(p.y - NODE_SIZE.height / 2) }; // centred at the cursor
    const f = id ? catalog.foundations.find((m) => m.id === id) : undefined;
    void addNode(type, f, at);
  }, [flow, addNode, catalog.foundations]);

  return (
    <div className="page-full">
      <DesignToolbar
        drawing={drawing} doc={doc} savedId={savedId} templates={catalog.templates}
        canUndo={h.canUndo} canRedo={h.canRedo} onUndo={h.undo} onRedo={h.redo} onLayout={layout}
        onRename={(name) => h.set((d) => ({ ...d, doc: { ...d.doc, name } }))}
        onLoad={load} onSaved={(id) => { setSavedId(id); clean.current = drawing; }} onNew={() => load(emptyDrawing().doc, null)}
        confirmDrop={confirmDrop}
        onMessage={setMessage} onTrain={() => navigate("train", savedId ?? undefined)}
        onAddHead={hasFoundation ? onAddHead : undefined}
        analysis={analysis} pending={pending} analyzeError={analyzeError} message={message}
      />
      <div className="designer">
        <Palette layers={catalog.layers} foundations={catalog.foundations} error={catalog.layersError}
                 onAdd={(t, f) => void addNode(t, f)} />
        <div className="canvas" onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }} onDrop={onDrop}>
          <ReactFlow
            nodes={nodes} edges={edges} nodeTypes={nodeTypes}
            onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onConnect={onConnect} onDelete={onDelete}
            onNodeDragStart={() => h.checkpoint()} deleteKeyCode={["Delete", "Backspace"]}
            multiSelectionKeyCode={["Shift", "Meta", "Control"]}
            fitView fitViewOptions={{ padding: 0.2, maxZoom: 1, minZoom: 0.5 }} proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} />
            <Controls showInteractive={false} />
            {drawing.doc.nodes.length > 0 && <MiniMap pannable zoomable />}
          </ReactFlow>
          {drawing.doc.nodes.length === 0 && (
            <div className="canvas-hint"><div>
              <strong>Start a network</strong>
              <p className="muted">Drag a layer from the palette or start from a template (MLP, LeNet-5, the
                example CNN) in the toolbar. Double-click a palette entry to append it after the selected node.</p>
              <p className="muted small">To graft, add a trained foundation from “Foundations” in the palette:
                it becomes one block, and the layers you add after it form the new head.</p>
            </div></div>
          )}
        </div>
        <NodePanel drawing={drawing} selectedId={selectedNode} layers={catalog.layers} analysis={analysis}
                   onEdit={h.set} onEditDone={h.seal} onRename={(from, to) => { h.set((d) => renameNode(d, from, to)); setSelected(new Set([to])); }}
                   onSelect={(id) => setSelected(new Set([id]))} />
      </div>
    </div>
  );
}

export default function DesignPage(props: { param?: string; navigate: Navigate }) {
  return <ReactFlowProvider><Designer {...props} /></ReactFlowProvider>;
}
