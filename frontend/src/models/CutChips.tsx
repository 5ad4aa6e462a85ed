import { useReactFlow } from "@xyflow/react";
import { cutTitle, type CutPoint } from "./slicePart";

/** "Keep up to: before the classifier · end of stage 1 · …": each chip selects that prefix (as double-clicking
 * its layer does) and brings the layer into view, so nobody pans an 88-layer graph to find the classifier. */
export default function CutChips({ cuts, onPick, onFocus }: {
  cuts: CutPoint[]; onPick: (node: string) => void; onFocus?: (node: string) => void;   // onFocus: bring it into view
}) {
  const flow = useReactFlow();
  if (!cuts.length) return null;
  const pick = (node: string) => {
    onPick(node);
    if (onFocus) onFocus(node);
    else void flow.fitView({ nodes: [{ id: node }], padding: 0.6, maxZoom: 1, duration: 300 });
  };
  return (
    <div className="cut-chips small" role="group" aria-label="Suggested cuts">
      <span className="muted">Keep up to:</span>
      {cuts.map((c) => (
        <button key={c.node} className="chip" title={`${c.node} · ${cutTitle(c)}`} onClick={() => pick(c.node)}>
          {c.label}
        </button>
      ))}
    </div>
  );
}
