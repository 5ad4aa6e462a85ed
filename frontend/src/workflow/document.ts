// The workflow document as the canvas edits it: every edit goes through the `yaml` Document of the text (so the
// user's comments, key order and layout survive) and comes back as text, the one source of truth.
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLSeq } from "yaml";

/** Writes the text back as it was read: no folding of long lines, `{step: a}` not `{ step: a }`. */
const FORMAT = { lineWidth: 0, flowCollectionPadding: false } as const;

/** A fresh workflow's text: what "New" opens on the canvas. */
export const EMPTY_WORKFLOW = "format: graft.workflow/v1\nname: my-workflow\nsteps: []\n";

export type Path = (string | number)[];
export interface Step { name: string; kind: string; index: number; value: Record<string, unknown> }
/** `target`'s field at `path` refers to step `source` (`model: {step: source}`, `data: {step: ...}`, a Foundation ref). */
export interface Link { source: string; target: string; path: Path }
export interface ParseError { message: string; line: number | null }
/** What a step kind makes (GET /api/workflow-steps `result`): model, dataset, evaluation or view. */
export type ResultOf = (kind: string) => string | undefined;

export function parseWorkflow(text: string): { doc: Document; error: ParseError | null } {
  const doc = parseDocument(text);
  const e = doc.errors[0];
  // the message's first line, without the " at line N, column M:" that `line` says already
  return { doc, error: e ? { message: e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""), line: e.linePos?.[0]?.line ?? null } : null };
}

export const textOf = (doc: Document): string => doc.toString(FORMAT);

export function stepsOf(doc: Document): Step[] {
  const steps = (doc.toJS() as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s, index) => s && typeof s === "object" && !Array.isArray(s)
    ? [{ name: String((s as Record<string, unknown>).name ?? `#${index + 1}`), kind: String((s as Record<string, unknown>).kind ?? ""),
         index, value: s as Record<string, unknown> }]
    : []);
}

const refName = (v: unknown): string | null =>
  v && typeof v === "object" && typeof (v as { step?: unknown }).step === "string" ? (v as { step: string }).step : null;

/** Every reference a step makes to another, where the runner reads one (graft.workflow.schema.step_refs). */
export function linksOf(steps: Step[]): Link[] {
  const out: Link[] = [];
  for (const s of steps) {
    for (const field of ["model", "source", "data"]) {
      const r = refName(s.value[field]);
      if (r !== null) out.push({ source: r, target: s.name, path: [field] });
    }
    const nodes = (s.value.network as { nodes?: unknown } | undefined)?.nodes;
    if (s.kind === "train" && Array.isArray(nodes)) nodes.forEach((n, i) => {
      const r = refName((n as { params?: { ref?: unknown } } | null)?.params?.ref);
      if (r !== null) out.push({ source: r, target: s.name, path: ["network", "nodes", i, "params", "ref"] });
    });
  }
  return out;
}

function stepsSeq(doc: Document): YAMLSeq {
  const seq = doc.get("steps", true);
  if (isSeq(seq)) return seq;
  const made = doc.createNode([]) as YAMLSeq;
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ format: "graft.workflow/v1", name: "workflow" }) as never;
  doc.set("steps", made);
  return made;
}

function indexOf(doc: Document, name: string): number {
  const s = stepsOf(doc).find((x) => x.name === name);
  if (!s) throw new Error(`there is no step “${name}”`);
  return s.index;
}

/** Set (or, with `undefined`, remove) a step's field. A scalar keeps its node, so a comment beside it stays. */
export function setField(doc: Document, step: string, path: Path, value: unknown): void {
  const full = ["steps", indexOf(doc, step), ...path];
  if (value === undefined) { doc.deleteIn(full); return; }
  const node = doc.getIn(full, true);
  if (isScalar(node) && (value === null || typeof value !== "object")) { node.value = value; return; }
  doc.setIn(full, doc.createNode(value, { flow: true }));
}

