import dagre from "@dagrejs/dagre";
import { INPUT_ID, type NetworkSpec } from "./convert";

const NODE_W = 190;
const NODE_H = 70;

/** Top-to-bottom layered layout of the network (dagre); returns the doc with every node positioned. */
export function autoLayout(doc: NetworkSpec): NetworkSpec & { inputPosition: { x: number; y: number } } {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 50 });
  g.setDefaultEdgeLabel(() => ({}));
  g.setNode(INPUT_ID, { width: NODE_W, height: NODE_H });
  for (const n of doc.nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const n of doc.nodes) {
    for (const src of n.inputs ?? []) if (g.hasNode(src)) g.setEdge(src, n.id);
  }
  dagre.layout(g);
  const at = (id: string) => {
    const p = g.node(id);
    return { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - NODE_H / 2) };
  };
  return {
    ...doc,
    nodes: doc.nodes.map((n) => ({ ...n, position: at(n.id) })),
    inputPosition: at(INPUT_ID),
  };
}

/** True when every node reads only the node before it (the first reads the input): a plain stack of layers. */
export function isChain(doc: NetworkSpec): boolean {
  return doc.nodes.every((n, i) => (n.inputs ?? []).length === 1 && n.inputs![0] === (i ? doc.nodes[i - 1].id : INPUT_ID));
}

/** A chain laid out in reading order, `perRow` layers a row, so a whole network fits a wide card readably. */
export function rowLayout(doc: NetworkSpec, perRow = 4): NetworkSpec & { inputPosition: { x: number; y: number } } {
  const at = (i: number) => ({ x: (i % perRow) * (NODE_W + 60), y: Math.floor(i / perRow) * (NODE_H + 50) });
  return { ...doc, nodes: doc.nodes.map((n, i) => ({ ...n, position: at(i + 1) })), inputPosition: at(0) };
}

export const NODE_SIZE = { width: NODE_W, height: NODE_H };
const GAP_X = 40;
const GAP_Y = 50;

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width + 10 && b.x < a.x + a.width + 10 && a.y < b.y + b.height + 10 && b.y < a.y + a.height + 10;

/** Where a node appended after `after` goes: below it, or, when `after` already feeds a node, beside that
 * node (a new branch), moved right until it overlaps no node. `sizes`: the nodes' measured sizes. */
export function appendPosition(doc: NetworkSpec, inputPosition: { x: number; y: number }, after: string,
                               sizes: Record<string, { width: number; height: number }> = {}): { x: number; y: number } {
  const posOf = (id: string) => (id === INPUT_ID ? inputPosition : doc.nodes.find((n) => n.id === id)?.position) ?? { x: 0, y: 0 };
  const box = (id: string): Box => ({ ...posOf(id), ...NODE_SIZE, ...sizes[id] });
  const a = box(after);
  let at = { x: a.x, y: a.y + a.height + GAP_Y };
  const boxes = [box(INPUT_ID), ...doc.nodes.map((n) => box(n.id))];
  for (let i = 0; i < 200 && boxes.some((b) => overlaps(b, { ...at, ...NODE_SIZE })); i++) at = { x: at.x + NODE_W + GAP_X, y: at.y };
  return at;
}
