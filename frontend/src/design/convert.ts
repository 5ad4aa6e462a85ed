import type { Edge, Node } from "@xyflow/react";
import type { Analysis, Issue } from "../api/client";
import type { Measured } from "./useMeasured";

export type { Analysis };

// The network document (graft.network/v1) as the canvas edits it. The API carries networks as free JSON
// objects (the server validates them and answers with an Analysis), so its schema does not name these fields.
export interface NodeSpec {
  id: string;
  type: string;
  params?: Record<string, unknown>;
  inputs?: string[];
  network?: NetworkSpec | null;
  position?: { x: number; y: number } | null;
  group?: string | null; // the module path an imported node came from (the canvas draws blocks from it)
}

export interface NetworkSpec {
  format?: string;
  name?: string;
  description?: string;
  input: { shape: number[] };
  nodes: NodeSpec[];
  outputs?: string[] | null;
}

/** A network document the server sent as a free object (a template's, a saved network's, a model's spec). */
export const asNetwork = (doc: { [key: string]: unknown }) => doc as unknown as NetworkSpec;

export const INPUT_ID = "input";
export const ID_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** What the canvas edits: the network document plus where the input node sits. */
export interface Drawing {
  doc: NetworkSpec;
  inputPosition: { x: number; y: number };
}

export interface GNodeData extends Record<string, unknown> {
  spec: NodeSpec | null; // null for the network input
  inputShape?: number[];
  params?: number;
  shape?: number[];
  issues: Issue[];
  horizontal?: boolean; // handles left/right (the read-only model graph lays layers out in rows)
  label?: string; // shown instead of the id (a layer inside a block: its name there)
  found?: boolean; // the search's hit
}

export interface FlowOptions {
  measured?: Measured;
  horizontal?: boolean;
}

export const emptyDrawing = (): Drawing => ({
  doc: { format: "graft.network/v1", name: "untitled", input: { shape: [1, 28, 28] }, nodes: [] },
  inputPosition: { x: 0, y: 0 },
});

export function fmtShape(shape: number[] | undefined | null): string {
  return shape ? `(${shape.join(", ")})` : "?";
}

export function fmtCount(n: number | undefined | null): string {
  if (n === undefined || n === null) return "";
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString("en-US");
}

/** A fresh id like conv2d_3 that is not taken. */
export function freshId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = type.toLowerCase().replace(/[^a-z0-9_]/g, "_").replace(/^([0-9])/, "_$1") || "node";
  for (let i = 1; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}

export function toFlow(d: Drawing, analysis: Analysis | null, selected: Set<string>, opts: FlowOptions = {})
  : { nodes: Node<GNodeData>[]; edges: Edge[] } {
  const { measured = {}, horizontal = false } = opts;
  const issuesOf = (id: string) => (analysis?.issues ?? []).filter((i) => i.node === id);
  const shapeOf = (id: string) => (id === INPUT_ID ? d.doc.input.shape : analysis?.shapes?.[id]);
  const nodes: Node<GNodeData>[] = [
    {
      id: INPUT_ID, type: "layer", position: d.inputPosition, deletable: false,
      selected: selected.has(INPUT_ID), measured: measured[INPUT_ID],
      data: { spec: null, inputShape: d.doc.input.shape, shape: d.doc.input.shape, issues: issuesOf(INPUT_ID), horizontal },
    },
    ...d.doc.nodes.map((n, i) => ({
      id: n.id, type: "layer", selected: selected.has(n.id), measured: measured[n.id],
      position: n.position ?? { x: 0, y: 100 * (i + 1) },
      data: { spec: n, params: analysis?.params?.[n.id], shape: analysis?.shapes?.[n.id], issues: issuesOf(n.id), horizontal },
    })),
  ];
  const edges: Edge[] = [];
  for (const n of d.doc.nodes) {
    (n.inputs ?? []).forEach((src, port) => {
      const bad = (analysis?.issues ?? []).some((i) => i.node === n.id && i.port === port);
      edges.push({
        id: `${src}->${n.id}#${port}`, source: src, target: n.id, type: horizontal ? "smoothstep" : undefined,
        label: fmtShape(shapeOf(src)), labelBgPadding: [4, 2], labelBgBorderRadius: 3,
        style: bad ? { stroke: "var(--danger)", strokeWidth: 2 } : undefined,
        selected: selected.has(`${src}->${n.id}#${port}`),
      });
    });
  }
  return { nodes, edges };
}

export function updateNode(d: Drawing, id: string, f: (n: NodeSpec) => NodeSpec): Drawing {
  return { ...d, doc: { ...d.doc, nodes: d.doc.nodes.map((n) => (n.id === id ? f(n) : n)) } };
}

/** Remove nodes and every reference to them. */
export function removeNodes(d: Drawing, ids: Set<string>): Drawing {
  const nodes = d.doc.nodes.filter((n) => !ids.has(n.id))
    .map((n) => ({ ...n, inputs: (n.inputs ?? []).filter((s) => !ids.has(s)) }));
  const outputs = d.doc.outputs?.filter((o) => !ids.has(o));
  return { ...d, doc: { ...d.doc, nodes, outputs: outputs?.length ? outputs : undefined } };
}

export function removeEdges(d: Drawing, edgeIds: Set<string>): Drawing {
  const nodes = d.doc.nodes.map((n) => ({
    ...n, inputs: (n.inputs ?? []).filter((src, port) => !edgeIds.has(`${src}->${n.id}#${port}`)),
  }));
  return { ...d, doc: { ...d.doc, nodes } };
}

/** Rename a node and every input/output that refers to it. */
export function renameNode(d: Drawing, from: string, to: string): Drawing {
  const nodes = d.doc.nodes.map((n) => ({
    ...n, id: n.id === from ? to : n.id, inputs: (n.inputs ?? []).map((s) => (s === from ? to : s)),
  }));
  return { ...d, doc: { ...d.doc, nodes, outputs: d.doc.outputs?.map((o) => (o === from ? to : o)) } };
}

/** The document sent to the server: positions stay (the engine ignores them), empty outputs dropped. */
export function toDocument(d: Drawing): NetworkSpec {
  const doc: NetworkSpec = { ...d.doc, nodes: d.doc.nodes.map((n) => ({ ...n, params: n.params ?? {} })) };
  if (!doc.outputs?.length) delete doc.outputs;
  return doc;
}

export function fromDocument(doc: NetworkSpec): Drawing {
  const nodes = (doc.nodes ?? []).map((n) => ({ ...n, inputs: n.inputs ?? [], params: n.params ?? {} }));
  return { doc: { ...doc, nodes }, inputPosition: { x: 0, y: 0 } };
}