export function uniqueName(doc: Document, base: string): string {
  const taken = new Set(stepsOf(doc).map((s) => s.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Append a step of `kind` with only its name and kind: its fields keep the schema's defaults until set. */
export function addStep(doc: Document, kind: string, fields: Record<string, unknown> = {}): string {
  const name = uniqueName(doc, kind);
  const seq = stepsSeq(doc);
  seq.flow = false;   // `steps: []` becomes a block list once it has a step
  seq.items.push(doc.createNode({ name, kind, ...fields }));
  return name;
}

/** Steps `start` depends on, directly or through others. */
function upstream(links: Link[], start: string, seen = new Set<string>()): Set<string> {
  for (const l of links) if (l.target === start && !seen.has(l.source)) { seen.add(l.source); upstream(links, l.source, seen); }
  return seen;
}

const an = (w: string) => `${/^[aeiou]/.test(w) ? "an" : "a"} ${w}`;

/** The field of `target` that takes `source`'s result, or why it cannot. */
export function portFor(source: Step, target: Step, resultOf: ResultOf): { path: Path; value: unknown } | { reason: string } {
  const made = resultOf(source.kind);
  const wants = (what: string, path: Path, value: unknown = { step: source.name }) =>
    made === what ? { path, value } : { reason: `${an(target.kind)} step takes ${an(what)} here, and ${source.kind} step “${source.name}” makes ${made ? an(made) : "nothing to use"}` };
  const dataRef = () => {   // a data set step replaces the data set of the reference, keeping its split and transforms
    const old = target.value.data;
    const rest = old && typeof old === "object" ? Object.fromEntries(Object.entries(old).filter(([k]) => k !== "dataset" && k !== "step")) : {};
    return { path: ["data"], value: { step: source.name, ...rest } };
  };
  switch (target.kind) {
    case "slice": return wants("model", ["model"]);
    case "evaluate": return made === "dataset" ? dataRef() : wants("model", ["model"]);
    case "view": return wants("evaluation", ["source"]);
    case "train": case "pretrain": {
      if (made === "dataset") return dataRef();
      const nodes = (target.value.network as { nodes?: unknown } | undefined)?.nodes;
      const i = Array.isArray(nodes) ? nodes.findIndex((n) => (n as { type?: unknown } | null)?.type === "Foundation") : -1;
      if (made === "model" && target.kind === "train" && i >= 0) return { path: ["network", "nodes", i, "params", "ref"], value: { step: source.name } };
      if (made === "model") return { reason: `${an(target.kind)} step takes a model as a Foundation node of its network: give “${target.name}” a network with one (in the YAML), then connect` };
      return { reason: `${an(target.kind)} step takes a data set here, and ${source.kind} step “${source.name}” makes ${made ? an(made) : "nothing to use"}` };
    }
    default: return { reason: `${an(target.kind)} step takes no input from another step` };
  }
}

/** Reorder the steps so each comes after the steps it refers to, keeping the user's order where it can. */
function reorder(doc: Document): void {
  const steps = stepsOf(doc);
  const links = linksOf(steps).filter((l) => steps.some((s) => s.name === l.source));
  const seq = stepsSeq(doc);
  const placed: number[] = [];
  const done = new Set<string>();
  while (placed.length < steps.length) {
    const next = steps.find((s) => !done.has(s.name) && links.every((l) => l.target !== s.name || done.has(l.source)));
    if (!next) return;   // a cycle: leave the order as it is (validation names it)
    placed.push(next.index);
    done.add(next.name);
  }
  if (placed.some((p, i) => p !== steps[i].index)) {
    const items = [...seq.items];
    placed.forEach((p, i) => { seq.items[steps[i].index] = items[p]; });
  }
}

/** Connect `source`'s result to `target`'s input: sets the reference the schema spells for it. */
export function connect(doc: Document, source: string, target: string, resultOf: ResultOf): { path: Path } | { reason: string } {
  const steps = stepsOf(doc);
  const [a, b] = [steps.find((s) => s.name === source), steps.find((s) => s.name === target)];
  if (!a || !b) return { reason: `there is no step “${!a ? source : target}”` };
  if (source === target) return { reason: "a step cannot take its own result" };
  if (upstream(linksOf(steps), source).has(target)) return { reason: `“${source}” already depends on “${target}”: this would make a cycle` };
  const port = portFor(a, b, resultOf);
  if ("reason" in port) return port;
  setField(doc, target, port.path, port.value);
  reorder(doc);
  return { path: port.path };
}

/** Remove the reference `link` (the field goes: an optional one falls back to its default). */
export function disconnect(doc: Document, link: Link): void {
  setField(doc, link.target, link.path, undefined);
}

/** Delete a step. Refused while others refer to it (`usedBy`), unless `clearRefs`: then those references go too. */
export function deleteStep(doc: Document, name: string, clearRefs = false): { usedBy: Link[] } {
  const usedBy = linksOf(stepsOf(doc)).filter((l) => l.source === name && l.target !== name);
  if (usedBy.length && !clearRefs) return { usedBy };
  usedBy.forEach((l) => disconnect(doc, l));
  stepsSeq(doc).items.splice(indexOf(doc, name), 1);
  return { usedBy: [] };
}

/** Rename a step and every reference to it. */
export function renameStep(doc: Document, from: string, to: string): void {
  const refs = linksOf(stepsOf(doc)).filter((l) => l.source === from);
  setField(doc, from, ["name"], to);
  for (const l of refs) setField(doc, l.target, [...l.path, "step"], to);
}

/** A data reference as a map: `mnist` reads as `{dataset: mnist}`; none reads as the schema's default. */
export function dataOf(v: unknown): Record<string, unknown> {
  if (typeof v === "string") return { dataset: v };
  return v && typeof v === "object" && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
}

export const limitOf = (data: Record<string, unknown>): number | null => {
  const t = Array.isArray(data.transforms) ? data.transforms : [];
  const hit = t.find((x) => x && typeof x === "object" && "limit" in x) as { limit?: unknown } | undefined;
  return typeof hit?.limit === "number" ? hit.limit : null;
};

/** Change a step's data reference: its data set, split (null: none), or sample limit (null: all), editing the
 * reference in place when the step has one (so its comments and other transforms stay), else starting from the
 * step kind's default (`fallback`, from the schema). */
export function setData(doc: Document, step: string, change: { dataset?: string; split?: string | null; limit?: number | null },
                        fallback: unknown): void {
  const s = stepsOf(doc).find((x) => x.name === step);
  if (!s) throw new Error(`there is no step “${step}”`);
  if (!isMap(doc.getIn(["steps", s.index, "data"], true))) {
    const data = dataOf(s.value.data ?? fallback);
    if (change.dataset !== undefined) { delete data.step; data.dataset = change.dataset; }
    if (change.split === null) delete data.split; else if (change.split !== undefined) data.split = change.split;
    setField(doc, step, ["data"], data);
    if (change.limit === undefined) return;
  } else {
    if (change.dataset !== undefined) { setField(doc, step, ["data", "step"], undefined); setField(doc, step, ["data", "dataset"], change.dataset); }
    if (change.split !== undefined) setField(doc, step, ["data", "split"], change.split ?? undefined);
  }
  if (change.limit === undefined) return;
  const data = dataOf(stepsOf(doc)[s.index].value.data);
  const transforms = Array.isArray(data.transforms) ? data.transforms : [];
  const i = transforms.findIndex((x) => x && typeof x === "object" && "limit" in x);
  if (change.limit === null) {
    if (i < 0) return;
    setField(doc, step, transforms.length === 1 ? ["data", "transforms"] : ["data", "transforms", i], undefined);
  } else if (i >= 0) setField(doc, step, ["data", "transforms", i, "limit"], change.limit);
  else if (transforms.length) setField(doc, step, ["data", "transforms", transforms.length], { limit: change.limit });
  else setField(doc, step, ["data", "transforms"], [{ limit: change.limit }]);
}

/** Set (or remove) a field of the workflow itself (`name`, `description`). */
export function setWorkflowField(doc: Document, key: string, value: unknown): void {
  const node = doc.get(key, true);
  if (value === undefined) doc.delete(key);
  else if (isScalar(node)) node.value = value;
  else doc.set(key, value);
}
