import type { StepKind } from "./useStepKinds";
import { STEP_DND } from "./StepGraph";

/** The step kinds of the workflow schema (GET /api/workflow-steps): click, Enter or drag onto the canvas to add one. */
export default function StepPalette({ kinds, error, onAdd }: { kinds: StepKind[]; error: string | null; onAdd: (kind: string) => void }) {
  return (
    <div className="wf-palette" role="toolbar" aria-label="Step palette">
      <span className="muted small">Add a step:</span>
      {error && <span className="error-box small">Step kinds could not be loaded: {error}</span>}
      {kinds.map((k) => (
        <div key={k.kind} className="palette-item" draggable tabIndex={0} role="button" aria-label={`Add ${k.kind} step`}
             title={`${k.doc ? `${k.doc} ` : ""}Makes ${k.result === "evaluation" ? "an evaluation" : `a ${k.result}`}. Click, or drag onto the canvas.`}
             onDragStart={(e) => { e.dataTransfer.setData(STEP_DND, k.kind); e.dataTransfer.effectAllowed = "copy"; }}
             onClick={() => onAdd(k.kind)}
             onKeyDown={(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onAdd(k.kind); } }}>
          + {k.kind}
        </div>
      ))}
      <span className="muted small grow" style={{ textAlign: "right" }}>connect a step's right dot to the next one's left dot ·
        Delete removes the selected step or edge</span>
    </div>
  );
}
