import type { ModelDetail } from "../api/client";
import { fmtCount, fmtShape, INPUT_ID, type Analysis, type NetworkSpec } from "../design/convert";

export type CutPoint = NonNullable<ModelDetail["cut_points"]>[number];

export interface Part {
  keep: string[]; // in network order
  input?: number[];
  output?: number[];
  params: number;
  problem: string | null;
}

/** What "Save as foundation" would keep, checked the way the server's slice_network checks it:
 * one input from outside the selection and one output, so the part is a network of its own. */
export function describePart(doc: NetworkSpec, analysis: Analysis | null, selected: Set<string>): Part {
  const order = analysis?.order?.length ? analysis.order : doc.nodes.map((n) => n.id);
  const keep = order.filter((id) => selected.has(id));
  const shapeOf = (id: string) => (id === INPUT_ID ? doc.input.shape : analysis?.shapes?.[id]);
  const params = keep.reduce((a, id) => a + (analysis?.params?.[id] ?? 0), 0);
  if (!keep.length) return { keep, params, problem: null };
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const sources = new Map<string, string[]>(); // outside node -> kept nodes reading it
  for (const id of keep) for (const src of byId.get(id)?.inputs ?? []) {
    if (!selected.has(src)) sources.set(src, [...(sources.get(src) ?? []), id]);
  }
  const consumed = new Set(keep.flatMap((id) => byId.get(id)?.inputs ?? []));
  const outs = keep.filter((id) => !consumed.has(id));
  let problem: string | null = null;
  if (sources.size !== 1) {
    const reads = [...sources].map(([src, readers]) => `${readers.join(", ")} read${readers.length > 1 ? "" : "s"} ${src}`);
    problem = `The selection is not one connected part: it must take exactly one input from outside it, but ${reads.join("; ")}. `
      + "Select the layers in between too.";
  } else if (outs.length !== 1) {
    problem = `The selection must end in one layer; these are not used inside it: ${outs.join(", ")}.`;
  }
  const [source] = [...sources.keys()];
  return { keep, params, problem, input: source ? shapeOf(source) : undefined, output: outs.length === 1 ? shapeOf(outs[0]) : undefined };
}

/** The node and every node it depends on (what double-click selects: "keep everything up to here"). */
export function upTo(doc: NetworkSpec, id: string): Set<string> {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === INPUT_ID || seen.has(cur) || !byId.has(cur)) continue;
    seen.add(cur);
    stack.push(...(byId.get(cur)!.inputs ?? []));
  }
  return seen;
}

export const partLabel = (p: Part) =>
  `${p.keep.length} layer${p.keep.length === 1 ? "" : "s"}: ${p.keep[0]} … ${p.keep[p.keep.length - 1]}`
  + ` · in ${fmtShape(p.input)} → out ${fmtShape(p.output)}`;

/** A suggested cut's tooltip: "before the classifier · out (512) · 11.2M params". */
export const cutTitle = (c: CutPoint) => `${c.label} · out ${fmtShape(c.shape)} · ${fmtCount(c.params)} params`;
