import type { StepKind } from "./useStepKinds";
import { STEP_DND } from "./StepGraph";

/** The step kinds of the workflow schema (GET /api/workflow-steps): click, Enter or drag onto the canvas to add one. */
export default function StepPalette({ kinds, error, onAdd }: { kinds: StepKind[]; error: string | null; onAdd: (kind: string) => void }) {
  return (
    <aside className="palette" aria-label="Step palette">
      <h3 style={{ marginTop: 0 }}>Steps</h3>
      {error && <div className="error-box small">Step kinds could not be loaded: {error}</div>}
      {kinds.map((k) => (
        <div key={k.kind} className="palette-item" draggable tabIndex={0} role="button" title={k.doc || k.kind}
             aria-label={`Add ${k.kind} step`}
             onDragStart={(e) => { e.dataTransfer.setData(STEP_DND, k.kind); e.dataTransfer.effectAllowed = "copy"; }}
             onClick={() => onAdd(k.kind)}
             onKeyDown={(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onAdd(k.kind); } }}>
          {k.kind}<div className="muted small">makes {k.result === "evaluation" ? "an evaluation" : `a ${k.result}`}</div>
        </div>
      ))}
      <p className="muted small">Click or drag a step onto the canvas. Connect a step's right dot to the next one's left
        dot; select a step or an edge and press Delete to remove it.</p>
    </aside>
  );
}
