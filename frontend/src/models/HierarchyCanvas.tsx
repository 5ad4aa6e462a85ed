import { useCallback, useEffect, useMemo, useState } from "react";
import { Background, Controls, ReactFlow, useReactFlow, type NodeChange } from "@xyflow/react";
import { INPUT_ID, type Analysis, type NetworkSpec } from "../design/convert";
import LayerNode from "../design/LayerNode";
import { BlockNode, FrameNode } from "./BlockNodes";
import { ancestors, buildHierarchy, initialExpanded, representative, search } from "./hierarchy";
import { hierarchyFlow } from "./hierarchyFlow";
import { upTo } from "./slicePart";

const nodeTypes = { layer: LayerNode, block: BlockNode, frame: FrameNode };
const MANY = 150;   // drawn items: above this only those in view are rendered, so panning stays smooth

export interface Focus { id: string; reveal: boolean; seq: number }

/** An imported model by its module hierarchy: stages and blocks as boxes that open on a click (their frame's
 * title closes them), a search that opens a layer's blocks and centres it, shapes on every edge. The wheel
 * scrolls the page; Ctrl+wheel or the controls zoom. */
export default function HierarchyCanvas({ doc, analysis, selected, setSelected, focus, height }: {
  doc: NetworkSpec; analysis: Analysis | null; selected: Set<string>;
  setSelected: (f: (s: Set<string>) => Set<string>) => void; focus: Focus | null; height: number;
}) {
  const h = useMemo(() => buildHierarchy(doc), [doc]);
  const [expanded, setExpanded] = useState(() => initialExpanded(h));
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<string | null>(null);
  const [miss, setMiss] = useState(false);
  const [centre, setCentre] = useState<Focus | null>(null);
  const flow = useReactFlow();

  const toggle = useCallback((path: string) => {
    setExpanded((e) => {
      const n = new Set(e);
      if (n.has(path)) for (const p of n) { if (p === path || p.startsWith(`${path}.`)) n.delete(p); }
      else n.add(path);
      return n;
    });
    setCentre((c) => ({ id: path, reveal: false, seq: (c?.seq ?? 0) + 1 }));
  }, []);
  const cut = useCallback((path: string) => setSelected(() => upTo(doc, h.blocks.get(path)!.out)), [doc, h, setSelected]);
  const { nodes, edges, boxes } = useMemo(() => hierarchyFlow(doc, analysis, h, expanded, selected, found,
    { onToggle: toggle, onCut: cut }), [doc, analysis, h, expanded, selected, found, toggle, cut]);

  useEffect(() => { if (focus) setCentre(focus); }, [focus]);
  useEffect(() => {   // open what hides the target first; centre it once it has a box in the new layout
    if (!centre) return;
    if (centre.reveal) {
      const hidden = ancestors(h, centre.id).filter((b) => !expanded.has(b));
      if (hidden.length) { setExpanded((e) => new Set([...e, ...hidden])); return; }
    }
    const id = h.blocks.has(centre.id) && expanded.has(centre.id) ? centre.id
      : centre.id === INPUT_ID ? INPUT_ID : representative(h, expanded, centre.id);
    const box = boxes.get(id);
    if (box) void flow.setCenter(box.x + box.width / 2, box.y + Math.min(box.height, height * 0.8) / 2,
      { zoom: Math.max(flow.getZoom(), 0.8), duration: 300 });
    setCentre(null);
  }, [centre, boxes, expanded, h, flow, height]);

  const find = () => {
    const hits = search(doc, h, query);
    setMiss(!hits.length);
    if (!hits.length) return;
    const at = found ? hits.indexOf(found) : -1;   // Enter again: the next hit
    const next = hits[(at + 1) % hits.length];
    setFound(next);
    setCentre((c) => ({ id: next, reveal: true, seq: (c?.seq ?? 0) + 1 }));
  };

  const onNodesChange = (changes: NodeChange[]) => {
    if (!changes.some((c) => c.type === "select")) return;
    setSelected((s) => {
      const n = new Set(s);
      for (const c of changes) if (c.type === "select" && h.owner.has(c.id)) (c.selected ? n.add(c.id) : n.delete(c.id));
      return n;
    });
  };
  const all = [...h.blocks.keys()];
  // open on the top of the network at a readable size (a ResNet drawn whole is a thin column of specks)
  const fit = useMemo(() => ({ padding: 0.05, maxZoom: 1, nodes: nodes.filter((n) => n.type !== "frame").slice(0, 6)
    .map((n) => ({ id: n.id })) }), []);   // eslint-disable-line react-hooks/exhaustive-deps -- the first view only
  return (
    <>
      <div className="model-tools">
        <input type="search" aria-label="Find a layer" placeholder="Find a layer: id, type or module (Enter)"
               value={query} onChange={(e) => { setQuery(e.target.value); setMiss(false); }}
               onKeyDown={(e) => e.key === "Enter" && find()} style={{ width: 300 }} />
        <button onClick={find} disabled={!query.trim()}>Find</button>
        {miss && <span className="small muted" role="status">No layer, type or module matches “{query.trim()}”.</span>}
        <div className="grow" />
        <span className="small muted">{h.blocks.size} blocks · click a block to open it · Ctrl+wheel zooms</span>
        <button className="ghost" onClick={() => setExpanded(new Set(all))} disabled={expanded.size === all.length}>Open all</button>
        <button className="ghost" onClick={() => setExpanded(initialExpanded(h))}>Overview</button>
      </div>
      <div style={{ height }} className="model-canvas" data-testid="hierarchy-canvas">
        <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange}
                   onNodeClick={(e, n) => e.detail === 2 && h.owner.has(n.id) && setSelected(() => upTo(doc, n.id))}
                   nodesDraggable={false} nodesConnectable={false} deleteKeyCode={null} selectionOnDrag={false}
                   zoomOnDoubleClick={false} zoomOnScroll={false} preventScrolling={false}
                   multiSelectionKeyCode={["Shift", "Meta", "Control"]} onlyRenderVisibleElements={nodes.length > MANY}
                   fitView fitViewOptions={fit} minZoom={0.05} proOptions={{ hideAttribution: true }}>
          <Background gap={20} /><Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </>
  );
}
