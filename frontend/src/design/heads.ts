import type { Analysis } from "../api/client";
import { freshId, type Drawing, type NodeSpec } from "./convert";

/** The nodes nothing reads: a network's outputs when it does not list them. */
export function sinks(d: Drawing): string[] {
  const used = new Set(d.doc.nodes.flatMap((n) => n.inputs ?? []));
  return d.doc.nodes.filter((n) => !used.has(n.id)).map((n) => n.id);
}

/** Another classifier head on a Foundation node: Linear(`classes`) reading the foundation (through a Flatten when
 *  its output is not a vector), listed in `outputs` next to the heads already there. Returns the drawing and the
 *  new head's id; null when the drawing has no Foundation node. */
export function addHead(d: Drawing, classes: number, analysis: Analysis | null, foundationId?: string)
  : { drawing: Drawing; head: string } | null {
  const base = d.doc.nodes.find((n) => n.type === "Foundation" && (!foundationId || n.id === foundationId));
  if (!base) return null;
  const before = d.doc.outputs?.length ? d.doc.outputs : sinks(d);
  const taken = d.doc.nodes.map((n) => n.id);
  const shape = analysis?.shapes?.[base.id];
  const heads = before.length;
  const at = (dx: number, dy: number) => base.position ? { x: base.position.x + dx, y: base.position.y + dy } : null;
  const added: NodeSpec[] = [];
  let from = base.id;
  const flattened = d.doc.nodes.find((n) => n.type === "Flatten" && n.inputs?.length === 1 && n.inputs[0] === base.id);
  if (flattened) from = flattened.id;     // the heads share the foundation's flattened features
  else if (shape && shape.length > 1) {
    const flat = freshId("flatten", taken);
    taken.push(flat);
    added.push({ id: flat, type: "Flatten", params: {}, inputs: [from], position: at(260 * heads, 110) });
    from = flat;
  }
  const head = freshId("head", taken);
  added.push({ id: head, type: "Linear", params: { out_features: classes }, inputs: [from],
               position: at(260 * heads, added.length ? 220 : 110) });
  const outputs = [...before.filter((o) => o !== base.id), head];
  return { drawing: { ...d, doc: { ...d.doc, nodes: [...d.doc.nodes, ...added], outputs } }, head };
}
