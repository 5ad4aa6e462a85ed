import type { Edge, Node } from "@xyflow/react";
import { fmtShape, INPUT_ID, type Analysis, type GNodeData, type NetworkSpec } from "../design/convert";
import { ancestors, blockSummary, childrenOf, representative, shortName, visibleItems, type Hierarchy } from "./hierarchy";

export const LAYER = { width: 200, height: 64 };
export const BLOCK = { width: 230, height: 86 };
const FRAME_HEAD = 26;

export interface BlockData extends Record<string, unknown> {
  key: string;
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
  key: string;
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
  const boxes = layout(h, doc, expanded);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const groupOf = (id: string) => byId.get(id)?.group;
  const nodes: Node[] = [];
  for (const key of frames) {
    const b = h.blocks.get(key)!;
    const box = boxes.get(key);
    if (!box) continue;
    nodes.push({ id: `frame:${b.path}`, type: "frame", position: { x: box.x, y: box.y }, selectable: false,
      draggable: false, zIndex: -1, width: box.width, height: box.height, style: { width: box.width, height: box.height },
      data: { key, path: b.path, label: shortName(h, key, groupOf), layers: b.layers.length, onToggle: actions.onToggle } satisfies FrameData });
  }
  const size = { width: LAYER.width, height: LAYER.height };
  nodes.push({ id: INPUT_ID, type: "layer", position: at(boxes, INPUT_ID), selectable: false, ...fixed(size),
    data: { spec: null, inputShape: doc.input.shape, shape: doc.input.shape, issues: [] } satisfies GNodeData });
  for (const id of items) {
    const b = h.blocks.get(id);
    if (b) {
      const s = blockSummary(analysis, b);
      nodes.push({ id, type: "block", position: at(boxes, id), selectable: false, ...fixed(BLOCK),
        data: { key: id, path: b.path, label: shortName(h, id, groupOf), layers: s.layers, params: s.params, shape: s.shape,
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

const PAD = 12;

/** Each opened block is laid out on its own (its direct children in layers, opened children already sized), then
 * stands as one box of that size in its parent's layout, so a frame holds exactly its contents and nothing overlaps.
 * (dagre took 1.4 s for a 300-layer ResNet with every block open, on this CPU; this takes milliseconds.) */
function layout(h: Hierarchy, doc: NetworkSpec, expanded: Set<string>): HierarchyFlow["boxes"] {
  const boxes: HierarchyFlow["boxes"] = new Map();
  const rel = new Map<string, { x: number; y: number; within: string | null }>();
  const path = new Map(doc.nodes.map((n) => [n.id, [...ancestors(h, n.id), n.id]]));
  const place = (within: string | null, children: string[], depth: number): { width: number; height: number } => {
    const size = new Map<string, { width: number; height: number }>();
    for (const c of children) {
      const b = h.blocks.get(c);
      if (b && expanded.has(c)) {
        const inner = place(c, childrenOf(h, b), b.depth + 1);
        size.set(c, { width: inner.width + 2 * PAD, height: inner.height + FRAME_HEAD + PAD });
      } else size.set(c, b ? BLOCK : LAYER);
    }
    const here = new Set(children);
    const at = (id: string) => (id === INPUT_ID ? INPUT_ID : path.get(id)?.[depth]);
    const into = new Map<string, Set<string>>(children.map((c) => [c, new Set()]));
    for (const n of doc.nodes) for (const src of n.inputs ?? []) {
      const a = at(src), b = at(n.id);
      if (a && b && a !== b && here.has(a) && here.has(b)) into.get(b)!.add(a);
    }
    const pos = layered(children, size, into);
    let right = 0, bottom = 0;
    for (const c of children) {
      const { x, y } = pos.get(c)!;
      const { width, height } = size.get(c)!;
      rel.set(c, { x, y, within });
      right = Math.max(right, x + width);
      bottom = Math.max(bottom, y + height);
      boxes.set(c, { x, y, width, height });
    }
    return { width: right, height: bottom };
  };
  place(null, [INPUT_ID, ...h.top], 0);
  const absolute = (id: string): { x: number; y: number } => {   // a frame's contents sit inside its padding
    const r = rel.get(id)!;
    if (!r.within) return { x: r.x, y: r.y };
    const o = absolute(r.within);
    return { x: o.x + PAD + r.x, y: o.y + FRAME_HEAD + r.y };
  };
  for (const [id, b] of boxes) boxes.set(id, { ...b, ...absolute(id) });
  return boxes;
}

const GAP_X = 30, GAP_Y = 40;

/** Children in network order ranked by their longest path from the level's sources, each rank a row centred
 * on the widest one. */
function layered(children: string[], size: Map<string, { width: number; height: number }>,
                 into: Map<string, Set<string>>): Map<string, { x: number; y: number }> {
  const rank = new Map<string, number>();
  for (const c of children) rank.set(c, Math.max(-1, ...[...into.get(c)!].map((p) => rank.get(p) ?? -1)) + 1);
  const rows: string[][] = [];
  for (const c of children) (rows[rank.get(c)!] ??= []).push(c);
  const widthOf = (row: string[]) => row.reduce((a, c) => a + size.get(c)!.width, 0) + GAP_X * (row.length - 1);
  const widest = Math.max(...rows.map((r) => (r ? widthOf(r) : 0)));
  const out = new Map<string, { x: number; y: number }>();
  let y = 0;
  for (const row of rows) {
    if (!row) continue;
    let x = (widest - widthOf(row)) / 2;
    for (const c of row) { out.set(c, { x: Math.round(x), y }); x += size.get(c)!.width + GAP_X; }
    y += Math.max(...row.map((c) => size.get(c)!.height)) + GAP_Y;
  }
  return out;
}
