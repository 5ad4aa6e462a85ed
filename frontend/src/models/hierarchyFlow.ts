import dagre from "@dagrejs/dagre";
import type { Edge, Node } from "@xyflow/react";
import { fmtShape, INPUT_ID, type Analysis, type GNodeData, type NetworkSpec } from "../design/convert";
import { blockSummary, representative, shortName, visibleItems, type Hierarchy } from "./hierarchy";

export const LAYER = { width: 200, height: 64 };
export const BLOCK = { width: 230, height: 86 };
const FRAME_HEAD = 26;

export interface BlockData extends Record<string, unknown> {
  path: string;
  label: string;
  layers: number;
  params: number;
  shape?: number[];
  selected: boolean;
  found: boolean;
  onToggle: (path: string) => void;
  onCut: (path: string) => void;
}

export interface FrameData extends Record<string, unknown> {
  path: string;
  label: string;
  layers: number;
  onToggle: (path: string) => void;
}

export interface HierarchyFlow {
  nodes: Node[];
  edges: Edge[];
  boxes: Map<string, { x: number; y: number; width: number; height: number }>;
}

/** Layers and collapsed blocks laid out top to bottom (dagre, with every expanded block a cluster drawn as a frame
 * around its contents, so no two boxes overlap), the edges between what is drawn, each labelled with its shape. */
export function hierarchyFlow(doc: NetworkSpec, analysis: Analysis | null, h: Hierarchy, expanded: Set<string>,
                              selected: Set<string>, found: string | null,
                              actions: { onToggle: (p: string) => void; onCut: (p: string) => void }): HierarchyFlow {
  const { items, frames } = visibleItems(h, expanded);
  const rep = (id: string) => (id === INPUT_ID ? INPUT_ID : representative(h, expanded, id));
  const edges: Edge[] = [];
  const seen = new Set<string>();
  for (const n of doc.nodes) {
    const to = rep(n.id);
    for (const src of n.inputs ?? []) {
      const from = rep(src);
      const key = `${from}->${to}`;
      if (from === to || seen.has(key)) continue;
      seen.add(key);
      const shape = src === INPUT_ID ? doc.input.shape : analysis?.shapes?.[src];
      edges.push({ id: key, source: from, target: to, label: fmtShape(shape), labelBgPadding: [4, 2],
                   labelBgBorderRadius: 3 });
    }
  }
  const boxes = layout(h, items, frames, edges);
  const groupOf = (id: string) => doc.nodes.find((n) => n.id === id)?.group;
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const nodes: Node[] = [];
  for (const path of frames) {
    const b = h.blocks.get(path)!;
    const box = boxes.get(path);
    if (!box) continue;   // the flat fallback layout draws no frames
    nodes.push({ id: `frame:${path}`, type: "frame", position: { x: box.x, y: box.y }, selectable: false,
      draggable: false, zIndex: -1, width: box.width, height: box.height, style: { width: box.width, height: box.height },
      data: { path, label: shortName(h, path, groupOf), layers: b.layers.length, onToggle: actions.onToggle } satisfies FrameData });
  }
  const size = { width: LAYER.width, height: LAYER.height };
  nodes.push({ id: INPUT_ID, type: "layer", position: at(boxes, INPUT_ID), selectable: false, ...fixed(size),
    data: { spec: null, inputShape: doc.input.shape, shape: doc.input.shape, issues: [] } satisfies GNodeData });
  for (const id of items) {
    const b = h.blocks.get(id);
    if (b) {
      const s = blockSummary(analysis, b);
      nodes.push({ id, type: "block", position: at(boxes, id), selectable: false, ...fixed(BLOCK),
        data: { path: id, label: shortName(h, id, groupOf), layers: s.layers, params: s.params, shape: s.shape,
                selected: b.layers.every((l) => selected.has(l)), found: found === id, ...actions } satisfies BlockData });
    } else {
      const spec = byId.get(id)!;
      nodes.push({ id, type: "layer", position: at(boxes, id), selected: selected.has(id), ...fixed(size),
        data: { spec, params: analysis?.params?.[id], shape: analysis?.shapes?.[id] ?? undefined, issues: [],
                label: h.owner.get(id) ? shortName(h, id, groupOf) : undefined, found: found === id } satisfies GNodeData });
    }
  }
  return { nodes, edges, boxes };
}

const fixed = (s: { width: number; height: number }) => ({ width: s.width, height: s.height, measured: s,
  style: { width: s.width, height: s.height } });

function at(boxes: HierarchyFlow["boxes"], id: string) {
  const b = boxes.get(id);
  return b ? { x: b.x, y: b.y } : { x: 0, y: 0 };
}

function layout(h: Hierarchy, items: string[], frames: string[], edges: Edge[]): HierarchyFlow["boxes"] {
  const build = (compound: boolean) => {
    const g = new dagre.graphlib.Graph({ compound });
    g.setGraph({ rankdir: "TB", nodesep: 36, ranksep: 44, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    g.setNode(INPUT_ID, { ...LAYER });
    for (const id of items) g.setNode(id, h.blocks.has(id) ? { ...BLOCK } : { ...LAYER });
    if (compound) {
      for (const f of frames) g.setNode(`frame:${f}`, { label: f, paddingTop: FRAME_HEAD });
      for (const f of frames) {
        const parent = h.blocks.get(f)!.parent;
        if (parent) g.setParent(`frame:${f}`, `frame:${parent}`);
      }
      for (const id of items) {
        const parent = h.blocks.has(id) ? h.blocks.get(id)!.parent : h.owner.get(id) ?? null;
        if (parent) g.setParent(id, `frame:${parent}`);
      }
    }
    for (const e of edges) g.setEdge(e.source, e.target);
    dagre.layout(g);
    return g;
  };
  let g: ReturnType<typeof build>;
  let compound = frames.length > 0;
  try { g = build(compound); } catch { compound = false; g = build(false); }   // a flat layout beats none
  const boxes: HierarchyFlow["boxes"] = new Map();
  for (const id of [INPUT_ID, ...items]) {
    const n = g.node(id);
    boxes.set(id, { x: Math.round(n.x - n.width / 2), y: Math.round(n.y - n.height / 2), width: n.width, height: n.height });
  }
  if (compound) for (const f of frames) {
    const n = g.node(`frame:${f}`);
    // dagre leaves half a rank between a cluster's border and its contents: the frame's title sits there
    boxes.set(f, { x: Math.round(n.x - n.width / 2 - 8), y: Math.round(n.y - n.height / 2 - FRAME_HEAD / 2),
                   width: Math.round(n.width + 16), height: Math.round(n.height + FRAME_HEAD / 2) });
  }
  return boxes;
}
