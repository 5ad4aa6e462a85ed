import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { fmtCount, fmtShape, type GNodeData } from "./convert";

/** One canvas node: id, type, parameter count, output shape, and any issue pinned on it. */
export default function LayerNode({ data, selected, id }: NodeProps<Node<GNodeData>>) {
  const spec = data.spec;
  const isInput = spec === null;
  const isFoundation = spec?.type === "Foundation";
  const cls = ["gnode", selected && "selected", data.issues.length > 0 && "has-issue",
    isInput && "input-node", isFoundation && "foundation-node"].filter(Boolean).join(" ");
  const p = (spec?.params ?? {}) as Record<string, unknown>;
  return (
    <div className={cls} data-testid={`node-${id}`}>
      {!isInput && <Handle type="target" position={Position.Top} />}
      <div className="gnode-title">
        <span>{isInput ? "input" : id}</span>
        {isFoundation && <span title={p.frozen === false ? "trainable" : "frozen"}>{p.frozen === false ? "🔓" : "🔒"}</span>}
      </div>
      <div className="gnode-type">
        {isInput ? `shape ${fmtShape(data.inputShape)}` : isFoundation ? `Foundation ${String(p.ref ?? "")}` : spec.type}
      </div>
      {!isInput && (
        <div className="gnode-meta">
          {data.params !== undefined ? `${fmtCount(data.params)} params` : "… params"}
          {isFoundation && ` · lr ×${String(p.lr_multiplier ?? 1)}`}
        </div>
      )}
      {data.issues.slice(0, 2).map((i, k) => (
        <div className="gnode-issue" key={k} role="alert">{i.message}</div>
      ))}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}
