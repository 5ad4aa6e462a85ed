import { useCallback, useState } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { addStep, connect, deleteStep, disconnect, type Link } from "./document";
import StepGraph, { type StepStatus } from "./StepGraph";
import StepPalette from "./StepPalette";
import StepPanel from "./StepPanel";
import { useStepKinds, useWorkflowText } from "./useStepKinds";

interface Props {
  text: string;
  setText: (t: string) => void;
  workflowName: string;
  statuses: StepStatus[];
  busy: boolean;
  dirty: boolean;
  onRun: (step: string) => void;
  onOpen: (s: StepStatus) => void;
  onSave: () => void;
}

/** The workflow on a canvas (palette, graph, the selected step's fields) over its YAML text, both editing the
 * same text: every canvas edit rewrites the YAML through its Document, every YAML edit redraws the graph. */
export default function WorkflowEditor(p: Props) {
  const { kinds, error: kindsError, resultOf } = useStepKinds();
  const wf = useWorkflowText(p.text, p.setText);
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [refused, setRefused] = useState<{ name: string; usedBy: Link[] } | null>(null);

  const report = (r: unknown) => setMessage(r && typeof r === "object" && "reason" in r ? String((r as { reason: string }).reason) : null);
  const add = useCallback((kind: string) => {
    const r = wf.edit((d) => addStep(d, kind));
    if (typeof r === "string") { setSelected(r); setMessage(null); } else report(r);
  }, [wf]);
  const onConnect = useCallback((source: string, target: string) => report(wf.edit((d) => connect(d, source, target, resultOf))), [wf, resultOf]);
  const onDisconnect = useCallback((l: Link) => report(wf.edit((d) => disconnect(d, l))), [wf]);
  const onDelete = useCallback((name: string, clearRefs = false) => {
    const r = wf.edit((d) => deleteStep(d, name, clearRefs));
    if ("reason" in r) return report(r);
    if (r.usedBy.length) return setRefused({ name, usedBy: r.usedBy });
    setRefused(null);
    setMessage(null);
    setSelected((s) => (s === name ? null : s));
  }, [wf]);

  return (
    <>
      <div className="card wf-editor" style={{ padding: 0 }}>
        <StepPalette kinds={kinds} error={kindsError} onAdd={add} />
        <ReactFlowProvider>
          <StepGraph steps={wf.steps} links={wf.links} statuses={p.statuses} issues={wf.issues} busy={p.busy} dirty={p.dirty}
                     selected={selected} onSelect={setSelected} onRun={p.onRun} onOpen={p.onOpen}
                     onConnect={onConnect} onDeleteStep={(n) => onDelete(n)} onDisconnect={onDisconnect} onDropKind={add} />
        </ReactFlowProvider>
      </div>
      {message && <div className="error-box" role="alert">{message}</div>}
      {refused && (
        <div className="error-box" role="alert">
          Step “{refused.name}” is used by {refused.usedBy.map((l) => `“${l.target}” (${l.path[0] === "network" ? "its foundation" : l.path[0]})`).join(", ")}.{" "}
          <button className="small danger" onClick={() => onDelete(refused.name, true)}>Delete it and clear those references</button>{" "}
          <button className="small ghost" onClick={() => setRefused(null)}>Keep it</button>
        </div>
      )}
      <div className="wf-lower">
      <StepPanel steps={wf.steps} links={wf.links} selected={selected} kinds={kinds} resultOf={resultOf} issues={wf.issues}
                 workflowName={p.workflowName} edit={wf.edit} onSelect={setSelected} onConnect={onConnect}
                 onDisconnect={onDisconnect} onDelete={(n) => onDelete(n)} />
      <div className="card list" style={{ gap: 8, minWidth: 0 }}>
        <div className="page-head"><h2 style={{ margin: 0 }}>Document (YAML)</h2>
          <span className="muted small">{wf.checking ? "checking…" : wf.issues.length ? `${wf.issues.length} issue(s): see the steps` : ""}</span>
          <div className="grow" />
          <button onClick={p.onSave} disabled={p.busy || !p.dirty}>Save</button></div>
        <textarea aria-label="Workflow YAML" rows={24} value={p.text} onChange={(e) => p.setText(e.target.value)} spellCheck={false}
                  aria-invalid={wf.yamlError ? true : undefined} />
        {wf.yamlError && (
          <div className="error-box small" role="alert" data-testid="yaml-error">
            YAML error{wf.yamlError.line ? ` at line ${wf.yamlError.line}` : ""}: {wf.yamlError.message}. The graph shows the last
            version that parsed.
          </div>
        )}
      </div>
      </div>
    </>
  );
}
