import { useEffect, useState } from "react";
import type { Document } from "yaml";
import { api, type Issue } from "../api/client";
import ParamsForm, { type JsonSchema } from "../design/ParamsForm";
import { useApi } from "../hooks/useApi";
import { dataOf, limitOf, portFor, renameStep, setData, setField, setWorkflowField, type Link, type ResultOf, type Step } from "./document";
import { fieldOf } from "./StepGraph";
import type { StepKind } from "./useStepKinds";

/** Fields with their own controls: the rest come from the kind's schema through ParamsForm. */
const OWN = new Set(["name", "kind", "network", "data"]);

type Edit = <T>(f: (doc: Document) => T) => T | { reason: string };

interface Props {
  steps: Step[];
  links: Link[];
  selected: string | null;
  kinds: StepKind[];
  resultOf: ResultOf;
  issues: Issue[];
  workflowName: string;
  edit: Edit;
  onSelect: (name: string | null) => void;
  onConnect: (source: string, target: string) => void;
  onDisconnect: (link: Link) => void;
  onDelete: (name: string) => void;
}

const isRef = (s: JsonSchema) => s.$ref?.endsWith("/Ref") ?? false;

/** The step's name; `pattern` is the schema's (graft.workflow.schema.STEP_NAME). */
function NameField({ name, taken, pattern, onRename }: { name: string; taken: string[]; pattern?: string; onRename: (to: string) => void }) {
  const [text, setText] = useState(name);
  useEffect(() => setText(name), [name]);
  const problem = pattern && !new RegExp(pattern).test(text) ? "letters, digits, _ and -, not starting with a digit or -"
    : text !== name && taken.includes(text) ? `“${text}” is already a step` : null;
  const apply = () => !problem && text !== name && onRename(text);
  return (
    <label className="field"><span>Step name</span>
      <input value={text} aria-label="Step name" onChange={(e) => setText(e.target.value)} onBlur={apply}
             onKeyDown={(e) => e.key === "Enter" && apply()} aria-invalid={!!problem} />
      {problem && <span style={{ color: "var(--danger)" }}>{problem}</span>}
    </label>
  );
}

function IssueList({ issues, onSelect }: { issues: Issue[]; onSelect?: (name: string) => void }) {
  if (!issues.length) return null;
  return (
    <ul className="issues-list" aria-label="Step issues">
      {issues.map((i, k) => (
        <li key={k} onClick={() => i.node && onSelect?.(i.node)}>
          {onSelect && <strong>{i.node ?? "workflow"}</strong>}{i.field ? `${onSelect ? "." : ""}${fieldOf(i.field)}` : ""}: {i.message}
          {i.found !== undefined && i.found !== null && ` (found ${JSON.stringify(i.found)})`}
        </li>
      ))}
    </ul>
  );
}

/** The network of a train or pretrain step: a built-in template by name, or the inline network the YAML holds. */
function NetworkField({ value, onPick }: { value: unknown; onPick: (template: string) => void }) {
  const templates = useApi((signal) => api.GET("/api/templates", { signal }), []);
  const v = (value ?? {}) as { template?: unknown; nodes?: unknown[] };
  const current = typeof v.template === "string" ? v.template : Array.isArray(v.nodes) ? "(inline)" : "";
  return (
    <label className="field"><span>Network *</span>
      <select aria-label="Step network" value={current} onChange={(e) => onPick(e.target.value)}>
        {current === "" && <option value="">— pick a template —</option>}
        {current === "(inline)" && <option value="(inline)">inline: {v.nodes!.length} layers (edit in the YAML)</option>}
        {(templates.data ?? []).map((t) => <option key={t.name} value={t.name}>{t.name} (template)</option>)}
      </select>
    </label>
  );
}

