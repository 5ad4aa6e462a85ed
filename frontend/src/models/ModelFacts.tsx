import type { ModelDetail } from "../api/client";
import { fmtCount } from "../design/convert";
import { accuracyLabel, pct } from "../lib/models";
import { preprocessingText } from "./preprocessing";

interface SpecNode { id: string; type: string; params?: Record<string, unknown> }

/** Parameters that training changes against those a frozen foundation keeps (the analysis counts per node). */
export function parameterSplit(m: ModelDetail): { total: number; frozen: number } {
  const perNode = ((m.analysis as { params?: Record<string, number> } | undefined)?.params) ?? {};
  const nodes = ((m.spec as { nodes?: SpecNode[] } | undefined)?.nodes) ?? [];
  const frozen = nodes.filter((n) => n.type === "Foundation" && n.params?.frozen !== false)
    .reduce((a, n) => a + (perNode[n.id] ?? 0), 0);
  return { total: m.params ?? Object.values(perNode).reduce((a, b) => a + b, 0), frozen };
}

/** The figures a person asks first: which accuracy, how many weights trained, and how the head was trained. */
export default function ModelFacts({ model: m }: { model: ModelDetail }) {
  const { total, frozen } = parameterSplit(m);
  const metrics = (m.metrics ?? {}) as Record<string, unknown>;
  const cache = metrics.feature_cache;
  const prep = preprocessingText(m.dataset);
  return (
    <div className="row small" style={{ gap: 18, flexWrap: "wrap" }} aria-label="Model facts">
      {m.kind !== "foundation" && <span data-testid="model-accuracy">accuracy <strong>{pct(m.accuracy)}</strong>{" "}
        <span className="muted">{accuracyLabel(m.accuracy_source)}</span></span>}
      <span data-testid="param-split">{frozen
        ? <>{fmtCount(total - frozen)} trainable · {fmtCount(frozen)} frozen (foundation) parameters</>
        : <>{fmtCount(total)} parameters, all trainable</>}</span>
      {typeof metrics.val_accuracy === "number" && m.accuracy_source !== "validation" &&
        <span>validation {pct(metrics.val_accuracy)}</span>}
      {(cache === "hit" || cache === "miss") && <span data-testid="cached-features" title="The frozen foundation ran once over the data; the head trained on its stored outputs">
        head trained on cached features of its frozen foundation{cache === "hit" ? " (from the cache)" : ""}</span>}
      {prep && <span data-testid="model-preprocessing" title="Applied the same way by evaluation, the exports and the sample previews">
        inputs: {prep}</span>}
    </div>
  );
}