/** A step's data: a data set (built in, imported, or an import_dataset step's), its split and a sample limit. */
function DataField({ step, steps, fallback, edit }: { step: Step; steps: Step[]; fallback: unknown; edit: Edit }) {
  const datasets = useApi((signal) => api.GET("/api/datasets", { signal }), []);
  const data = dataOf(step.value.data ?? fallback);
  const fromStep = typeof data.step === "string" ? data.step : null;
  const limit = limitOf(data);
  const [limitText, setLimitText] = useState(limit === null ? "" : String(limit));
  useEffect(() => setLimitText(limit === null ? "" : String(limit)), [limit]);
  const n = Number(limitText);
  const limitOk = limitText === "" || (Number.isInteger(n) && n > 0);
  const applyLimit = () => limitOk && (limitText === "" ? null : n) !== limit && edit((d) => setData(d, step.name, { limit: limitText === "" ? null : n }, fallback));
  return (
    <fieldset className="list" style={{ gap: 6, border: "1px solid var(--border)", borderRadius: 6, padding: 8 }}>
      <legend className="small">Data</legend>
      {fromStep !== null ? <div className="small">from step <code>{fromStep}</code> (its data set)</div> : (
        <label className="field"><span>Data set</span>
          <select aria-label="Step data set" value={String(data.dataset ?? "")}
                  onChange={(e) => edit((d) => setData(d, step.name, { dataset: e.target.value }, fallback))}>
            {!(datasets.data ?? []).some((x) => x.id === data.dataset) && <option value={String(data.dataset ?? "")}>{String(data.dataset ?? "—")}</option>}
            {(datasets.data ?? []).map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
          </select></label>
      )}
      {steps.some((s) => s.kind === "import_dataset" && s.name !== step.name) && fromStep === null && (
        <span className="muted small">or connect an import_dataset step to this one</span>)}
      <label className="field"><span>Split</span>
        <select aria-label="Step split" value={String(data.split ?? "")}
                onChange={(e) => edit((d) => setData(d, step.name, { split: e.target.value || null }, fallback))}>
          <option value="">{step.kind === "evaluate" ? "(none)" : "(none: the training split)"}</option>
          <option value="train">train</option><option value="val">val</option><option value="test">test</option>
        </select></label>
      <label className="field"><span>Samples (empty: all)</span>
        <input aria-label="Step samples" inputMode="numeric" placeholder="all" value={limitText} aria-invalid={!limitOk}
               onChange={(e) => setLimitText(e.target.value)} onBlur={applyLimit} onKeyDown={(e) => e.key === "Enter" && applyLimit()} />
        {!limitOk && <span style={{ color: "var(--danger)" }}>a whole number above 0, found “{limitText}”</span>}
      </label>
    </fieldset>
  );
}

/** The right-hand panel: the selected step's fields (from its kind's schema), or the workflow's name and issues. */
export default function StepPanel(p: Props) {
  const { steps, links, selected, kinds, resultOf, issues, edit } = p;
  const step = steps.find((s) => s.name === selected);
  if (!step) {
    return (
      <aside className="side-panel" aria-label="Step properties">
        <h2>Workflow</h2>
        <label className="field"><span>Name</span>
          <input aria-label="Workflow name" defaultValue={p.workflowName} key={p.workflowName}
                 onBlur={(e) => e.target.value && e.target.value !== p.workflowName && edit((d) => setWorkflowField(d, "name", e.target.value))} /></label>
        <div className="small">{steps.length} steps · {links.length} connections</div>
        <h3>Issues</h3>
        {issues.length === 0 ? <p className="muted small">No issues.</p> : <IssueList issues={issues} onSelect={p.onSelect} />}
        <p className="muted small">Select a step to configure it.</p>
      </aside>
    );
  }
  const kind = kinds.find((k) => k.kind === step.kind);
  const schema = (kind?.params ?? {}) as JsonSchema;
  const props = schema.properties ?? {};
  const refFields = Object.entries(props).filter(([, s]) => isRef(s)).map(([k]) => k);
  const formSchema: JsonSchema = { ...schema, properties: Object.fromEntries(Object.entries(props).filter(([k, s]) => !OWN.has(k) && !isRef(s))) };
  const stepIssues = issues.filter((i) => i.node === step.name).map((i) => ({ ...i, field: i.field ? fieldOf(i.field) : i.field }));
  const values = step.value;
  const onForm = (next: Record<string, unknown>) => edit((d) => {
    for (const k of Object.keys(formSchema.properties ?? {}))
      if (JSON.stringify(next[k]) !== JSON.stringify(values[k])) setField(d, step.name, [k], next[k]);
  });
  const feeders = (field: string) => steps.filter((s) => {
    if (s.name === step.name) return false;
    const port = portFor(s, step, resultOf);
    return "path" in port && port.path[0] === field;
  });
  return (
    <aside className="side-panel" aria-label="Step properties">
      <h2 style={{ marginBottom: 0 }}>{step.kind} step</h2>
      {kind?.doc && <p className="muted small" style={{ margin: 0 }}>{kind.doc}</p>}
      {!kind && <div className="error-box small">Unknown step kind “{step.kind}”: the schema has {kinds.map((k) => k.kind).join(", ")}.</div>}
      <NameField name={step.name} taken={steps.map((s) => s.name)} pattern={props.name?.pattern} onRename={(to) => { edit((d) => renameStep(d, step.name, to)); p.onSelect(to); }} />
      {refFields.map((f) => {
        const link = links.find((l) => l.target === step.name && l.path[0] === f);
        return (
          <label key={f} className="field"><span>{f} * (from step)</span>
            <select aria-label={`Step ${f}`} value={link?.source ?? ""}
                    onChange={(e) => e.target.value ? p.onConnect(e.target.value, step.name) : link && p.onDisconnect(link)}>
              <option value="">— connect a step —</option>
              {feeders(f).map((s) => <option key={s.name} value={s.name}>{s.name} ({s.kind})</option>)}
            </select></label>
        );
      })}
      {"network" in props && (
        <NetworkField value={values.network} onPick={(t) => t && t !== "(inline)" && edit((d) => setField(d, step.name, ["network"], { template: t }))} />
      )}
      {"data" in props && <DataField step={step} steps={steps} fallback={props.data.default} edit={edit} />}
      <ParamsForm schema={formSchema} values={values} issues={stepIssues} onChange={onForm} />
      <IssueList issues={stepIssues.filter((i) => !i.field || !(i.field in (formSchema.properties ?? {})))} />
      <div><button className="danger" onClick={() => p.onDelete(step.name)}>Delete step</button></div>
    </aside>
  );
}
